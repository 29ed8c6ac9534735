#pragma once
// Text to token ids and back, through libsentencepiece, from the tokenizer
// bytes an LLM bundle carries (a serialized SentencePiece model).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/support/status.h"

namespace sentencepiece { class SentencePieceProcessor; }

namespace litestudio::genai {

class Tokenizer {
public:
    // `label` names the source in error messages ("gemma.litertlm, section 1").
    static Expected<std::shared_ptr<const Tokenizer>> fromSentencePiece(std::span<const uint8_t> model,
                                                                       const std::string& label);
    ~Tokenizer();

    std::vector<int> encode(std::string_view text) const;
    std::string decode(const std::vector<int>& ids) const;
    int vocabularySize() const;
    // Id of a piece such as "<end_of_turn>", or -1 when the vocabulary lacks it.
    int idOf(std::string_view piece) const;
    std::string pieceOf(int id) const;
    int bosId() const;
    int eosId() const;
    int padId() const;

private:
    Tokenizer();
    std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
};

// Turns a stream of token ids into text as it grows: each call returns the
// text the new id completes, holding back bytes of a UTF-8 character (or a
// byte-fallback sequence) that is not finished yet.
class StreamingDecoder {
public:
    explicit StreamingDecoder(std::shared_ptr<const Tokenizer> tokenizer) : tokenizer_(std::move(tokenizer)) {}
    std::string push(int id);
    std::string text() const { return emitted_; }

private:
    std::shared_ptr<const Tokenizer> tokenizer_;
    std::vector<int> ids_;
    std::string emitted_;
};

}  // namespace litestudio::genai

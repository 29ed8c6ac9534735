#include "genai/tokenizer_training.h"

#include <sentencepiece_trainer.h>

#include <sstream>
#include <unordered_map>

namespace litestudio::genai {

namespace {

class LineIterator : public sentencepiece::SentenceIterator {
public:
    explicit LineIterator(const std::string& text) : stream_(text) { next(); }
    bool done() const override { return done_; }
    void Next() override { next(); }
    const std::string& value() const override { return line_; }
    sentencepiece::util::Status status() const override { return {}; }

private:
    void next() {
        do {
            if (!std::getline(stream_, line_)) {
                done_ = true;
                return;
            }
        } while (line_.empty());
    }
    std::istringstream stream_;
    std::string line_;
    bool done_ = false;
};

}  // namespace

Expected<std::string> trainSentencePiece(const std::string& text, int vocabularySize) {
    if (text.empty()) return Status::error("tokenizer training: no text");
    LineIterator lines(text);
    std::unordered_map<std::string, std::string> options = {
        {"model_type", "bpe"},
        {"vocab_size", std::to_string(vocabularySize)},
        {"pad_id", "0"},
        {"eos_id", "1"},
        {"bos_id", "2"},
        {"unk_id", "3"},
        {"pad_piece", "<pad>"},
        {"eos_piece", "<eos>"},
        {"bos_piece", "<bos>"},
        {"unk_piece", "<unk>"},
        {"user_defined_symbols", "<start_of_turn>,<end_of_turn>"},
        {"byte_fallback", "true"},
        {"split_digits", "true"},
        {"character_coverage", "1.0"},
        {"num_threads", "1"},
        {"hard_vocab_limit", "false"},
        // As Gemma's tokenizer: text goes in as it is, spaces included.
        {"add_dummy_prefix", "false"},
        {"remove_extra_whitespaces", "false"},
        {"normalization_rule_name", "identity"},
        {"minloglevel", "2"},
    };
    std::string model;
    auto status = sentencepiece::SentencePieceTrainer::Train(options, &lines, &model);
    if (!status.ok()) return Status::error("tokenizer training: " + std::string(status.message()));
    return model;
}

}  // namespace litestudio::genai

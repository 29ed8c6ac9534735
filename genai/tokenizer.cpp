#include "genai/tokenizer.h"

#include <sentencepiece_processor.h>

namespace litestudio::genai {

Tokenizer::Tokenizer() : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {}
Tokenizer::~Tokenizer() = default;

Expected<std::shared_ptr<const Tokenizer>> Tokenizer::fromSentencePiece(std::span<const uint8_t> model,
                                                                         const std::string& label) {
    if (model.empty()) return Status::error(label + ": the tokenizer is empty");
    std::shared_ptr<Tokenizer> tokenizer(new Tokenizer);
    auto status = tokenizer->processor_->LoadFromSerializedProto(
        std::string_view(reinterpret_cast<const char*>(model.data()), model.size()));
    if (!status.ok())
        return Status::error(label + ": not a SentencePiece tokenizer (" + std::string(status.message()) + ")");
    if (tokenizer->vocabularySize() <= 0) return Status::error(label + ": the tokenizer has no pieces");
    return std::shared_ptr<const Tokenizer>(std::move(tokenizer));
}

std::vector<int> Tokenizer::encode(std::string_view text) const {
    std::vector<int> ids;
    if (!processor_->Encode(text, &ids).ok()) ids.clear();
    return ids;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
    std::vector<int> valid;
    valid.reserve(ids.size());
    for (int id : ids)
        if (id >= 0 && id < vocabularySize()) valid.push_back(id);
    std::string text;
    if (!processor_->Decode(valid, &text).ok()) text.clear();
    return text;
}

int Tokenizer::vocabularySize() const { return processor_->GetPieceSize(); }

int Tokenizer::idOf(std::string_view piece) const {
    int id = processor_->PieceToId(piece);
    // SentencePiece answers unknown pieces with the unknown id.
    if (id == processor_->unk_id() && piece != processor_->IdToPiece(id)) return -1;
    return id;
}

std::string Tokenizer::pieceOf(int id) const {
    return id >= 0 && id < vocabularySize() ? processor_->IdToPiece(id) : std::string();
}

int Tokenizer::bosId() const { return processor_->bos_id(); }
int Tokenizer::eosId() const { return processor_->eos_id(); }
int Tokenizer::padId() const { return processor_->pad_id(); }

namespace {
// Bytes at the end of `text` that begin a UTF-8 character not yet complete.
size_t incompleteTail(const std::string& text) {
    size_t n = text.size();
    for (size_t back = 1; back <= 4 && back <= n; ++back) {
        unsigned char c = static_cast<unsigned char>(text[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
        size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
        return length > back ? back : 0;
    }
    return 0;
}
}  // namespace

std::string StreamingDecoder::push(int id) {
    ids_.push_back(id);
    std::string all = tokenizer_->decode(ids_);
    // SentencePiece drops the leading space of the first piece; decoding the
    // whole sequence each time keeps spacing right. What was emitted is a
    // prefix of it unless a replacement character settled differently.
    size_t ready = all.size() - incompleteTail(all);
    if (ready <= emitted_.size() || all.compare(0, emitted_.size(), emitted_) != 0) return {};
    std::string fresh = all.substr(emitted_.size(), ready - emitted_.size());
    emitted_ += fresh;
    return fresh;
}

}  // namespace litestudio::genai

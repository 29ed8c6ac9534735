#include "genai/llm_session.h"

#include <chrono>
#include <algorithm>
#include <cstring>

#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/format/model_file.h"
#include "core/format/zip_archive.h"

namespace litestudio::genai {

namespace {

// Tokenizers are small; anything past this is not one.
constexpr uint64_t kMaxTokenizerBytes = 256ull << 20;

Expected<std::vector<uint8_t>> readZipEntry(std::span<const uint8_t> bytes, const std::string& name) {
    auto archive = ZipArchive::open(bytes);
    if (!archive) return archive.status();
    for (size_t i = 0; i < (*archive)->entries().size(); ++i)
        if ((*archive)->entries()[i].name == name) return (*archive)->read(i, kMaxTokenizerBytes);
    return Status::error("no zip entry " + name);
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

const SignatureTensor* findNamed(const std::vector<SignatureTensor>& tensors, const std::string& name) {
    for (const SignatureTensor& tensor : tensors)
        if (tensor.name == name) return &tensor;
    return nullptr;
}

}  // namespace

Expected<std::unique_ptr<LlmSession>> LlmSession::open(const std::string& path, const LlmOptions& options) {
    auto file = openModelFile(path);
    if (!file) return file.status();
    if (!file->bundle)
        return Status::error(path + ": not an LLM bundle (.litertlm or .task with a tokenizer and a prefill/decode model)");
    std::unique_ptr<LlmSession> session(new LlmSession);
    auto mapped = MappedFile::open(path);
    if (!mapped) return mapped.status();
    session->file_ = *mapped;
    std::shared_ptr<const Model> model;
    for (const BundleSection& section : file->bundle->sections) {
        if (section.type == "SP_Tokenizer" && !session->tokenizer_) {
            std::vector<uint8_t> zipped;  // a .task keeps its tokenizer inside the zip
            std::span<const uint8_t> bytes;
            if (file->bundle->format == "task") {
                auto entry = readZipEntry(session->file_->bytes(), section.name);
                if (!entry) return entry.status().withContext(path);
                zipped = std::move(*entry);
                bytes = zipped;
            } else {
                bytes = session->file_->bytes().subspan(section.offset, section.size);
            }
            auto tokenizer = Tokenizer::fromSentencePiece(bytes, path + ": " + section.name);
            if (!tokenizer) return tokenizer.status();
            session->tokenizer_ = *tokenizer;
        }
        if (section.model && !model) {
            for (const Signature& signature : section.model->signatures)
                if (signature.key == "decode") model = section.model;
        }
        if (!section.modelError.empty() && !model)
            return Status::error(path + ": " + section.name + " does not load: " + section.modelError);
    }
    if (!session->tokenizer_) return Status::error(path + ": the bundle has no SentencePiece tokenizer");
    if (!model) return Status::error(path + ": no TFLite model in the bundle has a \"decode\" signature");

    CompileOptions compile;
    compile.accelerators = options.accelerators;
    compile.threads = options.threads;
    auto compiled = CompiledModel::create(cpu::createStandardEnvironment(), model, compile);
    if (!compiled) return compiled.status();
    session->model_ = std::move(*compiled);
    CompiledModel& m = *session->model_;
    for (size_t e = 0; e < m.entryPoints().size(); ++e) {
        const std::string& key = m.entryPoints()[e].key;
        if (key == "decode") session->decodeEntry_ = static_cast<int>(e);
        else if (key.rfind("prefill", 0) == 0 && session->prefillEntry_ < 0) session->prefillEntry_ = static_cast<int>(e);
    }
    if (session->prefillEntry_ < 0) return Status::error(path + ": no \"prefill...\" signature");
    const EntryPoint& prefill = m.entryPoints()[static_cast<size_t>(session->prefillEntry_)];
    const EntryPoint& decode = m.entryPoints()[static_cast<size_t>(session->decodeEntry_)];
    const SignatureTensor* prefillTokens = findNamed(prefill.inputs, "tokens");
    const SignatureTensor* logits = findNamed(decode.outputs, "logits");
    if (!prefillTokens || !findNamed(prefill.inputs, "input_pos") || !findNamed(decode.inputs, "tokens") || !logits)
        return Status::error(path + ": the signatures lack \"tokens\", \"input_pos\" or \"logits\"");
    session->prefillInputs_ = {prefill.subgraph, prefillTokens->tensor, findNamed(prefill.inputs, "input_pos")->tensor};
    session->decodeInputs_ = {decode.subgraph, findNamed(decode.inputs, "tokens")->tensor, findNamed(decode.inputs, "input_pos")->tensor};
    session->logitsTensor_ = logits->tensor;
    const RuntimeTensor& tokens = m.tensor(prefill.subgraph, prefillTokens->tensor);
    session->prefillLength_ = tokens.shape.empty() ? 0 : tokens.shape.back();
    session->vocabulary_ = m.tensor(decode.subgraph, logits->tensor).shape.back();
    if (session->vocabulary_ < session->tokenizer_->vocabularySize())
        return Status::error(path + ": the model has " + std::to_string(session->vocabulary_) + " logits, fewer than the tokenizer's " +
                             std::to_string(session->tokenizer_->vocabularySize()) + " pieces");

    // One buffer per cache tensor, bound as input and output of both signatures.
    std::vector<CompiledModel::Binding> prefillBindings, decodeBindings;
    for (const SignatureTensor& input : decode.inputs) {
        if (input.name.rfind("kv_cache_", 0) != 0) continue;
        const RuntimeTensor& tensor = m.tensor(decode.subgraph, input.tensor);
        size_t bytes = tensor.bytes;
        if (tensor.shape.size() == 4) session->context_ = tensor.shape[2];
        session->cache_.push_back(allocateAligned(bytes));
        std::memset(session->cache_.back().get(), 0, bytes);
        void* data = session->cache_.back().get();
        const SignatureTensor* decodeOut = findNamed(decode.outputs, input.name);
        const SignatureTensor* prefillIn = findNamed(prefill.inputs, input.name);
        const SignatureTensor* prefillOut = findNamed(prefill.outputs, input.name);
        if (!decodeOut || !prefillIn || !prefillOut)
            return Status::error(path + ": cache tensor \"" + input.name + "\" is not both input and output of both signatures");
        decodeBindings.push_back({input.tensor, data, bytes});
        decodeBindings.push_back({decodeOut->tensor, data, bytes});
        prefillBindings.push_back({prefillIn->tensor, data, bytes});
        prefillBindings.push_back({prefillOut->tensor, data, bytes});
    }
    if (session->cache_.empty()) return Status::error(path + ": the decode signature has no kv_cache inputs");
    LS_RETURN_IF_ERROR(m.bindBuffers(decode.subgraph, decodeBindings));
    LS_RETURN_IF_ERROR(m.bindBuffers(prefill.subgraph, prefillBindings));

    session->endOfTurn_ = session->tokenizer_->idOf("<end_of_turn>");
    session->usePrefill_ = options.usePrefill;
    for (const char* stop : {"<end_of_turn>", "<eos>"}) {
        int id = session->tokenizer_->idOf(stop);
        if (id >= 0) session->stopIds_.push_back(id);
    }
    return session;
}

Status LlmSession::setTokens(const SignatureInputs& signature, const std::vector<int>& tokens, int firstPosition) {
    std::vector<int32_t> ids(tokens.begin(), tokens.end()), positions(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) positions[i] = firstPosition + static_cast<int32_t>(i);
    auto bytes = [](const std::vector<int32_t>& values) {
        return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(values.data()), values.size() * 4);
    };
    LS_RETURN_IF_ERROR(model_->setInput(signature.subgraph, signature.tokens, bytes(ids)));
    return model_->setInput(signature.subgraph, signature.positions, bytes(positions));
}

// Full blocks go through prefill; a remainder too short for a block, or
// one that would not fit before the end of the cache, goes through decode
// one token at a time (its logits are not needed).
Status LlmSession::runPrefill(const std::vector<int>& tokens) {
    size_t next = 0;
    while (next < tokens.size()) {
        if (cancelled_) return Status::error("stopped");
        size_t left = tokens.size() - next;
        bool blockFits = usePrefill_ && position_ + prefillLength_ <= context_;
        if (blockFits && left >= static_cast<size_t>(prefillLength_)) {
            std::vector<int> block(tokens.begin() + static_cast<long>(next), tokens.begin() + static_cast<long>(next) + prefillLength_);
            LS_RETURN_IF_ERROR(setTokens(prefillInputs_, block, position_));
            LS_RETURN_IF_ERROR(model_->run(prefillEntry_));
            position_ += prefillLength_;
            next += static_cast<size_t>(prefillLength_);
        } else if (blockFits && left > 4) {
            // Pad the block: padded slots land after the real tokens, where
            // the mask hides them until real tokens overwrite them.
            std::vector<int> block(tokens.begin() + static_cast<long>(next), tokens.end());
            block.resize(static_cast<size_t>(prefillLength_), tokenizer_->padId());
            LS_RETURN_IF_ERROR(setTokens(prefillInputs_, block, position_));
            LS_RETURN_IF_ERROR(model_->run(prefillEntry_));
            position_ += static_cast<int>(left);
            next = tokens.size();
        } else {
            auto logits = runDecode(tokens[next]);
            if (!logits) return logits.status();
            ++next;
        }
    }
    return Status::ok();
}

Expected<std::span<const float>> LlmSession::runDecode(int token) {
    if (position_ >= context_) return Status::error("the context window (" + std::to_string(context_) + " tokens) is full");
    LS_RETURN_IF_ERROR(setTokens(decodeInputs_, {token}, position_));
    LS_RETURN_IF_ERROR(model_->run(decodeEntry_));
    ++position_;
    // A view of the output tensor: valid until the next run, and no copy of
    // 262,144 logits per token.
    return std::span<const float>(model_->tensor(decodeInputs_.subgraph, logitsTensor_).as<float>(),
                                  static_cast<size_t>(vocabulary_));
}

Expected<GenerationStats> LlmSession::generate(const std::string& prompt, const SamplerOptions& sampling, int maxTokens,
                                               const std::function<bool(const std::string&)>& onText) {
    cancelled_ = false;
    GenerationStats stats;
    std::vector<int> tokens;
    if (position_ == 0) tokens.push_back(tokenizer_->bosId());
    if (pending_ >= 0 && position_ > 0) tokens.push_back(pending_);
    pending_ = -1;
    std::vector<int> text = tokenizer_->encode(prompt);
    tokens.insert(tokens.end(), text.begin(), text.end());
    if (tokens.empty()) return Status::error("the prompt is empty");
    stats.promptTokens = static_cast<int>(tokens.size());
    if (position_ + static_cast<int>(tokens.size()) >= context_)
        return Status::error("the prompt needs " + std::to_string(tokens.size()) + " tokens; " +
                             std::to_string(context_ - position_) + " of the " + std::to_string(context_) +
                             "-token context window are left (start a new conversation)");
    auto start = std::chrono::steady_clock::now();
    std::vector<int> head(tokens.begin(), tokens.end() - 1);
    LS_RETURN_IF_ERROR(runPrefill(head));
    stats.prefillMs = millisecondsSince(start);

    Sampler sampler(sampling);
    StreamingDecoder stream(tokenizer_);
    int next = tokens.back();
    auto decodeStart = std::chrono::steady_clock::now();
    stats.stopReason = "max tokens";
    for (int step = 0; step < maxTokens; ++step) {
        if (cancelled_) {
            stats.stopReason = "stopped";
            break;
        }
        if (position_ >= context_) {
            stats.stopReason = "context full";
            break;
        }
        auto logits = runDecode(next);
        if (!logits) return logits.status();
        // Logits past the tokenizer's pieces name no text.
        next = sampler.sample(logits->first(static_cast<size_t>(tokenizer_->vocabularySize())));
        pending_ = next;
        if (step == 0) stats.timeToFirstTokenMs = millisecondsSince(start);
        if (std::find(stopIds_.begin(), stopIds_.end(), next) != stopIds_.end()) {
            stats.stopReason = "end of turn";
            break;
        }
        ++stats.generatedTokens;
        std::string piece = stream.push(next);
        if (onText && !piece.empty() && !onText(piece)) {
            stats.stopReason = "stopped";
            break;
        }
    }
    stats.decodeMs = millisecondsSince(decodeStart);
    return stats;
}

Expected<std::vector<float>> LlmSession::feed(const std::vector<int>& tokens) {
    if (tokens.empty()) return Status::error("no tokens to feed");
    for (int id : tokens)
        if (id < 0 || id >= vocabulary_) return Status::error("token id " + std::to_string(id) + " is outside the vocabulary");
    if (position_ + static_cast<int>(tokens.size()) > context_)
        return Status::error("the " + std::to_string(context_) + "-token context window is full");
    cancelled_ = false;
    pending_ = -1;
    LS_RETURN_IF_ERROR(runPrefill(std::vector<int>(tokens.begin(), tokens.end() - 1)));
    auto logits = runDecode(tokens.back());
    if (!logits) return logits.status();
    return std::vector<float>(logits->begin(), logits->end());
}

Expected<GenerationStats> LlmSession::reply(const std::vector<ChatMessage>& messages, const SamplerOptions& sampling,
                                            int maxTokens, const std::function<bool(const std::string&)>& onText) {
    std::string prompt = formatGemmaChat(messages);
    if (position_ > 0) {
        // The previous answer ended with <end_of_turn> (fed now as the
        // pending token) or was cut short, and then the turn is closed here.
        prompt = (pending_ >= 0 && pending_ == endOfTurn_ ? "\n" : "<end_of_turn>\n") + prompt;
    }
    return generate(prompt, sampling, maxTokens, onText);
}

}  // namespace litestudio::genai

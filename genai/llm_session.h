#pragma once
// A conversation with an LLM bundle: the tokenizer and the prefill/decode
// graph from a .litertlm, run by core's runtime. The KV cache is memory
// this session owns, bound to the cache tensors of both signatures, so
// tokens are written in place and the cache carries over between turns.
// Prompt tokens go through prefill (all but the last), then decode steps
// feed one token at a time and sample the next.

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/runtime/aligned_buffer.h"
#include "core/runtime/compiled_model.h"
#include "core/support/mapped_file.h"
#include "genai/chat_template.h"
#include "genai/sampler.h"
#include "genai/tokenizer.h"

namespace litestudio::genai {

struct LlmOptions {
    std::vector<std::string> accelerators{"cpu", "reference"};
    int threads = 1;
    // false: prompts go through decode one token at a time, which tests
    // use to check the prefill graph against the decode graph.
    bool usePrefill = true;
};

struct GenerationStats {
    int promptTokens = 0;
    int generatedTokens = 0;
    double prefillMs = 0;
    double timeToFirstTokenMs = 0;  // prompt in, first answer token out
    double decodeMs = 0;            // every decode step, the first included
    std::string stopReason;         // "end of turn", "max tokens", "context full", "stopped"
    double prefillTokensPerSecond() const { return prefillMs > 0 ? promptTokens * 1000.0 / prefillMs : 0; }
    double decodeTokensPerSecond() const { return decodeMs > 0 ? generatedTokens * 1000.0 / decodeMs : 0; }
};

class LlmSession {
public:
    static Expected<std::unique_ptr<LlmSession>> open(const std::string& path, const LlmOptions& options = {});

    // Appends `prompt` (already in the model's chat format) to the
    // conversation and generates up to `maxTokens`, handing text to
    // `onText` as it completes; returning false from it stops.
    Expected<GenerationStats> generate(const std::string& prompt, const SamplerOptions& sampling, int maxTokens,
                                       const std::function<bool(const std::string&)>& onText = {});
    // The next turn of a Gemma chat: `messages` (the new user turn, and a
    // system prompt on the first) in Gemma's format, closing the model's
    // previous turn first.
    Expected<GenerationStats> reply(const std::vector<ChatMessage>& messages, const SamplerOptions& sampling,
                                    int maxTokens, const std::function<bool(const std::string&)>& onText = {});
    // Feeds token ids as they are (no <bos>, no template) and returns the
    // logits after the last: for golden checks and for comparing paths.
    Expected<std::vector<float>> feed(const std::vector<int>& tokens);
    // Forgets the conversation (the cache is overwritten from position 0).
    void reset() {
        position_ = 0;
        pending_ = -1;
    }
    // From another thread: stops a generate() in progress after its current step.
    void cancel() { cancelled_ = true; }

    int position() const { return position_; }
    int contextLength() const { return context_; }
    int prefillLength() const { return prefillLength_; }
    const std::shared_ptr<const Tokenizer>& tokenizer() const { return tokenizer_; }

private:
    LlmSession() = default;
    // Where a signature takes its tokens and positions, found once at open.
    struct SignatureInputs {
        int subgraph = 0;
        int tokens = 0;
        int positions = 0;
    };
    Status runPrefill(const std::vector<int>& tokens);
    Expected<std::span<const float>> runDecode(int token);
    Status setTokens(const SignatureInputs& signature, const std::vector<int>& tokens, int firstPosition);

    std::shared_ptr<const MappedFile> file_;
    std::shared_ptr<const Tokenizer> tokenizer_;
    std::unique_ptr<CompiledModel> model_;
    std::vector<std::unique_ptr<uint8_t, AlignedFree>> cache_;
    int prefillEntry_ = -1, decodeEntry_ = -1;
    SignatureInputs prefillInputs_, decodeInputs_;
    int logitsTensor_ = 0;
    int prefillLength_ = 0, context_ = 0, vocabulary_ = 0;
    int position_ = 0;
    bool usePrefill_ = true;
    std::vector<int> stopIds_;
    int endOfTurn_ = -1;
    int pending_ = -1;  // sampled last but not yet fed to the model; the next call feeds it first
    std::atomic<bool> cancelled_{false};
};

}  // namespace litestudio::genai

// The generated Gemma bundle end to end: it is written the same way twice,
// the prefill graph agrees with token-by-token decode (so positions, the
// in-place KV cache and the mask are right), a seed repeats its text, turns
// carry over, and the context limit gives a clear error.

#include "genai/llm_session.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/support/atomic_file.h"
#include "genai/gemma_builder.h"
#include "genai/tokenizer_corpus.h"
#include "tests/support/test_paths.h"

using namespace litestudio;
using namespace litestudio::genai;

namespace {

std::string tinyBundle() {
    static std::string path = [] {
        auto bundle = buildGemmaBundle("tiny", tokenizerCorpus());
        EXPECT_TRUE(bundle) << bundle.errorMessage();
        std::string file = (litestudio::testing::binaryDir() / "test-scratch" / "tiny.litertlm").string();
        std::filesystem::create_directories(std::filesystem::path(file).parent_path());
        EXPECT_TRUE(writeFileAtomically(file, bundle->data(), bundle->size()));
        return file;
    }();
    return path;
}

std::unique_ptr<LlmSession> openTiny(bool usePrefill = true) {
    LlmOptions options;
    options.usePrefill = usePrefill;
    auto session = LlmSession::open(tinyBundle(), options);
    EXPECT_TRUE(session) << session.errorMessage();
    return session ? std::move(*session) : nullptr;
}

std::vector<int> answerIds(LlmSession& session, const std::string& prompt, const SamplerOptions& sampling, int tokens) {
    std::string text;
    auto stats = session.generate(prompt, sampling, tokens, [&](const std::string& piece) {
        text += piece;
        return true;
    });
    EXPECT_TRUE(stats) << stats.errorMessage();
    return session.tokenizer()->encode(text);
}

const char* const kLongPrompt =
    "The key and value cache keeps what the model has already read, so that each new token costs only one step. "
    "A tokenizer cuts text into pieces. Frequent words become one piece.";

}  // namespace

TEST(GemmaBundle, IsWrittenTheSameWayTwice) {
    auto first = buildGemmaBundle("tiny", tokenizerCorpus());
    auto second = buildGemmaBundle("tiny", tokenizerCorpus());
    ASSERT_TRUE(first && second);
    EXPECT_EQ(*first, *second);
    std::printf("tiny bundle: %zu bytes\n", first->size());
    EXPECT_EQ(buildGemmaBundle("huge", "text").errorMessage(), "make-model: unknown preset 'huge' (this build makes: tiny, 270m, 1b)");
}

TEST(LlmSession, PrefillAgreesWithTokenByTokenDecode) {
    auto withPrefill = openTiny(true), decodeOnly = openTiny(false);
    ASSERT_TRUE(withPrefill && decodeOnly);
    EXPECT_EQ(withPrefill->contextLength(), 128);
    EXPECT_EQ(withPrefill->prefillLength(), 32);
    std::vector<int> prompt = withPrefill->tokenizer()->encode(kLongPrompt);
    ASSERT_GT(prompt.size(), 65u);  // two full prefill blocks and a padded one
    // Twice: the second call starts at a position that is not a block boundary.
    for (int round = 0; round < 2; ++round) {
        auto a = withPrefill->feed(prompt);
        auto b = decodeOnly->feed(prompt);
        ASSERT_TRUE(a && b);
        double largest = 0, difference = 0;
        for (size_t i = 0; i < a->size(); ++i) {
            largest = std::max(largest, std::abs(static_cast<double>((*a)[i])));
            difference = std::max(difference, std::abs(static_cast<double>((*a)[i]) - (*b)[i]));
        }
        std::printf("round %d: %zu prompt tokens, logits up to %.3f, prefill vs decode differ by %.2e\n", round,
                    prompt.size(), largest, difference);
        EXPECT_GT(largest, 0.1);
        EXPECT_LT(difference, 1e-4 * std::max(1.0, largest));
        EXPECT_EQ(withPrefill->position(), decodeOnly->position());
        prompt.resize(20);
    }
    // The comparison can fail: other earlier tokens (the last one the same)
    // change the last logits, through the cache alone.
    auto fresh = openTiny(false), changed = openTiny(false);
    std::vector<int> tokens = fresh->tokenizer()->encode(kLongPrompt), other = tokens;
    for (size_t i = 0; i + 1 < other.size(); ++i) other[i] = 6 + (other[i] + 101) % (fresh->tokenizer()->vocabularySize() - 6);
    auto x = fresh->feed(tokens), y = changed->feed(other);
    ASSERT_TRUE(x && y);
    double difference = 0;
    for (size_t i = 0; i < x->size(); ++i) difference = std::max(difference, std::abs(static_cast<double>((*x)[i]) - (*y)[i]));
    std::printf("other earlier tokens move the last logits by %.2e\n", difference);
    EXPECT_GT(difference, 1e-3);
}

TEST(LlmSession, TheSameSeedGivesTheSameText) {
    SamplerOptions sampling{0.8f, 40, 0.95f, 7};
    auto first = openTiny(), second = openTiny(), other = openTiny();
    auto a = answerIds(*first, "Hello! How are you today?", sampling, 30);
    auto b = answerIds(*second, "Hello! How are you today?", sampling, 30);
    sampling.seed = 8;
    auto c = answerIds(*other, "Hello! How are you today?", sampling, 30);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
}

TEST(LlmSession, TurnsCarryOverUntilTheContextIsFull) {
    auto session = openTiny();
    ASSERT_TRUE(session);
    SamplerOptions greedy{0.0f};
    auto first = session->reply({{ChatMessage::Role::System, "Be brief."}, {ChatMessage::Role::User, "Hi"}}, greedy, 8);
    ASSERT_TRUE(first) << first.errorMessage();
    int afterFirst = session->position();
    auto second = session->reply({{ChatMessage::Role::User, "And then?"}}, greedy, 8);
    ASSERT_TRUE(second) << second.errorMessage();
    std::printf("positions after turns: %d, %d\n", afterFirst, session->position());
    EXPECT_GT(session->position(), afterFirst);
    auto tooLong = session->reply({{ChatMessage::Role::User, std::string(kLongPrompt) + kLongPrompt + kLongPrompt}}, greedy, 8);
    ASSERT_FALSE(tooLong);
    std::printf("%s\n", tooLong.errorMessage().c_str());
    EXPECT_NE(tooLong.errorMessage().find("128-token context window"), std::string::npos);
    session->reset();
    EXPECT_TRUE(session->reply({{ChatMessage::Role::User, "Hi"}}, greedy, 4));
}

TEST(LlmSession, NotAnLlmBundleIsAClearError) {
    auto session = LlmSession::open((litestudio::testing::sourceDir() / "resources/samples/sample_classifier.tflite").string());
    ASSERT_FALSE(session);
    std::printf("%s\n", session.errorMessage().c_str());
    EXPECT_NE(session.errorMessage().find("not an LLM bundle"), std::string::npos);
}

TEST(LlmSession, TaskBundleAnswersLikeTheLitertlm) {
    std::string task = (litestudio::testing::binaryDir() / "test-scratch" / "tiny.task").string();
    Status written = writeGemmaTask(task, "tiny", tokenizerCorpus());
    ASSERT_TRUE(written) << written.message();
    auto fromTask = LlmSession::open(task);
    ASSERT_TRUE(fromTask) << fromTask.errorMessage();
    auto fromLitertlm = openTiny();
    SamplerOptions sampling{0.8f, 40, 0.95f, 11};
    auto a = answerIds(**fromTask, "Good night.", sampling, 20);
    auto b = answerIds(*fromLitertlm, "Good night.", sampling, 20);
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, b);
}

TEST(LlmSession, QuantizedWeightsStayCloseToFloat32) {
    // The same random weights stored as int8 with one scale per row, and as
    // int4 in blocks of 32 (the cpu accelerator's int8 and int4 FC kernels
    // run them; int4 prefill on AMX where the CPU has it): logits move by the
    // rounding of the weights only, and prefill still agrees with decode.
    auto float32 = openTiny();
    ASSERT_TRUE(float32);
    std::vector<int> prompt = float32->tokenizer()->encode(kLongPrompt);
    auto reference = float32->feed(prompt);
    ASSERT_TRUE(reference);
    for (GemmaWeights weights : {GemmaWeights::Int8, GemmaWeights::Int4}) {
        const char* name = weights == GemmaWeights::Int8 ? "int8" : "int4";
        std::string path = (litestudio::testing::binaryDir() / "test-scratch" / (std::string("tiny-") + name + ".litertlm")).string();
        auto bundle = buildGemmaBundle("tiny", tokenizerCorpus(), weights);
        ASSERT_TRUE(bundle) << bundle.errorMessage();
        ASSERT_TRUE(writeFileAtomically(path, bundle->data(), bundle->size()));
        auto quantized = LlmSession::open(path);
        LlmOptions decodeOnly;
        decodeOnly.usePrefill = false;
        auto quantizedDecodeOnly = LlmSession::open(path, decodeOnly);
        ASSERT_TRUE(quantized && quantizedDecodeOnly);
        auto a = (*quantized)->feed(prompt), c = (*quantizedDecodeOnly)->feed(prompt);
        ASSERT_TRUE(a && c);
        const std::vector<float>& b = *reference;
        double largest = 0, quantization = 0, paths = 0;
        for (size_t i = 0; i < a->size(); ++i) {
            largest = std::max(largest, std::abs(static_cast<double>(b[i])));
            quantization = std::max(quantization, std::abs(static_cast<double>((*a)[i]) - b[i]));
            paths = std::max(paths, std::abs(static_cast<double>((*a)[i]) - (*c)[i]));
        }
        std::printf("%s vs float32 logits: max difference %.3f of values up to %.3f; %s prefill vs decode %.2e\n", name,
                    quantization, largest, name, paths);
        EXPECT_LT(quantization, (weights == GemmaWeights::Int8 ? 0.05 : 0.3) * largest);
        EXPECT_GT(quantization, 0.0);  // the weights really are quantized
        EXPECT_LT(paths, 1e-4 * std::max(1.0, largest));
    }
}

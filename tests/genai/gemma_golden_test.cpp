// The generated tiny Gemma (float32 and int4 blockwise weights) against
// Google's LiteRT: golden cases made by
// tests/genai/golden/make_golden.sh with LiteRT.js (one per signature, run
// as a single-signature .tflite with the bundle's weights). Every output,
// the logits and all four updated KV caches, must match within 1e-5
// absolute + 1e-5 relative, through both accelerators.

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/format/tflite_reader.h"
#include "core/runtime/compiled_model.h"
#include "genai/gemma_builder.h"
#include "genai/tokenizer_corpus.h"
#include "tests/support/test_paths.h"

using namespace litestudio;
using namespace litestudio::genai;

namespace {

struct GoldenCase {
    const char* name;
    GemmaSignatures signatures;
    GemmaWeights weights = GemmaWeights::Float32;
};

// ctest lists each case by its name instead of the struct's bytes.
void PrintTo(const GoldenCase& golden, std::ostream* out) { *out << golden.name; }

class GemmaGolden : public ::testing::TestWithParam<std::tuple<GoldenCase, std::string>> {};

std::string readText(const std::filesystem::path& path) {
    auto bytes = litestudio::testing::readFileBytes(path);
    return std::string(bytes.begin(), bytes.end());
}

}  // namespace

TEST_P(GemmaGolden, MatchesLiteRT) {
    auto [golden, accelerator] = GetParam();
    auto directory = litestudio::testing::sourceDir() / "tests/genai/golden" / golden.name;
    nlohmann::json meta = nlohmann::json::parse(readText(directory / "meta.json"));
    auto config = gemmaConfigFor("tiny", tokenizerCorpus(), golden.weights);
    ASSERT_TRUE(config) << config.errorMessage();
    auto bytes = std::make_shared<std::vector<uint8_t>>(buildGemmaModel(*config, golden.signatures));
    auto model = readTfliteModel(golden.name, bytes, *bytes);
    ASSERT_TRUE(model) << model.errorMessage();
    CompileOptions options;
    options.accelerators = {accelerator, "reference"};
    if (accelerator == "reference") options.accelerators = {"reference"};
    auto compiled = CompiledModel::create(cpu::createStandardEnvironment(), *model, options);
    ASSERT_TRUE(compiled) << compiled.errorMessage();
    CompiledModel& m = **compiled;
    const EntryPoint& entry = m.entryPoints().front();
    ASSERT_EQ(entry.inputs.size(), meta["inputs"].size());
    for (size_t k = 0; k < entry.inputs.size(); ++k) {
        EXPECT_EQ(entry.inputs[k].name, meta["inputs"][k]["name"].get<std::string>());
        auto input = litestudio::testing::readFileBytes(directory / ("input_" + std::to_string(k) + ".bin"));
        Status set = m.setInput(entry.subgraph, entry.inputs[k].tensor, input);
        ASSERT_TRUE(set) << set.message();
    }
    Status ran = m.run(0);
    ASSERT_TRUE(ran) << ran.message();
    ASSERT_EQ(entry.outputs.size(), meta["outputs"].size());
    for (size_t k = 0; k < entry.outputs.size(); ++k) {
        auto expectedBytes = litestudio::testing::readFileBytes(directory / ("output_" + std::to_string(k) + ".bin"));
        const RuntimeTensor& actual = m.tensor(entry.subgraph, entry.outputs[k].tensor);
        ASSERT_EQ(actual.bytes, expectedBytes.size()) << entry.outputs[k].name;
        const float* ours = actual.as<float>();
        const float* theirs = reinterpret_cast<const float*>(expectedBytes.data());
        double worst = 0;
        size_t count = expectedBytes.size() / 4, bad = 0;
        for (size_t i = 0; i < count; ++i) {
            double difference = std::abs(static_cast<double>(ours[i]) - theirs[i]);
            worst = std::max(worst, difference);
            bad += difference > 1e-5 + 1e-5 * std::abs(theirs[i]);
        }
        std::printf("%s on %s, %s: %zu values, max |ours - LiteRT| = %.2e\n", golden.name, accelerator.c_str(),
                    entry.outputs[k].name.c_str(), count, worst);
        EXPECT_EQ(bad, 0u) << entry.outputs[k].name << ": " << bad << " values off, worst by " << worst;
    }
}

INSTANTIATE_TEST_SUITE_P(TinyGemma, GemmaGolden,
                         ::testing::Combine(::testing::Values(GoldenCase{"tiny_prefill", GemmaSignatures::PrefillOnly},
                                                              GoldenCase{"tiny_decode", GemmaSignatures::DecodeOnly},
                                                              GoldenCase{"tiny_int4_prefill", GemmaSignatures::PrefillOnly,
                                                                         GemmaWeights::Int4},
                                                              GoldenCase{"tiny_int4_decode", GemmaSignatures::DecodeOnly,
                                                                         GemmaWeights::Int4}),
                                            ::testing::Values(std::string("cpu"), std::string("reference"))),
                         [](const auto& info) {
                             return std::string(std::get<0>(info.param).name) + "_" + std::get<1>(info.param);
                         });

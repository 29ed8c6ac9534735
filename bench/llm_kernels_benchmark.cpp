// The kernels an LLM step spends its time in, at Gemma 3 1B's shapes, on
// the cpu accelerator: the int4 blockwise FULLY_CONNECTED for decode (1
// row) and prefill (128 rows) of the MLP's gate (1152 -> 6912) and down
// (6912 -> 1152) projections, and decode of the logits (1152 -> 262144).
// Reports GMAC/s; run by hand:
//   build/dev/bench/llm_kernels_benchmark [--benchmark_filter=Prefill]

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <vector>

#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/format/model_builder.h"
#include "core/format/tflite_reader.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/runtime/compiled_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

// Adds an int4 weight of [units, depth] in blocks of 32 with float16 scales.
int addInt4Weights(ModelBuilder& builder, const std::string& name, int depth, int units, uint32_t seed) {
    int blocks = depth / 32;
    std::vector<uint8_t> scaleBytes(static_cast<size_t>(units) * blocks * 2);
    for (size_t b = 0; b < scaleBytes.size() / 2; ++b) {
        uint16_t half = reference::floatToHalf(0.002f + 0.0001f * static_cast<float>(b % 37));
        std::memcpy(scaleBytes.data() + b * 2, &half, 2);
    }
    int scales = builder.addTensor({name + "/scales", DataType::Float16, {units, blocks}, {}, scaleBytes});
    std::vector<uint8_t> nibbles(static_cast<size_t>(units) * depth / 2);
    uint32_t state = seed;
    for (uint8_t& byte : nibbles) {
        state ^= state << 13, state ^= state >> 17, state ^= state << 5;
        byte = static_cast<uint8_t>(state);
    }
    TensorSpec w{name, DataType::Int4, {units, depth}, {}, nibbles};
    w.blockSize = 32;
    w.blockScalesTensor = scales;
    return builder.addTensor(w);
}

// A chain of FULLY_CONNECTED ops: widths[0] -> widths[1] -> ... for `rows` rows.
std::unique_ptr<CompiledModel> int4Chain(int rows, const std::vector<int>& widths, int threads) {
    ModelBuilder builder;
    builder.addSubgraph("main");
    int x = builder.addTensor({"x", DataType::Float32, {rows, widths[0]}});
    int current = x;
    for (size_t i = 1; i < widths.size(); ++i) {
        std::string name = "fc" + std::to_string(i);
        int weights = addInt4Weights(builder, name, widths[i - 1], widths[i], static_cast<uint32_t>(5 + i));
        int out = builder.addTensor({name + "/out", DataType::Float32, {rows, widths[i]}});
        builder.addOp({schema::BuiltinOperator_FULLY_CONNECTED, {}, {current, weights, -1}, {out}});
        current = out;
    }
    builder.setInputs({x});
    builder.setOutputs({current});
    auto bytes = std::make_shared<std::vector<uint8_t>>(builder.finish());
    auto model = readTfliteModel("int4_fc.tflite", bytes, *bytes);
    if (!model) return nullptr;
    CompileOptions options;
    options.accelerators = {"cpu", "reference"};
    options.threads = threads;
    auto compiled = CompiledModel::create(cpu::createStandardEnvironment(), *model, options);
    if (!compiled) return nullptr;
    std::vector<float> input(static_cast<size_t>(rows) * widths[0]);
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    std::vector<uint8_t> inputBytes(input.size() * 4);
    std::memcpy(inputBytes.data(), input.data(), inputBytes.size());
    if (!(*compiled)->setInput(0, x, inputBytes)) return nullptr;
    return std::move(*compiled);
}

void runChain(benchmark::State& state, int rows, const std::vector<int>& widths) {
    auto model = int4Chain(rows, widths, static_cast<int>(state.range(0)));
    if (!model) {
        state.SkipWithError("could not build the model");
        return;
    }
    for (auto _ : state)
        if (!model->run(0)) state.SkipWithError("run failed");
    double macs = 0;
    for (size_t i = 1; i < widths.size(); ++i) macs += static_cast<double>(widths[i - 1]) * widths[i];
    state.counters["GMAC/s"] = benchmark::Counter(rows * macs * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
    // Bytes of weights streamed: half a byte a weight, two per 32-weight block's scale.
    state.counters["weight GB/s"] =
        benchmark::Counter(macs * (0.5 + 2.0 / 32) * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
}

void runFullyConnected(benchmark::State& state, int rows, int depth, int units) { runChain(state, rows, {depth, units}); }

void DecodeGate(benchmark::State& state) { runFullyConnected(state, 1, 1152, 6912); }
void DecodeDown(benchmark::State& state) { runFullyConnected(state, 1, 6912, 1152); }
// 151 MB of weights: far more than the caches hold, so this one measures
// how close decode streams to the memory's bandwidth (GB/s of weights).
void DecodeLogits(benchmark::State& state) { runFullyConnected(state, 1, 1152, 262144); }
// 26 layers of the MLP (gate then down, 218 MB): the per-op costs between
// projections that a single large one hides.
void DecodeMlpLayers(benchmark::State& state) {
    std::vector<int> widths{1152};
    for (int layer = 0; layer < 26; ++layer) widths.insert(widths.end(), {6912, 1152});
    runChain(state, 1, widths);
}
void PrefillGate(benchmark::State& state) { runFullyConnected(state, 128, 1152, 6912); }
void PrefillDown(benchmark::State& state) { runFullyConnected(state, 128, 6912, 1152); }

BENCHMARK(DecodeGate)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(DecodeDown)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(DecodeMlpLayers)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(DecodeLogits)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(PrefillGate)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(PrefillDown)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace litestudio

BENCHMARK_MAIN();

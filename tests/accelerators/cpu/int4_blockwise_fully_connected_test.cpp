// FULLY_CONNECTED with float activations and int4 blockwise weights on the
// cpu accelerator against the reference kernel (whose arithmetic matches
// LiteRT's bit for bit on qwen_fc_blockwise_quantized). Both quantize each
// input row the same way, so only the order of float additions differs:
// they must agree to 1e-5 of the largest output. Cases: decode (1 row),
// prefill tiles of 4 rows with a remainder, unit counts that are not a
// multiple of 16 or 64, blocks of 32 and 64, bias, inputs whose zero point
// is far from 0; on CPUs with AMX the 16-row tiles of the 33- and 128-row
// cases run on it, and of the 48- and 37-row ones, whose 10 and 7 blocks
// fill the AMX path's pipeline of block pairs (an odd count ends it early). Blocks of 16 are not the kernel's: the reference runs them.

#include <algorithm>
#include <cmath>
#include <cstring>

#include "accelerators/cpu/int4_blockwise_amx.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

struct Case {
    int rows, depth, units, blockSize;
    bool bias;
    float inputOffset;
    int threads = 1;  // 2: packing and both paths spread over a thread pool
};

}  // namespace

TEST(Int4BlockwiseFullyConnected, MatchesTheReference) {
    const bool vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    std::printf("path: %s%s\n", vnni ? "VNNI kernel" : "no VNNI: the reference kernel runs",
                cpu::int4_blockwise::amxAvailable() ? ", AMX for 16-row tiles (the 33- and 128-row cases)" : "");
    const Case cases[] = {{1, 640, 130, 32, true, 0.0f},   {7, 256, 64, 64, false, 0.3f}, {33, 96, 200, 32, true, -0.7f},
                          {4, 32, 17, 32, false, 2.0f},    {128, 64, 48, 32, true, 0.1f}, {2, 128, 300, 32, false, 0.0f},
                          {5, 64, 20, 16, false, 0.0f},    {48, 320, 80, 32, true, 0.2f}, {37, 224, 64, 32, false, -0.4f},
                          {48, 320, 200, 32, true, 0.2f, 2}, {1, 640, 130, 32, true, 0.0f, 2}};
    for (const Case& c : cases) {
        ModelBuilder builder;
        builder.addSubgraph("main");
        int x = builder.addTensor({"x", DataType::Float32, {c.rows, c.depth}});
        int blocks = c.depth / c.blockSize;
        std::vector<uint8_t> scaleBytes(static_cast<size_t>(c.units * blocks) * 2);
        for (int b = 0; b < c.units * blocks; ++b) {
            uint16_t half = reference::floatToHalf(0.002f + 0.0001f * static_cast<float>(b % 37));
            std::memcpy(scaleBytes.data() + b * 2, &half, 2);
        }
        int scales = builder.addTensor({"w/scales", DataType::Float16, {c.units, blocks}, {}, scaleBytes});
        std::vector<uint8_t> nibbles(static_cast<size_t>(c.units * c.depth + 1) / 2);
        uint32_t state = 5;
        for (uint8_t& byte : nibbles) {
            state ^= state << 13, state ^= state >> 17, state ^= state << 5;
            byte = static_cast<uint8_t>(state);
        }
        TensorSpec w{"w", DataType::Int4, {c.units, c.depth}, {}, nibbles};
        w.blockSize = c.blockSize;
        w.blockScalesTensor = scales;
        int weights = builder.addTensor(w);
        std::vector<float> biasValues(static_cast<size_t>(c.units));
        for (int u = 0; u < c.units; ++u) biasValues[static_cast<size_t>(u)] = 0.5f - 0.01f * static_cast<float>(u);
        int bias = c.bias ? builder.addFloatConstant("b", {c.units}, biasValues) : -1;
        int out = builder.addTensor({"out", DataType::Float32, {c.rows, c.units}});
        builder.addOp({schema::BuiltinOperator_FULLY_CONNECTED, {}, {x, weights, bias}, {out}});
        builder.setInputs({x});
        builder.setOutputs({out});
        auto fast = testing::compileBuilt(builder, {"cpu", "reference"}, c.threads);
        auto reference = testing::compileBuilt(builder, {"reference"});
        ASSERT_TRUE(fast && reference) << (fast ? reference.errorMessage() : fast.errorMessage());
        bool ours = vnni && c.blockSize % 32 == 0;
        EXPECT_EQ((*fast)->acceleratorOf(0, 0), ours ? "cpu" : "reference");
        std::vector<float> input(static_cast<size_t>(c.rows * c.depth));
        for (size_t i = 0; i < input.size(); ++i) input[i] = std::sin(0.37f * static_cast<float>(i)) * 3.0f + c.inputOffset;
        for (auto* model : {fast->get(), reference->get()}) {
            ASSERT_TRUE(testing::setValues<float>(*model, x, input));
            ASSERT_TRUE(model->run(0));
        }
        auto a = testing::tensorValues<float>(**fast, out), b = testing::tensorValues<float>(**reference, out);
        double difference = 0, largest = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            difference = std::max(difference, std::abs(static_cast<double>(a[i]) - b[i]));
            largest = std::max(largest, std::abs(static_cast<double>(b[i])));
        }
        std::printf("%d x %d -> %d, blocks of %d%s, inputs + %.1f, %d thread(s), on %s: max |fast - reference| %.2e, values up to %.2f\n",
                    c.rows, c.depth, c.units, c.blockSize, c.bias ? ", bias" : "", c.inputOffset, c.threads,
                    std::string((*fast)->acceleratorOf(0, 0)).c_str(), difference, largest);
        EXPECT_LT(difference, 1e-5 * std::max(1.0, largest));
    }
}

}  // namespace litestudio

namespace litestudio {

// Ops of one compiled model that pack the same weights the same way share
// one packed copy (the 1b preset's prefill and decode signatures: 562 MB
// once instead of twice); another compiled model, or other weights, get
// their own.
TEST(Int4BlockwiseFullyConnected, PackedWeightsAreSharedWithinACompiledModel) {
    cpu::XnnpackAccelerator accelerator;
    std::shared_ptr<void> state = accelerator.createCompileState(1), other = accelerator.createCompileState(1);
    KernelContext first, second, elsewhere;
    first.acceleratorState = second.acceleratorState = state.get();
    elsewhere.acceleratorState = other.get();
    int packings = 0;
    auto make = [&] {
        ++packings;
        return std::make_shared<int>(packings);
    };
    std::vector<uintptr_t> identity{4, 0x1000, 64, 128}, otherWeights{4, 0x2000, 64, 128};
    auto a = cpu::sharedPackedWeights(first, identity, make);
    auto b = cpu::sharedPackedWeights(second, identity, make);
    auto c = cpu::sharedPackedWeights(second, otherWeights, make);
    auto d = cpu::sharedPackedWeights(elsewhere, identity, make);
    std::printf("4 requests, %d packings\n", packings);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_NE(a, d);
    EXPECT_EQ(packings, 3);
}

}  // namespace litestudio

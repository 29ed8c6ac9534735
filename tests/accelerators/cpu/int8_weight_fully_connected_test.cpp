// FULLY_CONNECTED with float activations and int8 weights on the cpu
// accelerator: rows 1 (decode) and more than 4, depths not a multiple of 16
// or 64, unit counts across task blocks, per-row and per-tensor scales,
// bias. With AVX-512 VNNI the kernel quantizes each activation row (one
// scale per row) as XNNPACK does, so it is checked exactly against that
// arithmetic done here in double, and within 1 % against the reference
// (which dequantizes the weights instead); without VNNI it must match the
// reference to float rounding.

#include <algorithm>
#include <cmath>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

struct Case {
    int rows, depth, units;
    bool perRow, bias;
};

}  // namespace

TEST(Int8WeightFullyConnected, MatchesTheReference) {
    const bool vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    std::printf("path: %s\n", vnni ? "VNNI on dynamically quantized rows" : "float widening");
    const Case cases[] = {{1, 640, 130, true, false}, {5, 19, 7, true, true}, {9, 256, 64, false, false}, {1, 33, 200, true, true}};
    for (const Case& c : cases) {
        ModelBuilder builder;
        builder.addSubgraph("main");
        int x = builder.addTensor({"x", DataType::Float32, {c.rows, c.depth}});
        std::vector<uint8_t> bytes(static_cast<size_t>(c.units * c.depth));
        uint32_t state = 5;
        for (uint8_t& b : bytes) {
            state ^= state << 13, state ^= state >> 17, state ^= state << 5;
            b = static_cast<uint8_t>(static_cast<int8_t>(static_cast<int>(state % 255) - 127));
        }
        TensorSpec w{"w", DataType::Int8, {c.units, c.depth}, {}, bytes};
        for (int u = 0; u < (c.perRow ? c.units : 1); ++u) w.scales.push_back(0.01f + 0.001f * static_cast<float>(u));
        w.zeroPoints.assign(w.scales.size(), 0);
        int weights = builder.addTensor(w);
        std::vector<float> biasValues(static_cast<size_t>(c.units));
        for (int u = 0; u < c.units; ++u) biasValues[static_cast<size_t>(u)] = 0.5f - 0.01f * static_cast<float>(u);
        int bias = c.bias ? builder.addFloatConstant("b", {c.units}, biasValues) : -1;
        int out = builder.addTensor({"out", DataType::Float32, {c.rows, c.units}});
        builder.addOp({schema::BuiltinOperator_FULLY_CONNECTED, {}, {x, weights, bias}, {out}});
        builder.setInputs({x});
        builder.setOutputs({out});
        auto fast = testing::compileBuilt(builder, {"cpu", "reference"});
        auto reference = testing::compileBuilt(builder, {"reference"});
        ASSERT_TRUE(fast && reference) << (fast ? reference.errorMessage() : fast.errorMessage());
        EXPECT_EQ((*fast)->acceleratorOf(0, 0), "cpu");
        std::vector<float> input(static_cast<size_t>(c.rows * c.depth));
        for (size_t i = 0; i < input.size(); ++i) input[i] = std::sin(0.37f * static_cast<float>(i));
        for (auto* model : {fast->get(), reference->get()}) {
            ASSERT_TRUE(testing::setValues<float>(*model, x, input));
            ASSERT_TRUE(model->run(0));
        }
        auto a = testing::tensorValues<float>(**fast, out), b = testing::tensorValues<float>(**reference, out);
        // The dynamically quantized arithmetic, written out.
        std::vector<double> quantized(a.size());
        for (int r = 0; r < c.rows; ++r) {
            const float* row = input.data() + r * c.depth;
            float largestInput = 0;
            for (int k = 0; k < c.depth; ++k) largestInput = std::max(largestInput, std::abs(row[k]));
            float scale = largestInput > 0 ? largestInput / 127.0f : 1.0f;
            for (int u = 0; u < c.units; ++u) {
                int64_t sum = 0;
                for (int k = 0; k < c.depth; ++k) {
                    int q = static_cast<int>(std::nearbyint(std::clamp(row[k] * (1.0f / scale), -127.0f, 127.0f)));
                    sum += int64_t(q) * static_cast<int8_t>(bytes[static_cast<size_t>(u * c.depth + k)]);
                }
                quantized[static_cast<size_t>(r * c.units + u)] =
                    double(sum) * scale * w.scales[c.perRow ? static_cast<size_t>(u) : 0] + (c.bias ? biasValues[static_cast<size_t>(u)] : 0.0);
            }
        }
        double toReference = 0, toQuantized = 0, largest = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            toReference = std::max(toReference, std::abs(static_cast<double>(a[i]) - b[i]));
            toQuantized = std::max(toQuantized, std::abs(static_cast<double>(a[i]) - quantized[i]));
            largest = std::max(largest, std::abs(static_cast<double>(b[i])));
        }
        std::printf("%d x %d -> %d (%s%s): max |fast - reference| %.2e, |fast - quantized math| %.2e, values up to %.2f\n",
                    c.rows, c.depth, c.units, c.perRow ? "per row" : "per tensor", c.bias ? ", bias" : "", toReference,
                    toQuantized, largest);
        if (vnni) {
            EXPECT_LT(toQuantized, 1e-5 * std::max(1.0, largest));
            EXPECT_LT(toReference, 1e-2 * std::max(1.0, largest));
        } else {
            EXPECT_LT(toReference, 1e-5 * std::max(1.0, largest));
        }
    }
}

}  // namespace litestudio

// FULLY_CONNECTED with float activations and int8 weights on the cpu
// accelerator against the reference (which dequantizes the weights and sums
// in double): rows 1 (decode) and more than 4, depths not a multiple of 16,
// unit counts across task blocks, per-row and per-tensor scales, bias.

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
        double worst = 0, largest = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
            largest = std::max(largest, std::abs(static_cast<double>(b[i])));
        }
        std::printf("%d x %d -> %d (%s%s): max |fast - reference| %.2e of values up to %.2f\n", c.rows, c.depth, c.units,
                    c.perRow ? "per row" : "per tensor", c.bias ? ", bias" : "", worst, largest);
        EXPECT_LT(worst, 1e-5 * std::max(1.0, largest));
    }
}

}  // namespace litestudio

// The float32 BATCH_MATMUL the cpu accelerator runs attention with, against
// the reference kernel (double sums) on shapes that exercise its edges:
// rows not a multiple of 4, depths and widths not a multiple of 16, adj_y
// and plain, batch dimensions broadcast from 1. With a constant right-hand
// side (a projection written as a matmul) XNNPACK's fully connected takes
// it instead: [K, N] and adj_y [N, K] weights, float32 and float16.

#include <cmath>

#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct Case {
    std::vector<int32_t> a, b, out;
    bool adjY;
};

std::vector<float> values(size_t count, uint32_t seed) {
    std::vector<float> v(count);
    for (float& x : v) {
        seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
        x = static_cast<float>(seed >> 8) / 16777216.0f * 2.0f - 1.0f;
    }
    return v;
}

int64_t count(const std::vector<int32_t>& shape) {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    return n;
}

}  // namespace

TEST(FloatBatchMatmul, MatchesTheReference) {
    const Case cases[] = {
        {{1, 1, 4, 256}, {1, 1, 1024, 256}, {1, 1, 4, 1024}, true},  // decode scores: 4 query rows of one KV head
        {{1, 1, 4, 1024}, {1, 1, 1024, 256}, {1, 1, 4, 256}, false}, // decode context
        {{1, 2, 7, 19}, {1, 2, 5, 19}, {1, 2, 7, 5}, true},           // odd rows, depth 19
        {{3, 6, 33}, {1, 33, 70}, {3, 6, 70}, false},                 // batch broadcast, width 70
    };
    for (const Case& c : cases) {
        ModelBuilder builder;
        builder.addSubgraph("main");
        int a = builder.addTensor({"a", DataType::Float32, c.a});
        int b = builder.addTensor({"b", DataType::Float32, c.b});
        int out = builder.addTensor({"out", DataType::Float32, c.out});
        bool adjY = c.adjY;
        builder.addOp({schema::BuiltinOperator_BATCH_MATMUL, {}, {a, b}, {out}, [adjY](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::make_pair(static_cast<uint8_t>(schema::BuiltinOptions_BatchMatMulOptions),
                                                 schema::CreateBatchMatMulOptions(fbb, false, adjY).o);
                       }});
        builder.setInputs({a, b});
        builder.setOutputs({out});
        auto fast = compileBuilt(builder, {"cpu", "reference"});
        auto reference = compileBuilt(builder, {"reference"});
        ASSERT_TRUE(fast && reference);
        EXPECT_EQ((*fast)->acceleratorOf(0, 0), "cpu");
        auto aValues = values(static_cast<size_t>(count(c.a)), 7), bValues = values(static_cast<size_t>(count(c.b)), 11);
        for (auto* model : {fast->get(), reference->get()}) {
            ASSERT_TRUE(testing::setValues<float>(*model, a, aValues));
            ASSERT_TRUE(testing::setValues<float>(*model, b, bValues));
            ASSERT_TRUE(model->run(0));
        }
        auto x = testing::tensorValues<float>(**fast, out), y = testing::tensorValues<float>(**reference, out);
        ASSERT_EQ(x.size(), y.size());
        double worst = 0;
        for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(static_cast<double>(x[i]) - y[i]));
        int64_t depth = c.a.back();
        std::printf("%s x %s%s: %zu values, max difference %.2e\n", shapeText(c.a).c_str(), shapeText(c.b).c_str(),
                    c.adjY ? " (adj_y)" : "", x.size(), worst);
        EXPECT_LT(worst, 1e-6 * static_cast<double>(depth));
    }
}

TEST(FloatBatchMatmul, ConstantWeightsRunAsAFullyConnectedLayer) {
    struct ConstantCase {
        std::vector<int32_t> a, b, out;
        bool adjY, float16;
    };
    const ConstantCase cases[] = {
        {{1, 64, 128}, {1, 128, 512}, {1, 64, 512}, false, false},  // a JAX feed-forward's up projection
        {{2, 3, 5, 19}, {37, 19}, {2, 3, 5, 37}, true, false},
        {{7, 33}, {1, 33, 70}, {1, 7, 70}, false, true},
    };
    for (const ConstantCase& c : cases) {
        ModelBuilder builder;
        builder.addSubgraph("main");
        int a = builder.addTensor({"a", DataType::Float32, c.a});
        std::vector<float> weights = values(static_cast<size_t>(count(c.b)), 11);
        int b = -1;
        if (c.float16) {
            std::vector<uint16_t> halves;
            for (float w : weights) halves.push_back(reference::floatToHalf(w));
            b = builder.addConstant("b", DataType::Float16, c.b, testing::bytesOf<uint16_t>(halves));
        } else {
            b = builder.addFloatConstant("b", c.b, weights);
        }
        int out = builder.addTensor({"out", DataType::Float32, c.out});
        bool adjY = c.adjY;
        builder.addOp({schema::BuiltinOperator_BATCH_MATMUL, {}, {a, b}, {out}, [adjY](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::make_pair(static_cast<uint8_t>(schema::BuiltinOptions_BatchMatMulOptions),
                                                 schema::CreateBatchMatMulOptions(fbb, false, adjY).o);
                       }});
        builder.setInputs({a});
        builder.setOutputs({out});
        auto fast = compileBuilt(builder, {"cpu", "reference"});
        auto reference = compileBuilt(builder, {"reference"});
        ASSERT_TRUE(fast && reference);
        const Model& compiled = (*fast)->model();
        EXPECT_NE(cpu::floatConstantBatchMatmulKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[0]), nullptr);
        EXPECT_EQ((*fast)->acceleratorOf(0, 0), "cpu");
        double worst = testing::largestDifference(**fast, **reference, a, values(static_cast<size_t>(count(c.a)), 7), out, false);
        std::printf("%s x constant %s%s%s: max difference %.2e\n", shapeText(c.a).c_str(), shapeText(c.b).c_str(),
                    c.adjY ? " (adj_y)" : "", c.float16 ? " float16" : "", worst);
        ASSERT_GE(worst, 0.0);
        EXPECT_LT(worst, 1e-6 * static_cast<double>(c.a.back()));
    }
}

}  // namespace litestudio

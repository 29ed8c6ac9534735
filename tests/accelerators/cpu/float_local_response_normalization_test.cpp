// LOCAL_RESPONSE_NORMALIZATION: a row worked out by hand on the reference
// and on cpu (radius 1 over 4 channels, bias 1, alpha 1, beta 0.5 and 1),
// then the AVX-512 kernel against the reference over Inception's 56x56x64
// (radius 2, beta 0.75), a radius past the depth, 1 and 2 threads and a
// last vector of 3 (rows sixteen at a time side by side, a last block of 3
// channels, and the rows past the last sixteen one by one): within 4e-7
// relative (a few ulps of pow). A beta of 0.6 stays on the reference.

#include <cmath>
#include <iostream>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct LrnModel {
    ModelBuilder builder;
    int input = -1, output = -1;
};

LrnModel lrnModel(std::vector<int32_t> shape, int radius, float bias, float alpha, float beta) {
    LrnModel m;
    m.builder.addSubgraph();
    m.input = m.builder.addTensor({"x", DataType::Float32, shape});
    m.output = m.builder.addTensor({"y", DataType::Float32, shape});
    m.builder.addOp({schema::BuiltinOperator_LOCAL_RESPONSE_NORMALIZATION, {}, {m.input}, {m.output}, [=](flatbuffers::FlatBufferBuilder& fbb) {
                         return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_LocalResponseNormalizationOptions,
                                                             schema::CreateLocalResponseNormalizationOptions(fbb, radius, bias, alpha, beta).o};
                     }});
    m.builder.setInputs({m.input});
    m.builder.setOutputs({m.output});
    return m;
}

TEST(FloatLocalResponseNormalization, ARowByHand) {
    // x = 1 2 3 4, radius 1 (channels c-1..c+1), bias 1, alpha 1:
    // sums of squares 5, 14, 29, 25; beta 1 gives x / (1 + sum).
    for (const char* accelerator : {"reference", "cpu"}) {
        if (std::string(accelerator) == "cpu" && !cpu::cpuHasAvx512()) continue;
        for (float beta : {1.0f, 0.5f}) {
            LrnModel m = lrnModel({1, 1, 1, 4}, 1, 1.0f, 1.0f, beta);
            auto model = compileBuilt(m.builder, {accelerator, "reference"});
            ASSERT_TRUE(model) << model.errorMessage();
            EXPECT_EQ((*model)->acceleratorOf(0, 0), accelerator);
            ASSERT_TRUE(testing::setValues<float>(**model, m.input, {1, 2, 3, 4}));
            ASSERT_TRUE((*model)->run(0));
            const std::vector<float> y = testing::tensorValues<float>(**model, m.output);
            const float sums[4] = {5, 14, 29, 25};
            for (int c = 0; c < 4; ++c) EXPECT_NEAR(y[static_cast<size_t>(c)], (c + 1) / std::pow(1.0f + sums[c], beta), 1e-6f) << accelerator;
            std::cout << "  " << accelerator << ", beta " << beta << ": " << y[0] << " " << y[1] << " " << y[2] << " " << y[3] << "\n";
        }
    }
}

TEST(FloatLocalResponseNormalization, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    struct Case {
        std::vector<int32_t> shape;
        int radius;
        float beta;
        int threads;
    };
    const std::vector<Case> cases = {
        {{1, 56, 56, 64}, 2, 0.75f, 1}, {{1, 9, 7, 35}, 5, 0.5f, 2}, {{2, 3, 3, 4}, 9, 1.0f, 1}, {{1, 5, 5, 19}, 2, 0.75f, 2},
    };
    std::mt19937 random(3);
    std::uniform_real_distribution<float> values(-4.0f, 4.0f);
    for (const Case& c : cases) {
        LrnModel m = lrnModel(c.shape, c.radius, 2.0f, 1e-2f, c.beta);
        size_t count = 1;
        for (int32_t d : c.shape) count *= static_cast<size_t>(d);
        std::vector<float> x(count);
        for (float& v : x) v = values(random);
        testing::CpuComparison result = testing::compareCpuWithReference(m.builder, m.input, x, m.output, c.threads);
        ASSERT_TRUE(result.error.empty()) << result.error;
        EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu");
        const double relative = testing::largestDifference(*result.cpu, *result.reference, m.input, x, m.output, true);
        std::cout << "  " << shapeText(c.shape) << " radius " << c.radius << " beta " << c.beta << ", " << c.threads
                  << " thread(s): largest relative difference " << relative << "\n";
        EXPECT_GE(relative, 0.0);
        EXPECT_LE(relative, 4e-7);
    }
    LrnModel other = lrnModel({1, 4, 4, 8}, 2, 1.0f, 1e-3f, 0.6f);
    auto model = compileBuilt(other.builder, {"cpu", "reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    EXPECT_EQ((*model)->acceleratorOf(0, 0), "reference");
}

}  // namespace
}  // namespace litestudio

// The AVX-512 float TANH and GELU (tanh approximation) against the
// reference's double arithmetic: every 1/4096 step over [-12, 12], values
// around 1/16 (where an older TANH switched from a polynomial to an exp
// form), tiny ones down to 1e-30, signed zeros, infinities and NaN; on two
// threads (a last chunk of the thread pool's and a last vector of 7). TANH
// within 3.5e-7 absolutely and relatively (the exp form had been within
// 2e-7 and 2e-6; the rational one is 3e-7, 2.5 ulps near 1), GELU within
// 1e-6 of its magnitude (at least 1); zeros keep their sign, NaN stays NaN.

#include <cmath>
#include <iostream>
#include <limits>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

std::vector<float> probeValues() {
    std::vector<float> x;
    for (int i = -12 * 4096; i <= 12 * 4096; ++i) x.push_back(static_cast<float>(i) / 4096.0f);
    for (float v = 1e-30f; v < 1.0f; v *= 1.7f) x.push_back(v), x.push_back(-v);
    for (int i = -64; i <= 64; ++i) x.push_back(0.0625f + static_cast<float>(i) * 1e-6f);
    x.push_back(-0.0f);
    x.push_back(std::numeric_limits<float>::infinity());
    x.push_back(-std::numeric_limits<float>::infinity());
    x.push_back(std::numeric_limits<float>::quiet_NaN());
    return x;
}

struct Compared {
    double worstAbsolute = 0, worstRelative = 0;
    int signMismatches = 0, nanMismatches = 0;
};

Compared compareUnary(schema::BuiltinOperator code, const std::vector<float>& x, int threads, OptionsWriter options = nullptr) {
    ModelBuilder b;
    b.addSubgraph();
    const std::vector<int32_t> shape{1, static_cast<int32_t>(x.size())};
    int input = b.addTensor({"x", DataType::Float32, shape});
    int output = b.addTensor({"y", DataType::Float32, shape});
    b.addOp({code, {}, {input}, {output}, std::move(options)});
    b.setInputs({input});
    b.setOutputs({output});
    Compared result;
    auto cpu = testing::compileBuilt(b, {"cpu", "reference"}, threads);
    auto reference = testing::compileBuilt(b, {"reference"});
    EXPECT_TRUE(cpu && reference);
    if (!cpu || !reference) return result;
    EXPECT_EQ((*cpu)->acceleratorOf(0, 0), "cpu");
    for (auto* model : {&**cpu, &**reference}) {
        EXPECT_TRUE(testing::setValues<float>(*model, input, x));
        EXPECT_TRUE(model->run(0));
    }
    const std::vector<float> got = testing::tensorValues<float>(**cpu, output), want = testing::tensorValues<float>(**reference, output);
    for (size_t i = 0; i < want.size(); ++i) {
        if (std::isnan(want[i]) || std::isnan(got[i])) {
            result.nanMismatches += std::isnan(want[i]) != std::isnan(got[i]);
            continue;
        }
        result.signMismatches += std::signbit(got[i]) != std::signbit(want[i]);
        const double difference = std::fabs(double(got[i]) - want[i]);
        result.worstAbsolute = std::max(result.worstAbsolute, difference);
        if (want[i] != 0) result.worstRelative = std::max(result.worstRelative, difference / std::fabs(double(want[i])));
    }
    return result;
}

TEST(FloatExpActivations, TanhMatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    std::vector<float> x = probeValues();
    while (x.size() % 16 != 7) x.push_back(0.5f);  // a last vector of 7
    for (int threads : {1, 2}) {
        Compared c = compareUnary(schema::BuiltinOperator_TANH, x, threads);
        std::cout << "  TANH over " << x.size() << " values, " << threads << " thread(s): largest difference " << c.worstAbsolute
                  << " absolute, " << c.worstRelative << " relative; " << c.signMismatches << " signs and " << c.nanMismatches
                  << " NaNs differ\n";
        EXPECT_LE(c.worstAbsolute, 3.5e-7);
        EXPECT_LE(c.worstRelative, 3.5e-7);
        EXPECT_EQ(c.signMismatches, 0);
        EXPECT_EQ(c.nanMismatches, 0);
    }
}

TEST(FloatExpActivations, ApproximateGeluMatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    std::vector<float> x = probeValues();
    x.pop_back();  // NaN: the reference's GELU of NaN is its own business
    Compared c = compareUnary(schema::BuiltinOperator_GELU, x, 1, [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_GeluOptions, schema::CreateGeluOptions(fbb, true).o};
    });
    std::cout << "  GELU (tanh) over " << x.size() << " values: largest difference " << c.worstAbsolute << " absolute\n";
    EXPECT_LE(c.worstAbsolute, 1e-6 * 12);
}

}  // namespace
}  // namespace litestudio

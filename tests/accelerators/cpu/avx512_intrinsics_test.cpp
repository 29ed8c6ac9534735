// swishAvx512 against double arithmetic: every 1/2048 step over [-100, 100]
// (where exp(-x) spans its whole float range and the reduction's n runs to
// +-126), tiny values down to 1e-30 and the edges: within 5e-7 of the exact
// value relatively; +-0 and NaN pass through, +inf stays +inf, -inf gives
// -inf (as the division of the formula does), huge negative inputs come
// out tiny.

#include <cmath>
#include <iostream>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "accelerators/cpu/avx512_intrinsics.h"
#include "accelerators/cpu/cpu_features.h"

namespace litestudio::cpu {
namespace {

// Function applied to every value of x, 16 lanes at a time (a last vector masked).
template <__m512 (*Function)(__m512)>
__attribute__((target("avx512f"))) std::vector<float> valuesOf(const std::vector<float>& x) {
    std::vector<float> y(x.size());
    for (size_t i = 0; i < x.size(); i += 16) {
        const __mmask16 lanes = firstLanes(static_cast<int64_t>(x.size() - i));
        _mm512_mask_storeu_ps(y.data() + i, lanes, Function(_mm512_maskz_loadu_ps(lanes, x.data() + i)));
    }
    return y;
}

std::vector<float> swishOf(const std::vector<float>& x) { return valuesOf<swishAvx512>(x); }
std::vector<float> tanhOf(const std::vector<float>& x) { return valuesOf<tanhAvx512>(x); }

TEST(Avx512Intrinsics, SwishMatchesDoubleArithmetic) {
    if (!cpuHasAvx512()) GTEST_SKIP() << "no AVX-512";
    std::vector<float> x;
    for (int i = -100 * 2048; i <= 100 * 2048; ++i) x.push_back(static_cast<float>(i) / 2048.0f);
    for (float v = 1e-30f; v < 1.0f; v *= 1.7f) x.push_back(v), x.push_back(-v);
    for (float v : {86.9f, 87.0f, 87.1f, 88.7f, -86.9f, -87.0f, -87.1f}) x.push_back(v);
    const std::vector<float> y = swishOf(x);
    double worst = 0;
    float worstAt = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double want = x[i] / (1.0 + std::exp(-static_cast<double>(x[i])));
        if (std::fabs(want) < 1e-30) continue;  // below float's normal range the formula's last steps round
        const double error = std::fabs(y[i] - want) / std::fabs(want);
        if (error > worst) worst = error, worstAt = x[i];
    }
    std::cout << x.size() << " values, largest relative error " << worst << " at " << worstAt << " (float epsilon 1.19e-7)\n";
    EXPECT_LT(worst, 5e-7);
}

TEST(Avx512Intrinsics, SwishEdges) {
    if (!cpuHasAvx512()) GTEST_SKIP() << "no AVX-512";
    const float infinity = std::numeric_limits<float>::infinity();
    const std::vector<float> y = swishOf({0.0f, -0.0f, std::numeric_limits<float>::quiet_NaN(), infinity, -infinity, 1e30f, -1e30f, -200.0f});
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_FALSE(std::signbit(y[0]));
    EXPECT_EQ(y[1], 0.0f);
    EXPECT_TRUE(std::signbit(y[1]));
    EXPECT_TRUE(std::isnan(y[2]));
    EXPECT_EQ(y[3], infinity);
    EXPECT_EQ(y[4], -infinity);
    EXPECT_EQ(y[5], 1e30f);
    EXPECT_LE(std::fabs(y[6]), 1e-7f);  // exactly -0 in double; exp(-x) is held at e^87
    EXPECT_LE(std::fabs(y[7]), 1e-30f);
    std::cout << "swish(+-0) " << y[0] << " " << y[1] << ", swish(+-inf) " << y[3] << " " << y[4] << ", swish(-1e30) " << y[6]
              << ", swish(-200) " << y[7] << "\n";
}

// tanhAvx512 against double arithmetic: every 1/8192 step over [-10, 10]
// (past the hold at 9), every 1e-6 over [0, 0.2] and tiny values: within
// 3.5e-7 relatively; odd to the bit, +-0 and NaN pass through, +-inf gives +-1.
TEST(Avx512Intrinsics, TanhMatchesDoubleArithmetic) {
    if (!cpuHasAvx512()) GTEST_SKIP() << "no AVX-512";
    std::vector<float> x;
    for (int i = -10 * 8192; i <= 10 * 8192; ++i) x.push_back(static_cast<float>(i) / 8192.0f);
    for (int i = 1; i <= 200000; ++i) x.push_back(static_cast<float>(i) * 1e-6f);
    for (float v = 1e-30f; v < 1.0f; v *= 1.7f) x.push_back(v);
    const size_t count = x.size();
    for (size_t i = 0; i < count; ++i) x.push_back(-x[i]);
    const std::vector<float> y = tanhOf(x);
    double worst = 0;
    float worstAt = 0;
    int notOdd = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double want = std::tanh(static_cast<double>(x[i]));
        if (want != 0) {
            const double error = std::fabs(y[i] - want) / std::fabs(want);
            if (error > worst) worst = error, worstAt = x[i];
        }
        if (i < count) notOdd += y[i] != -y[i + count];
    }
    const float infinity = std::numeric_limits<float>::infinity();
    const std::vector<float> edges = tanhOf({0.0f, -0.0f, std::numeric_limits<float>::quiet_NaN(), infinity, -infinity, 1e30f});
    std::cout << x.size() << " values, largest relative error " << worst << " at " << worstAt << ", " << notOdd
              << " not odd; tanh(+-0) " << edges[0] << " " << edges[1] << ", tanh(NaN) " << edges[2] << ", tanh(+-inf) " << edges[3] << " "
              << edges[4] << "\n";
    EXPECT_LT(worst, 3.5e-7);
    EXPECT_EQ(notOdd, 0);
    EXPECT_EQ(edges[0], 0.0f);
    EXPECT_FALSE(std::signbit(edges[0]));
    EXPECT_TRUE(std::signbit(edges[1]));
    EXPECT_TRUE(std::isnan(edges[2]));
    EXPECT_EQ(edges[3], 1.0f);
    EXPECT_EQ(edges[4], -1.0f);
    EXPECT_EQ(edges[5], 1.0f);
}

}  // namespace
}  // namespace litestudio::cpu

// computePlaneMeans: per-channel means over each image's plane, of x and of
// (x - center)^2, in parts on a pool of one to three threads, against sums
// in double here. A constant 3.1 over a 128x128 plane is the case a float
// sum down the plane gets wrong (each addition rounds the same way once the
// sum is large: 16,384 float additions of 3.1 average 3.10038, 8,192 of
// them 3.09976).

#include <pthreadpool.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_plane_means.h"

namespace litestudio {
namespace {

struct PoolDeleter {
    void operator()(pthreadpool_t pool) const { pthreadpool_destroy(pool); }
};

struct AlignedDeleter {
    void operator()(void* p) const { std::free(p); }
};

// The means of x and of (x - mean)^2 over each plane, summed in double.
void exactMoments(const std::vector<float>& x, int64_t batch, int64_t pixels, int64_t channels, std::vector<double>& mean,
                  std::vector<double>& variance) {
    mean.assign(static_cast<size_t>(batch * channels), 0.0);
    variance.assign(mean.size(), 0.0);
    for (int64_t image = 0; image < batch; ++image)
        for (int64_t c = 0; c < channels; ++c) {
            double sum = 0.0, squares = 0.0;
            for (int64_t p = 0; p < pixels; ++p) sum += x[static_cast<size_t>((image * pixels + p) * channels + c)];
            const double m = sum / static_cast<double>(pixels);
            // The kernel centres on the float mean it wrote, as the fused op does.
            const double center = static_cast<float>(m);
            for (int64_t p = 0; p < pixels; ++p) {
                const double d = static_cast<double>(x[static_cast<size_t>((image * pixels + p) * channels + c)]) - center;
                squares += d * d;
            }
            mean[static_cast<size_t>(image * channels + c)] = m;
            variance[static_cast<size_t>(image * channels + c)] = squares / static_cast<double>(pixels);
        }
}

TEST(FloatPlaneMeans, MeansAndSquaredDeviationsMatchDoubleSums) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the plane means are not used here";
    struct Case {
        int64_t batch, height, width, channels;
        int threads;
        bool constant;  // every value 3.1
    };
    const std::vector<Case> cases = {
        {1, 128, 128, 20, 2, true},   // 16,384 pixels, 4 lanes past a vector
        {1, 128, 128, 20, 1, true},   // one part, no pool
        {2, 19, 19, 200, 3, false},   // 120-121 pixels a part, 8 lanes past 12 vectors
        {1, 64, 64, 32, 2, false},    // style transfer's instance norm
        {3, 1, 2, 1030, 2, false},    // one pixel a part
    };
    std::mt19937 random(41);
    std::uniform_real_distribution<float> values(2.0f, 4.0f);
    for (const Case& c : cases) {
        const int64_t pixels = c.height * c.width;
        std::vector<float> x(static_cast<size_t>(c.batch * pixels * c.channels));
        for (float& v : x) v = c.constant ? 3.1f : values(random);
        std::vector<double> mean, variance;
        exactMoments(x, c.batch, pixels, c.channels, mean, variance);

        std::unique_ptr<pthreadpool, PoolDeleter> pool(c.threads > 1 ? pthreadpool_create(static_cast<size_t>(c.threads)) : nullptr);
        const cpu::PlaneMeans means{x.data(), c.batch, pixels, c.channels, std::min<int64_t>(c.threads, pixels)};
        const size_t bytes = (cpu::planeMeansScratchBytes(means) + 63) / 64 * 64;
        std::unique_ptr<void, AlignedDeleter> scratch(std::aligned_alloc(64, bytes));
        std::vector<float> gotMean(mean.size()), gotVariance(mean.size());
        cpu::computePlaneMeans(pool.get(), means, nullptr, scratch.get(), gotMean.data());
        cpu::computePlaneMeans(pool.get(), means, gotMean.data(), scratch.get(), gotVariance.data());

        double worstMean = 0.0, worstVariance = 0.0;
        for (size_t i = 0; i < mean.size(); ++i) {
            worstMean = std::max(worstMean, std::abs(gotMean[i] - mean[i]) / std::abs(mean[i]));
            worstVariance = std::max(worstVariance, std::abs(gotVariance[i] - variance[i]));
        }
        std::cout << "  [" << c.batch << ", " << c.height << ", " << c.width << ", " << c.channels << "] on " << c.threads
                  << " threads: mean off by " << worstMean << " of itself, variance by " << worstVariance << "\n";
        // Runs of 64 floats: 3.1 comes out 5.4e-7 off (the constant's
        // variance then 2.8e-12); one float sum per part was 8e-5 off.
        EXPECT_LE(worstMean, 1e-6);
        EXPECT_LE(worstVariance, c.constant ? 1e-11 : 1e-6);
    }
}

}  // namespace
}  // namespace litestudio

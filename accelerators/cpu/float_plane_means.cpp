#include "accelerators/cpu/float_plane_means.h"

#include <algorithm>
#include <utility>

#include "accelerators/cpu/avx512_intrinsics.h"
#include "accelerators/cpu/thread_session.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int kMostVectors = 8;  // sums held in registers over a part's pixels
constexpr int64_t kRunPixels = 64;
// Below this many floats a plane stays in one part: EfficientNet's
// 7x7x1152 means ran 0.005-0.008 ms on one thread and 0.007-0.011 split in
// two, its 14x14x480 ones 0.012-0.013 and 0.011-0.012 (AMD EPYC,
// 2026-12-02).
constexpr int64_t kLeastSplitFloats = 64 * 1024;

int64_t paddedChannels(int64_t channels) { return (channels + kLanes - 1) / kLanes * kLanes; }

struct MeansRun {
    const PlaneMeans& means;
    const float* centers;  // [batch][channels], or null
    double* partials;      // [batch][parts][paddedChannels]
    int64_t padded;
};

// Pixels [first, end) of one image, channels [c, c + 16 * Vectors): the
// sums of x, or of (x - center)^2 where `center` is given.
template <int Vectors>
__attribute__((target("avx512f"))) void sumChannels(const float* image, int64_t channels, const float* center, int64_t c, int64_t first,
                                                  int64_t end, double* sums) {
    __m512 centerValues[Vectors];
    __m512d total[Vectors][2];
    __mmask16 lanes[Vectors];
    for (int v = 0; v < Vectors; ++v) {
        total[v][0] = total[v][1] = _mm512_setzero_pd();
        lanes[v] = firstLanes(channels - c - v * kLanes);
        centerValues[v] = center ? _mm512_maskz_loadu_ps(lanes[v], center + c + v * kLanes) : _mm512_setzero_ps();
    }
    for (int64_t begin = first; begin < end; begin += kRunPixels) {
        __m512 run[Vectors];
        for (int v = 0; v < Vectors; ++v) run[v] = _mm512_setzero_ps();
        for (int64_t p = begin; p < std::min(end, begin + kRunPixels); ++p) {
            const float* pixel = image + p * channels + c;
            for (int v = 0; v < Vectors; ++v) {
                const __m512 x = _mm512_maskz_loadu_ps(lanes[v], pixel + v * kLanes);
                if (center) {
                    const __m512 d = _mm512_sub_ps(x, centerValues[v]);
                    run[v] = _mm512_fmadd_ps(d, d, run[v]);
                } else {
                    run[v] = _mm512_add_ps(run[v], x);
                }
            }
        }
        for (int v = 0; v < Vectors; ++v) {
            total[v][0] = _mm512_add_pd(total[v][0], _mm512_cvtps_pd(_mm512_castps512_ps256(run[v])));
            total[v][1] = _mm512_add_pd(total[v][1], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(run[v]), 1))));
        }
    }
    for (int v = 0; v < Vectors; ++v) {
        _mm512_storeu_pd(sums + c + v * kLanes, total[v][0]);
        _mm512_storeu_pd(sums + c + v * kLanes + 8, total[v][1]);
    }
}

template <int... V>
void sumChannelsOf(int vectors, const float* image, int64_t channels, const float* center, int64_t c, int64_t first, int64_t end, double* sums,
                   std::integer_sequence<int, V...>) {
    ((vectors == V + 1 ? sumChannels<V + 1>(image, channels, center, c, first, end, sums) : void()), ...);
}

// One part of one image's plane: its sums for every channel.
void sumPart(void* context, size_t task) {
    const auto& run = *static_cast<const MeansRun*>(context);
    const PlaneMeans& means = run.means;
    const auto image = static_cast<int64_t>(task) / means.parts, part = static_cast<int64_t>(task) % means.parts;
    const int64_t first = means.pixels * part / means.parts, end = means.pixels * (part + 1) / means.parts;
    const float* input = means.input + image * means.pixels * means.channels;
    const float* center = run.centers ? run.centers + image * means.channels : nullptr;
    double* sums = run.partials + static_cast<int64_t>(task) * run.padded;
    for (int64_t c = 0; c < means.channels; c += kMostVectors * kLanes) {
        const auto vectors = static_cast<int>(std::min<int64_t>(kMostVectors, (means.channels - c + kLanes - 1) / kLanes));
        sumChannelsOf(vectors, input, means.channels, center, c, first, end, sums, std::make_integer_sequence<int, kMostVectors>());
    }
}

}  // namespace

PlaneMeans planeMeansOf(const RuntimeTensor& input, int64_t parts) {
    return {input.as<float>(), input.dim(0), int64_t{input.dim(1)} * input.dim(2), input.dim(3), parts};
}

int64_t planeParts(pthreadpool_t pool, const RuntimeTensor& input) {
    if (!pool || input.elementCount() < kLeastSplitFloats) return 1;
    return std::max<int64_t>(1, std::min<int64_t>(static_cast<int64_t>(pthreadpool_get_threads_count(pool)), int64_t{input.dim(1)} * input.dim(2)));
}

size_t planeMeansScratchBytes(const PlaneMeans& means) {
    return static_cast<size_t>(means.batch * means.parts * paddedChannels(means.channels)) * sizeof(double) + 64;
}

void computePlaneMeans(pthreadpool_t pool, const PlaneMeans& means, const float* centers, void* scratch, float* out) {
    MeansRun run{means, centers, static_cast<double*>(scratch), paddedChannels(means.channels)};
    parallelize1d(pool, sumPart, &run, static_cast<size_t>(means.batch * means.parts));
    const auto count = static_cast<double>(means.pixels);
    for (int64_t image = 0; image < means.batch; ++image)
        for (int64_t c = 0; c < means.channels; ++c) {
            double sum = 0.0;
            for (int64_t part = 0; part < means.parts; ++part) sum += run.partials[(image * means.parts + part) * run.padded + c];
            out[image * means.channels + c] = static_cast<float>(sum / count);
        }
}

}  // namespace litestudio::cpu

#pragma once
// The activation our float convolution kernels apply last for a fused
// PRELU, swish or HARD_SWISH (Op::Epilogue), 16 values at a time.

#include "accelerators/cpu/avx512_intrinsics.h"

#include <cstdint>
#include <numeric>
#include <vector>

#include "core/graph/model.h"

namespace litestudio::cpu {

// x * relu6(x + 3) / 6, as the reference computes it (x * (x/6 + 1/2)
// clamped to [0, 1] would round differently).
__attribute__((target("avx512f"), always_inline)) inline __m512 hardSwishAvx512(__m512 x) {
    const __m512 clamped = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(x, _mm512_set1_ps(3.0f)), _mm512_setzero_ps()), _mm512_set1_ps(6.0f));
    return _mm512_div_ps(_mm512_mul_ps(x, clamped), _mm512_set1_ps(6.0f));
}

// `value`, channels [channel, channel + 16), through `epilogue`; `slopes`
// are a PRELU's per channel (touched only for Op::Epilogue::Prelu: other
// epilogues have none, and may pass null).
__attribute__((target("avx512f"), always_inline)) inline __m512 applyEpilogue(Op::Epilogue epilogue, __m512 value, const float* slopes,
                                                                           int64_t channel) {
    switch (epilogue) {
    case Op::Epilogue::Prelu: return preluAvx512(value, _mm512_loadu_ps(slopes + channel));
    case Op::Epilogue::Swish: return swishAvx512(value);
    case Op::Epilogue::HardSwish: return hardSwishAvx512(value);
    default: return value;
    }
}

// An epilogue run over whole rows of pixels side by side, `channels` values
// a pixel, 16 values at a time whatever the channel count: a PRELU's slopes
// repeated over lcm(channels, 16) values, so that value i of a row takes
// values[i % period]. Channels [c, c + 16) of one pixel, c a multiple of
// 16, are values[c ..] too (the period is a multiple of 16 and at least
// the channels rounded up to one). Pixel by pixel, 8 channels (a half-masked load and
// store a pixel) had cost hair segmentation's 256x256x8 stem 1.19 ms
// against 0.63 this way, and face landmark's 96x96x16 one 0.138 against
// 0.129 (alternating runs in one process).
struct SlopePattern {
    std::vector<float> values;  // empty: no PRELU slopes
    int64_t period = 16;
};

// `slopes` one per channel (at least `channels` of them), or empty.
inline SlopePattern slopePatternOf(const std::vector<float>& slopes, int64_t channels) {
    SlopePattern pattern;
    if (slopes.empty() || channels < 1 || static_cast<int64_t>(slopes.size()) < channels) return pattern;
    pattern.period = std::lcm<int64_t>(channels, 16);
    pattern.values.resize(static_cast<size_t>(pattern.period));
    for (int64_t i = 0; i < pattern.period; ++i) pattern.values[static_cast<size_t>(i)] = slopes[static_cast<size_t>(i % channels)];
    return pattern;
}

// `floats` values from `row` (whole pixels, starting at channel 0) through
// `epilogue`, in place; `slopes` a PRELU's (slopePatternOf).
__attribute__((target("avx512f"))) inline void applyEpilogueOverRow(Op::Epilogue epilogue, const SlopePattern& slopes, float* row,
                                                                   int64_t floats) {
    int64_t offset = 0;  // into the pattern
    for (int64_t i = 0; i < floats; i += 16) {
        const __mmask16 lanes = firstLanes(floats - i);
        _mm512_mask_storeu_ps(row + i, lanes, applyEpilogue(epilogue, _mm512_maskz_loadu_ps(lanes, row + i), slopes.values.data(), offset));
        offset += 16;
        if (offset == slopes.period) offset = 0;
    }
}

}  // namespace litestudio::cpu

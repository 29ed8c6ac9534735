#pragma once
// The last step of the VNNI convolution kernels (vnni_pointwise_convolution,
// quantized_stem_convolution): exact int32 sums of 16 output channels, each
// channel's offset added, to output bytes as the reference requantizes them
// (float32 scale, clamp, round half to even, the zero point).

#include "accelerators/cpu/avx512_intrinsics.h"

#include <cstdint>
#include <vector>

#include "core/kernels/kernel.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

struct VnniRequantization {
    std::vector<int32_t> offsets;    // per channel, padded to whole blocks of 16: the bias and the zero-point terms
    std::vector<float> multipliers;  // per channel, padded likewise
    float low = 0, high = 0;         // clamp, zero point removed
    int32_t outputZeroPoint = 0;
    bool unsignedOutput = false;

    // Multipliers and clamp of a convolution of `input` by `filter` into
    // `output`, `channels` of them, clamped by `activation` (an
    // ActivationFunctionType); the offsets zeroed, for the kernel to set.
    void set(const RuntimeTensor& input, const RuntimeTensor& filter, const RuntimeTensor& output, int64_t channels, int activation) {
        const size_t padded = static_cast<size_t>((channels + 15) / 16 * 16);
        const reference::Requantizer requantize(input, filter, output, static_cast<schema::ActivationFunctionType>(activation));
        offsets.assign(padded, 0);
        multipliers.assign(padded, 0.0f);
        for (int64_t n = 0; n < channels; ++n) multipliers[static_cast<size_t>(n)] = requantize.multiplier(n);
        low = requantize.low();
        high = requantize.high();
        outputZeroPoint = output.zeroPoint();
        unsignedOutput = output.type == DataType::UInt8;
    }
};

// Channels [channel, channel + valid) of one pixel from their sums (the
// offsets not yet added) into `target`.
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline void storeRequantized(const VnniRequantization& q, __m512i sums,
                                                                                               int64_t channel, int64_t valid, uint8_t* target) {
    const __m512i sum = _mm512_add_epi32(sums, _mm512_loadu_si512(q.offsets.data() + channel));
    __m512 value = _mm512_mul_ps(_mm512_cvtepi32_ps(sum), _mm512_loadu_ps(q.multipliers.data() + channel));
    value = _mm512_min_ps(_mm512_max_ps(value, _mm512_set1_ps(q.low)), _mm512_set1_ps(q.high));
    const __m512i quantized = _mm512_add_epi32(_mm512_cvtps_epi32(value), _mm512_set1_epi32(q.outputZeroPoint));  // round half to even
    const auto mask = static_cast<__mmask16>(valid >= 16 ? 0xffffu : (1u << valid) - 1u);
    if (q.unsignedOutput) _mm_mask_storeu_epi8(target, mask, _mm512_cvtusepi32_epi8(_mm512_max_epi32(quantized, _mm512_setzero_si512())));
    else _mm_mask_storeu_epi8(target, mask, _mm512_cvtsepi32_epi8(quantized));
}

}  // namespace litestudio::cpu

#pragma once
// The activation our float convolution kernels apply last for a fused
// PRELU, swish or HARD_SWISH (Op::Epilogue), 16 values at a time.

#include "accelerators/cpu/avx512_intrinsics.h"
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

}  // namespace litestudio::cpu

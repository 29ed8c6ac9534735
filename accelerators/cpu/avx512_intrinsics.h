#pragma once
// The AVX-512 intrinsics our own kernels use (compiled per function with
// target attributes and chosen at run time by CPU features).

// GCC 12 warns inside its own AVX-512 intrinsic headers (bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <cstdint>

namespace litestudio::cpu {

// The first `count` of 16 lanes; all 16 from 16 up (a row's last vector).
inline __mmask16 firstLanes(int64_t count) {
    return count >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << count) - 1u);
}

// PRELU lane by lane: `value` where it is positive, `value` x `slopes` where negative.
__attribute__((target("avx512f"), always_inline)) inline __m512 preluAvx512(__m512 value, __m512 slopes) {
    const __m512 zero = _mm512_setzero_ps();
    return _mm512_fmadd_ps(_mm512_min_ps(value, zero), slopes, _mm512_max_ps(value, zero));
}

// exp(t) for t in [-87, 87]: t = n ln2 + r, |r| <= ln2 / 2, exp(r) by its
// Taylor polynomial to degree 6 (relative error under 2e-7), times 2^n.
__attribute__((target("avx512f"), always_inline)) inline __m512 exponentialAvx512(__m512 t) {
    t = _mm512_max_ps(_mm512_min_ps(t, _mm512_set1_ps(87.0f)), _mm512_set1_ps(-87.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(t, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), t);  // ln2, high part
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);  // ln2, low part
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

// x * sigmoid(x) (swish, SiLU) as x / (1 + exp(-x)): what EfficientNet's and
// YOLO's LOGISTIC + MUL pairs compute, within a few float ulps.
__attribute__((target("avx512f"), always_inline)) inline __m512 swishAvx512(__m512 x) {
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), exponentialAvx512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

// Up to 16 int8 (Signed) or uint8 values at `at`, one int32 lane each;
// lanes outside `mask` read nothing and hold 0.
template <bool Signed>
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m512i loadBytesAsInt32(const uint8_t* at, __mmask16 mask) {
    const __m128i bytes = _mm_maskz_loadu_epi8(mask, at);
    return Signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes);
}

}  // namespace litestudio::cpu

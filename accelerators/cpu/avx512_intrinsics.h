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

// Up to 16 int8 (Signed) or uint8 values at `at`, one int32 lane each;
// lanes outside `mask` read nothing and hold 0.
template <bool Signed>
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m512i loadBytesAsInt32(const uint8_t* at, __mmask16 mask) {
    const __m128i bytes = _mm_maskz_loadu_epi8(mask, at);
    return Signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes);
}

}  // namespace litestudio::cpu

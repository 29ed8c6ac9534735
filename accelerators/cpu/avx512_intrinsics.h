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
// YOLO's LOGISTIC + MUL pairs compute, within 4e-7 of it relatively (a
// sweep of [-100, 100] against double precision; exponentialAvx512's form
// 2.8e-7). Its own exp(-x) takes fewer FMA-pipe steps: n = round(-x log2 e)
// by adding 1.5 x 2^23 (n then sits in the sum's low bits), one reduction
// step (|n| <= 126: the error of ln 2 in float stays under 2e-7), a degree-5
// polynomial fitted for least relative error (1.05e-7 on [-ln2/2, ln2/2]),
// and 2^n added to the exponent bits. 3.3 ns a vector against 4.1 alone on
// Zen 4; EfficientNet-B0-shaped 0.987x its time (four processes).
__attribute__((target("avx512f"), always_inline)) inline __m512 swishAvx512(__m512 x) {
    const __m512 magic = _mm512_set1_ps(12582912.0f);  // 1.5 x 2^23
    const __m512 clamped = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(87.0f)), _mm512_set1_ps(-87.0f));
    const __m512 shifted = _mm512_fnmadd_ps(clamped, _mm512_set1_ps(1.44269504088896341f), magic);  // magic + n
    const __m512 n = _mm512_sub_ps(shifted, magic);
    const __m512 r = _mm512_fnmsub_ps(n, _mm512_set1_ps(0.693147180559945f), clamped);  // -x - n ln 2
    __m512 p = _mm512_set1_ps(0.008312512189149857f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.04189011827111244f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.16667114198207855f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.499992311000824f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    const __m512i exponent = _mm512_slli_epi32(_mm512_castps_si512(shifted), 23);  // n << 23: the magic's bits shift out
    const __m512 e = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(p), exponent));
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

// tanh(x) as x N(x^2) / D(x^2), N of degree 5 and D of degree 3, for |x|
// held to 9 (past it tanh is 1 in float). The coefficients were fitted
// here for least relative error over [0, 9] (tools/fit_tanh_rational.py:
// Sanathanan-Koerner iterations, then Lawson's reweighting, in 60-digit
// decimals): 5.9e-8, under float's half ulp. In float it is within 3e-7 of
// tanh relatively (2.5 ulps near 1, where the rounding of N and D adds
// up), odd (a signed zero keeps its sign), NaN stays NaN and +-inf gives
// +-1. No exp, blend or reciprocal step: 3.5 ns a vector on Zen 4 where
// the exp form sign(x) (1 - 2 / (exp(2|x|) + 1)), with a polynomial near
// 0, took 6.9.
__attribute__((target("avx512f"), always_inline)) inline __m512 tanhAvx512(__m512 x) {
    // min and max return their second operand when either is NaN: x there keeps a NaN.
    const __m512 held = _mm512_max_ps(_mm512_set1_ps(-9.0f), _mm512_min_ps(_mm512_set1_ps(9.0f), x));
    const __m512 t = _mm512_mul_ps(held, held);
    __m512 n = _mm512_set1_ps(1.8256227989585254e-11f);
    n = _mm512_fmadd_ps(n, t, _mm512_set1_ps(-1.278087883788477e-08f));
    n = _mm512_fmadd_ps(n, t, _mm512_set1_ps(9.267585969169487e-06f));
    n = _mm512_fmadd_ps(n, t, _mm512_set1_ps(0.0029207816269388727f));
    n = _mm512_fmadd_ps(n, t, _mm512_set1_ps(0.12919247634168074f));
    n = _mm512_fmadd_ps(n, t, _mm512_set1_ps(0.9999999415830864f));
    __m512 d = _mm512_set1_ps(0.0002281028290085727f);
    d = _mm512_fmadd_ps(d, t, _mm512_set1_ps(0.02376325190510531f));
    d = _mm512_fmadd_ps(d, t, _mm512_set1_ps(0.4625253159591148f));
    d = _mm512_fmadd_ps(d, t, _mm512_set1_ps(1.0f));
    return _mm512_div_ps(_mm512_mul_ps(held, n), d);
}

// Up to 16 int8 (Signed) or uint8 values at `at`, one int32 lane each;
// lanes outside `mask` read nothing and hold 0.
template <bool Signed>
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m512i loadBytesAsInt32(const uint8_t* at, __mmask16 mask) {
    const __m128i bytes = _mm_maskz_loadu_epi8(mask, at);
    return Signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes);
}

}  // namespace litestudio::cpu

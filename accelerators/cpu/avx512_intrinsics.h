#pragma once
// The AVX-512 intrinsics our own kernels use (compiled per function with
// target attributes and chosen at run time by CPU features).

// GCC 12 warns inside its own AVX-512 intrinsic headers (bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

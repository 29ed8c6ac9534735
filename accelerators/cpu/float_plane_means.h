#pragma once
// Per-channel means over each image's plane of a float32 [N, H, W, C]
// tensor, each plane split into parts over the pool (AVX-512). MEAN over
// height and width takes them of x; a fused instance norm's moments take
// them of x, then of (x - mean)^2.
//
// Each part sums runs of 64 pixels in float and adds the runs up in
// double: one float sum down a 64x64 plane of values near 3 was off by
// 1e-5 of the normalized outputs after it.

#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>

#include "core/kernels/kernel.h"

namespace litestudio::cpu {

struct PlaneMeans {
    const float* input;  // [batch][pixels][channels]
    int64_t batch, pixels, channels;
    int64_t parts;  // of each plane, one a task on the pool
};

// The means of `input`, a float32 [N, H, W, C], each plane in `parts`.
PlaneMeans planeMeansOf(const RuntimeTensor& input, int64_t parts);

// How many parts each plane of `input` splits into on `pool`: one a
// thread, no more than its pixels; 1 without a pool or under 64K floats.
int64_t planeParts(pthreadpool_t pool, const RuntimeTensor& input);

// The partial sums' scratch, 64 bytes of alignment slack included.
size_t planeMeansScratchBytes(const PlaneMeans& means);

// out[image][c]: the mean over the plane of x, or of (x - centers[image][c])^2
// where `centers` is given. `scratch` is 64-byte aligned and
// planeMeansScratchBytes long (less the slack).
void computePlaneMeans(pthreadpool_t pool, const PlaneMeans& means, const float* centers, void* scratch, float* out);

}  // namespace litestudio::cpu

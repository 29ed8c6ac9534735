#pragma once
// float32 elementwise work that Debian's XNNPACK (2022) keeps on one
// thread, split over the model's pool instead (AVX-512):
// - ADD/SUB/MUL of two operands of one shape (XNNPACK merges them into a
//   single row and hands it to one thread);
// - ADD/SUB/MUL of a tensor and one value per channel, 16 or more (a squeeze-and-
//   excitation block's scaling: XNNPACK gives each task one pixel's
//   channels, too little to hand out, so it stays on one thread);
// - MEAN over height and width (XNNPACK's global average pooling splits
//   over the batch only).
// Left on one thread, such an op reads the half of its input that the
// other core wrote, out of that core's cache: on the AMD EPYC development
// machine of 2026-12-02 that is 3-8x slower than reading one's own (64 KB:
// 2.4 against 0.4 us; 1 MB: 41 against 12), and EfficientNet's
// squeeze-and-excitation MULs and MEANs took twice as long on two threads
// as on one.

#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// Runs the binary op of `context` (ADD, SUB or MUL, clamped by its fused
// activation) on the pool when it is one of the two shapes above and big
// enough to split; false, touching nothing, otherwise.
bool runsBinaryOnThreads(KernelContext& context);

// The MEAN over axes 1 and 2 of a 4-D float32 tensor, split over pixels
// (computePlaneMeans, float_plane_means.h).
// At prepare: how many parts each image's plane is split into, the
// partial sums' scratch asked for; 0 when the op stays on one thread (no
// pool, or too small a plane to split).
int64_t spatialMeanParts(KernelContext& context);
void runSpatialMeanOnThreads(KernelContext& context, int64_t parts);

}  // namespace litestudio::cpu

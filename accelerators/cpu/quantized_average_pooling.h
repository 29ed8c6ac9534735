#pragma once
// int8/uint8 AVERAGE_POOL_2D whose input and output share one
// quantization, as TFLite's integer kernel computes it: each window's sum
// of stored values (padding not counted), rounded half away from zero on
// division by the count, clamped to the activation's range. 32 channels a
// vector in 16-bit sums, threaded by output rows. The scalar reference
// took 5 ms for an Inception block's 3x3 pool over 35x35x384 (LiteRT.js:
// 2.9 ms for it alone).

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one it takes (8-bit
// per-tensor input and output of one quantization, a window of at most
// 256 values) or the CPU lacks AVX-512.
const KernelDef* quantizedAveragePoolingKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

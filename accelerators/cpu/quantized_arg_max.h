#pragma once
// ARG_MAX and ARG_MIN of int8/uint8 values over the innermost axis (a
// segmentation model's class per pixel), up to 64 values a pixel: one
// masked vector per pixel, on the thread pool. DeepLab's 513x513x21
// ARG_MAX took 3.2 ms of its 19 on the scalar reference.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one of those (a
// constant innermost axis of at most 64 8-bit values, positive scale) or
// the CPU lacks AVX-512.
const KernelDef* quantizedArgMaxKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

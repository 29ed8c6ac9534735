#pragma once
// int8/uint8 RESIZE_BILINEAR with the same quantization in and out, on
// AVX-512 and the thread pool, bit for bit the reference's Q11 arithmetic
// (XNNPACK's). DeepLab upsamples its 65x65x21 logits to 513x513 with it:
// 3.1 ms of its 19 on the scalar reference. Where the runtime folded the
// ARG_MAX after it (Op::fusedArgMax), each row is made in a buffer and only
// its pixels' class indices are written.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not such a resize with a
// constant size (with a fused ARG_MAX: of 8-bit values with one positive
// scale, at most 64 channels, int32 or int64 indices), or the CPU lacks
// AVX-512.
const KernelDef* quantizedResizeBilinearKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

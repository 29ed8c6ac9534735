#pragma once
// float32 RESIZE_BILINEAR on AVX-512 and the thread pool, with the clamp of
// a folded activation (or of the 1x1 convolution that core/runtime/
// resize_convolution_swap moved before it), and the ADD after it where
// core/runtime/residual_add_fusion folded one in (Op::fusedResidual). XNNPACK's 2022 operator
// rebuilds its indirection buffer (four pointers per output pixel) on every
// run and walks it pixel by pixel: pose landmark's [128,128,8] -> [256,256,8]
// took 0.79 ms of the model's 13.
//
// Columns first, as the quantized kernel: each input row an output row reads
// is blended to the output's width once, then every output row is one flat
// blend of two such rows. The arithmetic is XNNPACK's (LiteRT's): the
// weights in float32 from the same positions, a horizontal then a vertical
// step of a + (b - a) * alpha each, fused multiply-adds.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not a float32 resize with a
// constant size (or the CPU lacks AVX-512).
const KernelDef* floatResizeBilinearKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

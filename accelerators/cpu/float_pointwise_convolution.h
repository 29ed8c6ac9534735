#pragma once
// float32 1x1 CONV_2D (stride 1, dense weights) as a register-blocked GEMM
// on AVX-512. Debian's 2022 XNNPACK runs these through a 7x16 microkernel:
// one weight vector per step for seven broadcasts, so loads, not FMAs, set
// its pace, and pose landmark heavy's 1x1 layers ran at 31-50 GMAC/s (70 %
// of the model). Here a step takes four weight vectors (64 output channels)
// and six pixels' broadcasts into 24 accumulators: 10 loads feed 24 FMAs.
// Weights are packed per block of 64 output channels, each block's column
// of K values contiguous, and a thread runs all pixel tiles of one block in
// turn so that the block stays in L2.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one this kernel takes
// (or the CPU lacks AVX-512).
const KernelDef* floatPointwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

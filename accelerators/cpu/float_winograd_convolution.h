#pragma once
// float32 3x3 CONV_2D at stride 1 by Winograd's F(2x2, 3x3): each 2x2
// block of outputs comes from a 4x4 patch of input turned into 16
// transformed values per channel, 16 GEMMs of those against the transformed
// filter (16 x in x out, made once at prepare), and a transform back. That is
// 16 multiplies per input channel, output channel and 2x2 block where the
// direct convolution (XNNPACK's) does 36: the dense 3x3 layers of ResNets,
// VGGs and U-Nets do 2.25x fewer FMAs. The GEMMs are the dense 1x1
// kernel's (float_pointwise_convolution.h). Results differ from the direct
// sum by rounding only (the transforms add and halve).

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one this kernel takes:
// a float32 3x3 CONV_2D at stride and dilation 1 with constant weights, a
// clamp for its activation (and a fused PRELU, swish or HARD_SWISH after
// it, Op::fusedEpilogue), 16 or more input channels and 32 or more
// output channels over a plane of 100 or more outputs (on smaller ones the
// transformed weights, 16/9 of the filter, outweigh the work saved), or
// the CPU lacks AVX-512.
const KernelDef* floatWinogradConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

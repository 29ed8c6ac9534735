#pragma once
// uint8/int8 DEPTHWISE_CONV_2D (depth multiplier 1) on AVX-512 VNNI, bit
// for bit the reference kernel's result: exact int32 sums, then the same
// float32 requantization. Debian's 2022 XNNPACK ran these at ~10 GMAC/s
// here, a third of a quantized MobileNet v2's time (2.0 ms of 5.7).

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not a depthwise convolution
// this kernel takes (or the CPU lacks AVX-512 VNNI).
const KernelDef* quantizedDepthwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

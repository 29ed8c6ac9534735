#pragma once
// float32 DEPTHWISE_CONV_2D (depth multiplier 1; 5x5 and 7x7, and 3x3 on
// up to 32 channels; stride 1 or 2) on AVX-512. Debian's 2022 XNNPACK
// reloads every weight and input for every output pixel and ran MediaPipe's
// 5x5 layers at ~18 GMAC/s here; this kernel slides along a row instead, so
// each input vector is loaded once per kernel row for four outputs.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one this kernel takes
// (or the CPU lacks AVX-512).
const KernelDef* floatDepthwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

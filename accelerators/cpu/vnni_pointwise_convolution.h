#pragma once
// int8/uint8 CONV_2D and FULLY_CONNECTED on AVX-512 VNNI, bit-exact with
// the reference kernels; chosen at run time when the CPU has VNNI, XNNPACK
// (convolutions) or the reference (fully connected layers) otherwise.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

bool vnniAvailable();
// The kernel for this op, or nullptr when it is not a pointwise quantized
// convolution this kernel takes (or the CPU lacks VNNI).
const KernelDef* vnniPointwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

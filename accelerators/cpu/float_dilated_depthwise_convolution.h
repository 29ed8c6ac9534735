#pragma once
// float32 DEPTHWISE_CONV_2D with dilation (DeepLab v3's atrous depthwise
// layers, rates 2 and 4) on the undilated depthwise rows of
// float_depthwise_convolution.h, reading and writing the tensors in place.
// Rows are dilated by which input rows an output row reads. Columns are
// split into phases: output column ox = q + d * j reads input columns
// q - padLeft + d * (j + kx), every d-th column from one start, so the
// outputs j of phase q are an undilated convolution over a row whose
// pixels lie d pixels apart, in the input as in the output. Debian's 2022
// XNNPACK ran DeepLab's 33x33x480 rate-4 layers at 10-12 GMAC/s.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one this kernel takes:
// a float32 DEPTHWISE_CONV_2D at stride 1 with a dilation of 2 to 8 (over
// rows, columns or both), depth multiplier 1, a square 3x3, 5x5 or 7x7
// constant filter and a clamp for its activation, or the CPU lacks AVX-512.
const KernelDef* floatDilatedDepthwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// float32 transposed convolutions on XNNPACK's deconvolution: the builtin
// TRANSPOSE_CONV and MediaPipe's Convolution2DTransposeBias (the upsampling
// decoder of its segmentation models, 15.6 of hair segmentation's 33 ms on
// the reference kernels).

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not a float transposed
// convolution with constant weights (and, for TRANSPOSE_CONV, a constant
// output shape) that XNNPACK can compute.
const KernelDef* transposeConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

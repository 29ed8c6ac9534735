#pragma once
// float32 CONV_2D with at most four output channels, whose filter row
// (kernel width x input channels) fits in 1024 floats (64 held in
// registers, longer ones read a vector at a time): the heatmap and
// segmentation heads of MediaPipe's pose landmark models (a 3x3 from 8
// channels to 1 at 256x256, 17 % of the model's time on XNNPACK, whose GEMM
// fills 1 of 16 lanes there), the 1x1 classifiers of detectors and the
// last layer of image-to-image networks (a 9x9 from 32 channels to RGB:
// 34 ms of a style-transfer network's 88 on XNNPACK). Each
// output is a dot product of contiguous NHWC input with the filter row by
// row, 16 lanes at a time. AVX-512.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one this kernel takes
// (or the CPU lacks AVX-512).
const KernelDef* narrowOutputConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

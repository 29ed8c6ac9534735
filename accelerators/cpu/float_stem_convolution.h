#pragma once
// float32 CONV_2D over 1-4 input channels with up to 64 outputs: the stem
// of most vision models, which reads the RGB image (a 3x3 or 5x5 stride-2
// convolution to 16-32 channels). XNNPACK's GEMM path gathers 27-75-wide
// patches for it: 9-20% of a MediaPipe model's time here. This kernel
// broadcasts each input value straight into the FMAs of four (or eight)
// neighbouring outputs: palm detection's 5x5 stem 0.61 -> 0.47 ms, pose
// detection's 3x3 0.39 -> 0.25 ms, hand landmark's 0.33 -> 0.28 ms. AVX-512.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one this kernel takes
// (or the CPU lacks AVX-512).
const KernelDef* floatStemConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// MediaPipe's MaxPoolingWithArgmax2D on float32 with AVX-512: 16 channels a
// vector, the same first-maximum scan as the reference kernel (which
// branches per element and spent 7 of hair segmentation's 33 ms).

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not a float32
// MaxPoolingWithArgmax2D with float32 or int32 indices (or the CPU lacks AVX-512).
const KernelDef* floatMaxPoolingWithArgmaxKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// float32 mean and variance of each channel over height and width, for
// the fused MEAN + SQUARED_DIFFERENCE + MEAN of an instance norm
// (Op::fusedMoments, core/runtime/spatial_moments_fusion.h): two passes
// over x, the mean's and the squared differences', each split over the
// pool in parts of the plane, partial sums added after. AVX-512.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for a fused moments op, or nullptr (not one, not float32
// [N, H, W, C], or no AVX-512).
const KernelDef* floatSpatialMomentsKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

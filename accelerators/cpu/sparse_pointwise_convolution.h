#pragma once
// float32 1x1 CONV_2D whose weights are mostly zeros (pruned models such as
// MediaPipe's pose detection, whose 1x1 weights are 75 % zeros and stored
// DENSIFY'd). XNNPACK's dense GEMM multiplies every zero; this kernel only
// the nonzeros, as sparse-by-dense products over tiles of 64 pixels that it
// turns channel-major in L1 and back (XNNPACK's sparse inference needs the
// whole network in NCHW instead). It takes a layer only where that pays:
// <= 40 % nonzeros and enough work per pixel to repay the two transposes
// (measured crossover: pose detection's 56x56 24 <-> 144 layers stay dense,
// its 14x14 and 7x7 ones run about twice as fast). AVX-512.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one this kernel takes
// (dense weights, a shape where the dense GEMM is faster, or no AVX-512).
const KernelDef* sparsePointwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

// Whether 1x1 weights [out, 1, 1, in] have few enough nonzeros, and enough
// of them per pixel, for this kernel to beat the dense GEMM.
bool sparsePointwisePays(const Tensor& filter);

// The nonzeros a pixel of 1x1 weights [out, 1, 1, in] for each channel this
// kernel would transpose (its measure of what repays the transposes); 0 for
// weights not pruned (over 40 % nonzero) or not 1x1.
double sparsePointwiseWorkPerTransposed(const Tensor& filter);

// The share of nonzero weights in a constant float32/float16 tensor.
double nonzeroShare(const Tensor& tensor);

}  // namespace litestudio::cpu

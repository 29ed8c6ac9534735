#pragma once
#include <utility>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

const KernelDef& floatConvolutionKernel();
const KernelDef& quantizedConvolutionKernel();
const KernelDef& floatFullyConnectedKernel();
// ADD/SUB/MUL/DIV/MAXIMUM/MINIMUM, PAD, MAX_POOL_2D, PRELU, HARD_SWISH on
// float32, or nullptr when this op is not one XNNPACK should take.
const KernelDef* floatElementwiseKernel(const Model& model, const Subgraph& subgraph, const Op& op);
// RESIZE_BILINEAR and DEPTH_TO_SPACE on float32 NHWC, or nullptr.
const KernelDef* floatLayoutKernel(const Model& model, const Subgraph& subgraph, const Op& op);

// The output clamp XNNPACK applies for a fused activation (NONE, RELU,
// RELU6, RELU_N1_TO_1; callers reject the others).
std::pair<float, float> activationRange(int activation);

// Runs a convolution's reference prepare (output shape, checks) as if a PAD
// folded into the op (Op::fusedPadding) were still there: `padded` is
// input 0 with the padded height and width, for the caller's geometry.
Status prepareWithFoldedPadding(KernelContext& context, const KernelDef& reference, RuntimeTensor& padded);

// The pthreadpool of the compiled model running `context` (null: one thread).
void* threadPoolOf(const KernelContext& context);

}  // namespace litestudio::cpu

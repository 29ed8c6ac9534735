#pragma once
// What our own convolution kernels share: where SAME padding starts, the
// float bias, and the checks they make before taking an op.

#include <array>
#include <cstdint>
#include <vector>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// Zeros before the first input row (or column) of a convolution whose
// output has `out` rows: SAME padding puts half of the total before, as
// XNNPACK and TFLite do (0 for VALID). Add Op::fusedPadding on top.
int paddingBefore(int64_t in, int64_t out, int kernel, int stride, int dilation = 1);

// Output rows (or columns) of a convolution over `span` padded ones, SAME
// or VALID (at most 0 when the kernel does not fit).
inline int64_t convolutionOutputSize(int64_t span, int kernel, int stride, bool same) {
    return same ? (span + stride - 1) / stride : (span - kernel) / stride + 1;
}

// The output plane of a convolution with a square `kernel` over input 0's
// inH x inW, SAME or VALID, with a folded PAD's zeros (top, bottom, left,
// right; the op's own Op::fusedPadding unless given), and where its padding
// starts. An error naming input 0 when the filter is larger than the
// padded plane or the plane is past int32.
struct PaddedPlane {
    int64_t outH = 0, outW = 0;
    int padTop = 0, padLeft = 0;
};
Status paddedPlane(const KernelContext& context, int64_t inH, int64_t inW, int kernel, int strideH, int strideW, bool same,
                   const std::array<int32_t, 4>& folded, PaddedPlane& plane);
Status paddedPlane(const KernelContext& context, int64_t inH, int64_t inW, int kernel, int strideH, int strideW, bool same,
                   PaddedPlane& plane);

// Reads input `index` (the bias, float32 or float16; input 2 of a
// convolution) into `destination`, which holds `channels` values; leaves it
// alone when the op has no bias.
Status readFloatBias(const KernelContext& context, int64_t channels, float* destination, size_t index = 2);

// Runs `prepare` (a reference kernel's checks and output shape) with the
// op's own inputs only, its first `ownInputs` (a convolution's x, filter
// and bias; a resize's x and size): those past them are fused operands (a
// residual, PRELU slopes) that the reference takes no part in.
template <typename Prepare>
Status withOwnInputs(KernelContext& context, Prepare prepare, size_t ownInputs = 3) {
    if (context.inputs.size() <= ownInputs) return prepare();
    const std::vector<RuntimeTensor*> fusedInputs(context.inputs.begin() + static_cast<std::ptrdiff_t>(ownInputs), context.inputs.end());
    context.inputs.resize(ownInputs);
    Status prepared = prepare();
    context.inputs.insert(context.inputs.end(), fusedInputs.begin(), fusedInputs.end());
    return prepared;
}

// The reference CONV_2D's checks and output shape, with withOwnInputs, and
// an input of the filter's channels (no groups: the accelerator's kernels
// take none).
Status prepareReferenceConvolution(KernelContext& context);
// The same for a convolution that reads through a folded PAD
// (Op::fusedPadding): checked as if over the padded input, whose shape
// `padded` receives.
Status prepareReferenceConvolution(KernelContext& context, RuntimeTensor& padded);

// A float32 tensor a fused residual ADD may add to a result of
// `outputShape` [batch, height, width, channels]: the same shape, or fewer
// channels, zeros taken past them (a channel PAD folded in).
bool addsAsResidual(DataType type, const std::vector<int32_t>& residualShape, const std::vector<int32_t>& outputShape);

// For a kernel that adds a fused residual ADD's tensor of exactly the
// output's shape (Op::fusedResidual): an error unless `residual` is a
// float32 tensor shaped as the output and the ADD's activation a clamp;
// else that clamp into [low, high].
Status readExactResidual(const KernelContext& context, const RuntimeTensor& residual, float& low, float& high);

// Where the op has a fused PRELU (Op::Epilogue::Prelu), its slopes (the last
// input, one per channel) into `slopes`: `channels` values, then zeros up
// to `paddedSize` (a kernel's whole vectors or blocks). Otherwise `slopes`
// is left empty. An error naming the tensor when they are not one per
// channel.
Status readPreluSlopes(const KernelContext& context, int64_t channels, size_t paddedSize, std::vector<float>& slopes);

// x, a filter and an optional bias (-1 when absent), then a fused PRELU's
// slopes where the op has one (Op::Epilogue::Prelu), and one output: the
// operands of our float convolutions that apply a fused activation.
bool hasConvolutionOperands(const Op& op);

// int8 or uint8 tensors of one per-tensor quantization (a positive scale
// and a zero point), the same in both: what an op that moves stored values
// without requantizing them (the pools) needs in and out.
bool sharesEightBitQuantization(const Tensor& a, const Tensor& b);

// NONE, RELU, RELU6 or RELU_N1_TO_1: the activations a kernel applies as a clamp.
bool isClampActivation(int activation);

// A constant float32 or float16 tensor that is not stored sparse (weights
// and biases once DEQUANTIZE is folded).
bool isConstantFloat(const Tensor& tensor);

// A float32 1x1 CONV_2D at stride 1 with constant float weights [out, 1, 1,
// in] (and bias), a clamp for its activation and no folded PAD; where
// Op::fusedResidual, input 3 a float32 tensor of the output's shape (or
// fewer channels: a channel PAD folded in) and a clamp for the ADD's
// activation; where Op::Epilogue::Prelu, the slopes last,
// after the bias (or -1). What the dense and the sparse 1x1 kernels both
// take (CPU features aside; the sparse one takes no PRELU).
bool isFloatPointwiseConvolution(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

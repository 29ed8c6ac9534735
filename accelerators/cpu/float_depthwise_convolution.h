#pragma once
// float32 DEPTHWISE_CONV_2D (depth multiplier 1; 5x5 and 7x7, and 3x3 on
// up to 32 channels; stride 1 or 2) on AVX-512. Debian's 2022 XNNPACK
// reloads every weight and input for every output pixel and ran MediaPipe's
// 5x5 layers at ~18 GMAC/s here; this kernel slides along a row instead, so
// each input vector is loaded once per kernel row for four outputs.

#include <array>
#include <cstdint>
#include <vector>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"
#include "accelerators/cpu/fused_epilogue.h"
#include "core/support/cache_line_vector.h"

namespace litestudio::cpu {

// A packed filter and the geometry it runs over, one output row at a time
// (the separable block kernel runs rows into a buffer of its own).
struct DepthwisePlan {
    int kernelSize = 3, strideH = 1, strideW = 1, padTop = 0, padLeft = 0;
    // Input rows an output row reads lie dilationH apart (inputRowsOf,
    // ExpansionRing); a dilation over columns is split into column phases
    // (float_dilated_depthwise_convolution.h), each a plan of its own.
    int dilationH = 1;
    int64_t batch = 0, inH = 0, inW = 0, outH = 0, outW = 0, channels = 0, blocks = 0;
    CacheLineVector<float> weights;  // [block][ky][kx][16], zeros past the last channel
    CacheLineVector<float> bias;     // [block][16]
    float low = 0, high = 0;
    // A fused activation over each finished row, after the clamp, and a
    // PRELU's slopes (fused_epilogue.h; empty for none). The standalone
    // kernel's only: a separable block's PRELU follows its 1x1.
    Op::Epilogue epilogue = Op::Epilogue::None;
    SlopePattern slopes;
    bool paired = false;  // 8 channels at stride 1: two pixels a vector, weights and bias in both halves
    // Floats from one pixel of an input or output row to the next:
    // channels (packDepthwise's), or a multiple of it where a row is one
    // column phase of a dilated convolution (never in pairs).
    int64_t inputPixelStride = 0, outputPixelStride = 0;
};

// The reference depthwise's checks and output shape, a folded PAD taken in
// (`padded`: the input as the PAD makes it), then a square filter of depth
// multiplier 1 over a 4-D input.
Status prepareDepthwiseShapes(KernelContext& context, RuntimeTensor& padded);

// Fills `plan`'s weights, bias and pairing from input 1 (the [1, k, k, C]
// filter) and input 2 (the bias) of `context`; the geometry, low and high
// are the caller's. An error when the filter is not one this kernel runs.
Status packDepthwise(const KernelContext& context, DepthwisePlan& plan);

// The input rows an output row reads, one per kernel row (plan.inW x
// plan.channels floats each), null where the row lies in the padding.
using InputRows = std::array<const float*, 7>;

// The rows of one NHWC image that output row `oy` reads (dilationH apart).
InputRows inputRowsOf(const DepthwisePlan& plan, const float* image, int64_t oy);

// One output row (plan.outW x plan.channels floats), every channel block,
// from its input rows: an image's (inputRowsOf) or rows made on the fly
// (float_expanded_depthwise).
void depthwiseRow(const DepthwisePlan& plan, const InputRows& rows, float* outputRow);

// Kernel sizes and strides the rows run: 3, 5 or 7, stride 1 or 2.
bool depthwiseRowsRun(int kernelSize, int stride);

// The kernel for this op, or nullptr when it is not one this kernel takes
// (or the CPU lacks AVX-512).
const KernelDef* floatDepthwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// float32 1x1 CONV_2D (stride 1, dense weights) as a register-blocked GEMM
// on AVX-512. Debian's 2022 XNNPACK runs these through a 7x16 microkernel:
// one weight vector per step for seven broadcasts, so loads, not FMAs, set
// its pace, and pose landmark heavy's 1x1 layers ran at 31-50 GMAC/s (70 %
// of the model). Here a step takes four weight vectors (64 output channels)
// and six pixels' broadcasts into 24 accumulators: 10 loads feed 24 FMAs.
// Weights are packed per block of 64 output channels, each block's column
// of K values contiguous, and a thread runs all pixel tiles of one block in
// turn so that the block stays in L2.

#include <cstdint>
#include <vector>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"
#include "core/support/cache_line_vector.h"

namespace litestudio::cpu {

// Output channels of one block of packed weights.
constexpr int64_t kPointwiseBlockChannels = 64;

// Dense float32 1x1 weights packed for the GEMM, with their bias and the
// clamp applied to the result (low/high: the caller's).
struct PointwiseWeights {
    int64_t inputChannels = 0, outputChannels = 0, blocks = 0;
    CacheLineVector<float> weights;  // [block][input channel][64], zeros past the last output channel
    CacheLineVector<float> bias;     // [block][64]
    float low = 0, high = 0;
    // A fused PRELU's slopes, [block][64] like the bias, applied last (after
    // the clamp and any added rows); empty for none.
    std::vector<float> slopes;
    Op::Epilogue epilogue = Op::Epilogue::None;  // a fused activation applied last (fused_epilogue.h)
};

// Packs `filter` ([out, 1, 1, in]), or its input channels [firstInput,
// firstInput + inputs) when inputs >= 0, and the bias at input `biasInput`
// of `context` (zeros when it has none).
Status packPointwiseWeights(const KernelContext& context, const RuntimeTensor& filter, size_t biasInput, PointwiseWeights& packed,
                            int64_t firstInput = 0, int64_t inputs = -1);

// What the op applies last, from its fusions (Op::fusedEpilogue): a
// PRELU's slopes (its last input), a swish or a HARD_SWISH, or nothing.
Status packEpilogue(const KernelContext& context, PointwiseWeights& packed);

// Rows added to a 1x1's result as it is written (a fused residual ADD):
// after the 1x1's clamp, then clamped to [low, high]. A pixel's row holds
// `channels` values, zeros taken past them (a channel PAD folded in: the
// residual then has fewer channels than the output).
struct AddedRows {
    const float* rows = nullptr;  // pixel 0's row, from channel 0; null: nothing added
    int64_t channels = 0;         // floats a pixel's row holds
    float low = 0, high = 0;
    int64_t firstChannel = 0;     // the output channel a block's first vector starts at
    AddedRows atPixel(int64_t pixel) const { return {rows ? rows + pixel * channels : nullptr, channels, low, high, firstChannel}; }
    AddedRows atChannel(int64_t channel) const { return {rows, channels, low, high, channel}; }
};

// `pixels` NHWC pixels of `input` (rows of inputChannels floats) through
// every output channel into `output` (rows of outputChannels floats),
// clamped, on the calling thread (the expansion ring makes its rows so, the
// separable block its outputs).
void multiplyPixels(const PointwiseWeights& weights, const float* input, int64_t pixels, float* output, AddedRows added = {});

// multiplyPixels for output blocks [firstBlock, endBlock) only (channels
// firstBlock * 64 on); `output` still points at pixel 0's channel 0.
void multiplyPixelBlocks(const PointwiseWeights& weights, int64_t firstBlock, int64_t endBlock, const float* input, int64_t pixels, float* output);

// Groups of output blocks that `threads` threads share out over each chunk
// of pixels of a GEMM whose weights stream from past L2 (`weightBytes`
// over 1 MiB), each thread multiplying every pixel of the chunk by its
// group: `threads` where there are two blocks a thread or more, else 1
// (threads share out the pixels, each streaming every weight). Fewer
// blocks leave a thread 16 channels against 64 (80 outputs), or the
// gather or transform each thread repeats outweighs its half of the
// multiplies: U-Net-shaped's 32x32 256 -> 128 Winograd layer (two
// blocks) took 0.96-1.27 ms on two threads grouped, 1.13-1.15 not.
int64_t outputBlockGroups(int64_t weightBytes, int64_t blocks, int64_t threads);

// The kernel for this op, or nullptr when it is not one this kernel takes
// (or the CPU lacks AVX-512).
const KernelDef* floatPointwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

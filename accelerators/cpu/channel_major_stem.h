#pragma once
// A network's stem convolution (3x3 over an image of 1-4 channels, stride 1
// or 2) made one output row at a time channel-major, for the block that
// fuses it (Op::fusedStem, sparse_inverted_residual.cpp): each output
// channel a row of pixels, 16 a vector, written where the block's
// depthwise reads them. The image rows a row reads are first split by
// channel and column phase (permutes of whole vectors of the row); then
// 16 output pixels take their 9 taps of one
// image channel as 9 vectors held in registers, and 12 output channels at
// a time multiply them by broadcast weights: 108 FMAs for 9 loads, no lane
// empty, where the pixel-major stem kernel left a quarter of its lanes
// empty on 24 channels and its rows went through a transpose after.
// AVX-512.

#include <array>
#include <cstdint>
#include <vector>

#include "core/kernels/kernel.h"

namespace litestudio::cpu::channel_major {

struct StemPlan {
    int64_t imageH = 0, imageW = 0, imageChannels = 0, outH = 0, outW = 0, channels = 0;
    int stride = 1, padTop = 0, padLeft = 0;
    std::vector<float> weights;  // per group of output channels a pass: [image channel][ky][kx][channel in the group]
    std::vector<float> bias;     // [channel]
    float low = 0, high = 0;
    // One image row split: [ky][image channel][phase][kPhaseMargin + column / stride].
    int64_t phaseFloats = 0;
    std::array<int, 3> tapPhase{}, tapShift{};  // column tap kx reads phase tapPhase, tapShift columns of it from the output's
    size_t scratchFloats() const { return static_cast<size_t>(3 * imageChannels * stride * phaseFloats); }
};

// The stem of the fused op in `context`: its filter and bias at inputs
// `filterIndex` and + 1, input 0 the image, `options` the stem's table in
// the file, `folded` a folded PAD's zeros (top, bottom, left, right),
// `activation` the one after it. An error for another shape than this
// takes (3x3, 1-4 image channels, stride 1 or 2, no dilation).
Status planStem(const KernelContext& context, size_t filterIndex, const schema::Operator* options, const std::array<int32_t, 4>& folded,
                int activation, StemPlan& plan);

// The image rows split for the stem rows made last: three slots of
// plan.scratchFloats() / 3 floats (64-byte aligned), each holding the row
// `held` says (image * imageH + row, or -1). An image row serves up to
// two stem rows at stride 2, three at stride 1: each is split once.
struct StemRows {
    float* rows = nullptr;
    std::array<int64_t, 3> held{-1, -1, -1};
};

// Output row `row` of the stem over image `image` of `batch` (NHWC) into
// out[channel * channelFloats + pixel], pixels [0, outW) and zeros to the
// end of the last vector.
void makeStemRow(const StemPlan& plan, const float* batch, int64_t image, int64_t row, StemRows& split, float* out, int64_t channelFloats);

}  // namespace litestudio::cpu::channel_major

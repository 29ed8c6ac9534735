#include "accelerators/cpu/channel_major_stem.h"

#include "accelerators/cpu/channel_major_tiles.h"

#include <algorithm>
#include <string>
#include <tuple>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu::channel_major {

namespace {

constexpr int kKernel = 3;
constexpr int kMostImageChannels = 4;
// Zeros before a phase's first column: a tap reaches one column left of it.
constexpr int64_t kPhaseMargin = kLanes;
// Output channels a pass: 12 sums and 9 taps stay in registers.
constexpr int kChannelsTogether = 12;

// Image row `iy` (zeros outside the image) split into phases at `at`.
__attribute__((target("avx512f"))) void splitRow(const StemPlan& p, const float* image, int64_t iy, float* at) {
    const __m512 zero = _mm512_setzero_ps();
    const int64_t rowFloats = p.stride * p.phaseFloats;
    for (int64_t ci = 0; ci < p.imageChannels; ++ci)
        for (int64_t f = 0; f < rowFloats; f += kLanes) _mm512_store_ps(at + ci * rowFloats + f, zero);
    if (iy < 0 || iy >= p.imageH) return;
    const float* row = image + iy * p.imageW * p.imageChannels;
    for (int phase = 0; phase < p.stride; ++phase) {
        const int valid = static_cast<int>((p.imageW - phase + p.stride - 1) / p.stride);
        for (int first = 0; first < valid; first += kLanes) {
            __m512 columns[8];
            transposeNarrowBlock(row + phase * p.imageChannels, p.stride * p.imageChannels, first, valid, 0,
                                 static_cast<int>(p.imageChannels), columns);
            for (int64_t ci = 0; ci < p.imageChannels; ++ci)
                _mm512_store_ps(at + (ci * p.stride + phase) * p.phaseFloats + kPhaseMargin + first, columns[ci]);
        }
    }
}

// Output channels [first, first + Count) of 16 output pixels from column x.
template <int Count>
__attribute__((target("avx512f"))) void channelsAt(const StemPlan& p, const std::array<const float*, kKernel>& rows, int64_t x,
                                                  int64_t first, __mmask16 lanes, float* out, int64_t channelFloats) {
    __m512 acc[Count];
    for (int c = 0; c < Count; ++c) acc[c] = _mm512_set1_ps(p.bias[static_cast<size_t>(first + c)]);
    for (int64_t ci = 0; ci < p.imageChannels; ++ci) {
        __m512 taps[kKernel * kKernel];
        for (int ky = 0; ky < kKernel; ++ky)
            for (int kx = 0; kx < kKernel; ++kx)
                taps[ky * kKernel + kx] = _mm512_loadu_ps(rows[static_cast<size_t>(ky)] + (ci * p.stride + p.tapPhase[kx]) * p.phaseFloats +
                                                          kPhaseMargin + x + p.tapShift[kx]);
#pragma GCC unroll 12
        for (int c = 0; c < Count; ++c) {
            const float* w = p.weights.data() + ((first + c) * p.imageChannels + ci) * kKernel * kKernel;
#pragma GCC unroll 9
            for (int t = 0; t < kKernel * kKernel; ++t) acc[c] = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), taps[t], acc[c]);
        }
    }
    const __m512 low = _mm512_set1_ps(p.low), high = _mm512_set1_ps(p.high);
    for (int c = 0; c < Count; ++c)
        _mm512_store_ps(out + (first + c) * channelFloats + x, _mm512_maskz_mov_ps(lanes, _mm512_min_ps(_mm512_max_ps(acc[c], low), high)));
}

}  // namespace

Status planStem(const KernelContext& context, size_t filterIndex, const schema::Operator* options, const std::array<int32_t, 4>& folded,
                int activation, StemPlan& p) {
    const RuntimeTensor& image = context.input(0);
    const auto* conv = options ? options->builtin_options_as_Conv2DOptions() : nullptr;
    if (!conv || !context.hasInput(filterIndex)) return context.error("has no stem convolution");
    const RuntimeTensor& filter = context.input(filterIndex);
    if (image.rank() != 4 || image.dim(3) < 1 || image.dim(3) > kMostImageChannels || filter.rank() != 4 || filter.dim(1) != kKernel ||
        filter.dim(2) != kKernel || filter.dim(3) != image.dim(3) || conv->stride_h() != conv->stride_w() || conv->stride_w() < 1 ||
        conv->stride_w() > 2 || conv->dilation_h_factor() != 1 || conv->dilation_w_factor() != 1)
        return context.error("expects a 3x3 stem at stride 1 or 2 over an image of 1-4 channels, got " + filter.name + " " +
                             shapeText(filter.shape) + " over " + shapeText(image.shape));
    p.imageH = image.dim(1), p.imageW = image.dim(2), p.imageChannels = image.dim(3), p.channels = filter.dim(0);
    p.stride = conv->stride_w();
    PaddedPlane plane;
    LS_RETURN_IF_ERROR(paddedPlane(context, p.imageH, p.imageW, kKernel, p.stride, p.stride, conv->padding() == schema::Padding_SAME,
                                   folded, plane));
    p.outH = plane.outH, p.outW = plane.outW, p.padTop = plane.padTop, p.padLeft = plane.padLeft;
    for (int kx = 0; kx < kKernel; ++kx) {
        // Output column x's tap kx reads image column stride * x + kx - padLeft.
        const int shift = kx - p.padLeft;
        const int phase = ((shift % p.stride) + p.stride) % p.stride;
        p.tapPhase[static_cast<size_t>(kx)] = phase;
        p.tapShift[static_cast<size_t>(kx)] = (shift - phase) / p.stride;
        if (p.tapShift[static_cast<size_t>(kx)] < -kPhaseMargin) return context.error("stem padding wider than its margin");
    }
    const int64_t vectors = (p.outW + kLanes - 1) / kLanes;
    const int64_t phaseColumns = (p.imageW + p.stride - 1) / p.stride;
    p.phaseFloats = kPhaseMargin + (std::max(vectors * kLanes + kLanes, (phaseColumns + kLanes - 1) / kLanes * kLanes)) + kLanes;
    // [out][ky][kx][in] -> [out][in][ky][kx]
    std::vector<float> values(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, values.data());
    p.weights.resize(values.size());
    for (int64_t c = 0; c < p.channels; ++c)
        for (int64_t ci = 0; ci < p.imageChannels; ++ci)
            for (int t = 0; t < kKernel * kKernel; ++t)
                p.weights[static_cast<size_t>((c * p.imageChannels + ci) * kKernel * kKernel + t)] =
                    values[static_cast<size_t>((c * kKernel * kKernel + t) * p.imageChannels + ci)];
    p.bias.assign(static_cast<size_t>(p.channels), 0.0f);
    LS_RETURN_IF_ERROR(readFloatBias(context, p.channels, p.bias.data(), filterIndex + 1));
    std::tie(p.low, p.high) = activationRange(activation);
    return Status::ok();
}

__attribute__((target("avx512f"))) void makeStemRow(const StemPlan& p, const float* batch, int64_t image, int64_t row, StemRows& split,
                                                   float* out, int64_t channelFloats) {
    const int64_t rowFloats = p.imageChannels * p.stride * p.phaseFloats;
    std::array<const float*, kKernel> rows{};
    for (int ky = 0; ky < kKernel; ++ky) {
        const int64_t iy = row * p.stride - p.padTop + ky;
        const int64_t key = iy < 0 || iy >= p.imageH ? -2 - ky : image * p.imageH + iy;  // rows outside: zeros, one slot each
        const auto slot = static_cast<size_t>(((iy % kKernel) + kKernel) % kKernel);
        float* at = split.rows + static_cast<int64_t>(slot) * rowFloats;
        if (split.held[slot] != key) {
            splitRow(p, batch + image * p.imageH * p.imageW * p.imageChannels, iy, at);
            split.held[slot] = key;
        }
        rows[static_cast<size_t>(ky)] = at;
    }
    for (int64_t x = 0; x < p.outW; x += kLanes) {
        const auto lanes = static_cast<__mmask16>((1u << std::min<int64_t>(kLanes, p.outW - x)) - 1u);
        int64_t first = 0;
        for (; first + kChannelsTogether <= p.channels; first += kChannelsTogether)
            channelsAt<kChannelsTogether>(p, rows, x, first, lanes, out, channelFloats);
        for (; first + 4 <= p.channels; first += 4) channelsAt<4>(p, rows, x, first, lanes, out, channelFloats);
        for (; first < p.channels; ++first) channelsAt<1>(p, rows, x, first, lanes, out, channelFloats);
    }
}

}  // namespace litestudio::cpu::channel_major

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

// How many output channels from `first` one pass takes: 12, then 4, then
// one at a time. StemPlan::weights is laid out by these groups.
int groupFrom(int64_t first, int64_t channels) {
    const int64_t left = channels - first;
    return left >= kChannelsTogether ? kChannelsTogether : left >= 4 ? 4 : 1;
}

// Image row `iy` (zeros outside the image) split into phases at `at`.
// Each 16 columns of every phase take stride x channels x 16 consecutive
// floats of the row, loaded once; each channel's phase is picked out of
// them by two-vector permutes, where the 8x8 transposes before loaded
// every pixel on its own (a masked load across two cache lines). The
// split waits mostly on the image, which a run reads once from L3, so
// makeStemRow asks for the next rows ahead: with both, pose detection's
// stem block took 0.96x its time (alternating runs in one process).
__attribute__((target("avx512f"))) void splitRow(const StemPlan& p, const float* image, int64_t iy, float* at) {
    const __m512 zero = _mm512_setzero_ps();
    const int64_t rowFloats = p.stride * p.phaseFloats;
    for (int64_t ci = 0; ci < p.imageChannels; ++ci)
        for (int64_t f = 0; f < rowFloats; f += kLanes) _mm512_store_ps(at + ci * rowFloats + f, zero);
    if (iy < 0 || iy >= p.imageH) return;
    const float* row = image + iy * p.imageW * p.imageChannels;
    const int64_t imageFloats = p.imageW * p.imageChannels;
    // Floats between a phase's columns; also the vectors of 16 floats that a
    // block of 16 columns reads (at most 8).
    const int pixelFloats = static_cast<int>(p.stride * p.imageChannels);
    // Lane l of channel ci's phase reads float l x pixelFloats + phase x
    // channels + ci of the block: vector `that / 32` of the pairs, lane
    // `that % 32` of the pair.
    __m512i index[kMostImageChannels * 2];
    __mmask16 pairLanes[kMostImageChannels * 2][4];
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i stepped = _mm512_mullo_epi32(lane, _mm512_set1_epi32(pixelFloats));
    for (int phase = 0; phase < p.stride; ++phase)
        for (int64_t ci = 0; ci < p.imageChannels; ++ci) {
            const int k = static_cast<int>(ci * p.stride + phase);
            const __m512i reads = _mm512_add_epi32(stepped, _mm512_set1_epi32(static_cast<int>(phase * p.imageChannels + ci)));
            index[k] = _mm512_and_si512(reads, _mm512_set1_epi32(31));
            for (int pair = 0; pair < 4; ++pair)
                pairLanes[k][pair] = _mm512_cmpeq_epi32_mask(_mm512_srli_epi32(reads, 5), _mm512_set1_epi32(pair));
        }
    for (int64_t first = 0, from = 0; from < imageFloats; first += kLanes, from += kLanes * pixelFloats) {
        __m512 in[2 * kMostImageChannels];
        for (int v = 0; v < pixelFloats; ++v)
            in[v] = _mm512_maskz_loadu_ps(firstLanes(std::clamp<int64_t>(imageFloats - from - v * kLanes, 0, kLanes)), row + from + v * kLanes);
        for (int v = pixelFloats; v < 2 * kMostImageChannels; ++v) in[v] = zero;
        for (int k = 0; k < pixelFloats; ++k) {
            __m512 picked = zero;
            for (int pair = 0; 2 * pair < pixelFloats; ++pair)
                picked = _mm512_mask_mov_ps(picked, pairLanes[k][pair], _mm512_permutex2var_ps(in[2 * pair], index[k], in[2 * pair + 1]));
            // k = ci x stride + phase: the split row's [ci][phase] order.
            _mm512_store_ps(at + k * p.phaseFloats + kPhaseMargin + first, picked);
        }
    }
}

// Output channels [first, first + Count) of a whole output row, 16 pixels
// at a time. The group's weights are one run ([image channel][tap][Count])
// read at fixed offsets from one pointer: with a pointer a channel and the
// call made for every 16 pixels, setting them up had cost about as much as
// a pass's 324 FMAs.
template <int Count>
__attribute__((target("avx512f"))) void channelsOfRow(const StemPlan& p, const std::array<const float*, kKernel>& rows, int64_t first,
                                                     float* out, int64_t channelFloats) {
    const float* weights = p.weights.data() + first * p.imageChannels * kKernel * kKernel;
    const __m512 low = _mm512_set1_ps(p.low), high = _mm512_set1_ps(p.high);
    for (int64_t x = 0; x < p.outW; x += kLanes) {
        const __mmask16 lanes = firstLanes(std::min<int64_t>(kLanes, p.outW - x));
        __m512 acc[Count];
        for (int c = 0; c < Count; ++c) acc[c] = _mm512_set1_ps(p.bias[static_cast<size_t>(first + c)]);
        for (int64_t ci = 0; ci < p.imageChannels; ++ci) {
            __m512 taps[kKernel * kKernel];
            for (int ky = 0; ky < kKernel; ++ky)
                for (int kx = 0; kx < kKernel; ++kx)
                    taps[ky * kKernel + kx] = _mm512_loadu_ps(rows[static_cast<size_t>(ky)] +
                                                              (ci * p.stride + p.tapPhase[kx]) * p.phaseFloats + kPhaseMargin + x +
                                                              p.tapShift[kx]);
            const float* w = weights + ci * kKernel * kKernel * Count;
#pragma GCC unroll 9
            for (int t = 0; t < kKernel * kKernel; ++t)
#pragma GCC unroll 12
                for (int c = 0; c < Count; ++c) acc[c] = _mm512_fmadd_ps(_mm512_set1_ps(w[t * Count + c]), taps[t], acc[c]);
        }
        for (int c = 0; c < Count; ++c)
            _mm512_store_ps(out + (first + c) * channelFloats + x, _mm512_maskz_mov_ps(lanes, _mm512_min_ps(_mm512_max_ps(acc[c], low), high)));
    }
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
    // [out][ky][kx][in] -> for each group of output channels (groupFrom),
    // [in][ky][kx][out within the group]
    std::vector<float> values(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, values.data());
    p.weights.resize(values.size());
    const int64_t taps = kKernel * kKernel;
    for (int64_t first = 0; first < p.channels; first += groupFrom(first, p.channels)) {
        const int count = groupFrom(first, p.channels);
        for (int c = 0; c < count; ++c)
            for (int64_t ci = 0; ci < p.imageChannels; ++ci)
                for (int t = 0; t < taps; ++t)
                    p.weights[static_cast<size_t>(first * p.imageChannels * taps + (ci * taps + t) * count + c)] =
                        values[static_cast<size_t>(((first + c) * taps + t) * p.imageChannels + ci)];
    }
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
    // The image rows the next stem row splits, asked for now: read when
    // split, they came from L3 or memory (the image is read once a run).
    const int64_t imageRowBytes = p.imageW * p.imageChannels * int64_t(sizeof(float));
    for (int64_t iy = row * p.stride - p.padTop + kKernel; iy < (row + 1) * p.stride - p.padTop + kKernel; ++iy) {
        if (iy < 0 || iy >= p.imageH) continue;
        const auto* bytes = reinterpret_cast<const char*>(batch + (image * p.imageH + iy) * p.imageW * p.imageChannels);
        for (int64_t at = 0; at < imageRowBytes; at += 64) _mm_prefetch(bytes + at, _MM_HINT_T0);
    }
    for (int64_t first = 0; first < p.channels; first += groupFrom(first, p.channels)) {
        switch (groupFrom(first, p.channels)) {
        case kChannelsTogether: channelsOfRow<kChannelsTogether>(p, rows, first, out, channelFloats); break;
        case 4: channelsOfRow<4>(p, rows, first, out, channelFloats); break;
        default: channelsOfRow<1>(p, rows, first, out, channelFloats); break;
        }
    }
}

}  // namespace litestudio::cpu::channel_major

// For a stride-1 or stride-2 convolution in NHWC, the taps of one filter row
// over an output pixel read kernel-width x input-channels consecutive input
// floats: the "window". The filter row is stored the same way, padded with
// zeros to whole vectors, so each row is up to four FMAs per output channel.
// The 16 lanes are summed once per output at the end. Windows that cross the
// left or right edge (SAME or folded padding) are copied into a small zeroed
// buffer first; rows above or below the image are skipped.
#include "accelerators/cpu/narrow_output_convolution.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int kMaxVectors = 4;        // a window held in registers
constexpr int kMaxWideVectors = 64;   // read vector by vector (wideRowAvx512)
constexpr int kMaxOutputs = 4;

struct NarrowConvolution {
    int kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, padTop = 0, padLeft = 0, vectors = 1;
    int64_t batch = 0, inH = 0, inW = 0, channels = 0, outH = 0, outW = 0, outputs = 0, window = 0;
    std::vector<float> weights;  // [output][ky][vector][16], zeros past the window
    std::vector<float> bias;     // [output]
    float low = 0, high = 0;
};

struct RunArguments {
    const NarrowConvolution* p;
    const float* input;
    float* output;
};

// Sixteen vectors in, one vector of their sums out (lane j: the sum of
// vector j), in 15 adds and 30 shuffles instead of 16 separate reductions.
__attribute__((target("avx512f"), always_inline)) inline __m512 sumsOf16(const __m512 v[16]) {
    __m512 pairs[8], quads[4];
    for (int i = 0; i < 8; ++i)
        pairs[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; ++i) {
        const __m512d a = _mm512_castps_pd(pairs[2 * i]), b = _mm512_castps_pd(pairs[2 * i + 1]);
        quads[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
    }
    // quads[i]: in each 128-bit lane, the partial sums of vectors 4i..4i+3.
    const __m512 low = _mm512_add_ps(_mm512_shuffle_f32x4(quads[0], quads[1], 0x88), _mm512_shuffle_f32x4(quads[0], quads[1], 0xdd));
    const __m512 high = _mm512_add_ps(_mm512_shuffle_f32x4(quads[2], quads[3], 0x88), _mm512_shuffle_f32x4(quads[2], quads[3], 0xdd));
    return _mm512_add_ps(_mm512_shuffle_f32x4(low, high, 0x88), _mm512_shuffle_f32x4(low, high, 0xdd));
}

// The window from column `ix` of `row` (image row) that crosses the row's
// left or right edge: the part inside the row, zeros around it, in `edge`
// (vectors x 16 floats).
const float* windowInsideRow(const NarrowConvolution& p, const float* row, int64_t ix, float* edge) {
    std::fill(edge, edge + p.vectors * kLanes, 0.0f);
    const int64_t first = std::max<int64_t>(ix, 0), last = std::min<int64_t>(ix + p.kernelW, p.inW);
    if (last > first) std::copy(row + first * p.channels, row + last * p.channels, edge + (first - ix) * p.channels);
    return edge;
}

// One output channel: 16 neighbouring outputs whose windows are all inside
// the row are summed together (contiguous outputs, one store).
template <int Vectors>
__attribute__((target("avx512f"))) void sixteenOutputsAvx512(const NarrowConvolution& p, const float* image, float* outputRow,
                                                            int64_t oy, int64_t ox) {
    const __mmask16 lastMask = static_cast<__mmask16>((1u << (p.window - (Vectors - 1) * kLanes)) - 1u);
    __m512 sums[16];
    for (int j = 0; j < 16; ++j) sums[j] = _mm512_setzero_ps();
    for (int ky = 0; ky < p.kernelH; ++ky) {
        const int64_t iy = oy * p.strideH - p.padTop + ky;
        if (iy < 0 || iy >= p.inH) continue;
        __m512 w[Vectors];
        for (int v = 0; v < Vectors; ++v) w[v] = _mm512_loadu_ps(p.weights.data() + (ky * Vectors + v) * kLanes);
        const float* window = image + (iy * p.inW + ox * p.strideW - p.padLeft) * p.channels;
        const int64_t step = p.strideW * p.channels;
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j, window += step)
            for (int v = 0; v < Vectors; ++v)
                sums[j] = _mm512_fmadd_ps(v + 1 < Vectors ? _mm512_loadu_ps(window + v * kLanes)
                                                          : _mm512_maskz_loadu_ps(lastMask, window + v * kLanes),
                                          w[v], sums[j]);
    }
    const __m512 total = _mm512_add_ps(sumsOf16(sums), _mm512_set1_ps(p.bias[0]));
    _mm512_storeu_ps(outputRow + ox, _mm512_min_ps(_mm512_max_ps(total, _mm512_set1_ps(p.low)), _mm512_set1_ps(p.high)));
}

template <int Outputs, int Vectors>
__attribute__((target("avx512f"))) void rowAvx512(const NarrowConvolution& p, const float* image, float* outputRow, int64_t oy) {
    const __mmask16 lastMask = static_cast<__mmask16>((1u << (p.window - (Vectors - 1) * kLanes)) - 1u);
    alignas(64) float edge[kMaxVectors * kLanes];
    for (int64_t ox = 0; ox < p.outW; ++ox) {
        if (Outputs == 1 && ox + 16 <= p.outW && ox * p.strideW - p.padLeft >= 0 &&
            (ox + 15) * p.strideW - p.padLeft + p.kernelW <= p.inW) {
            sixteenOutputsAvx512<Vectors>(p, image, outputRow, oy, ox);
            ox += 15;
            continue;
        }
        __m512 sums[Outputs];
        for (int o = 0; o < Outputs; ++o) sums[o] = _mm512_setzero_ps();
        const int64_t ix = ox * p.strideW - p.padLeft;
        const bool inside = ix >= 0 && ix + p.kernelW <= p.inW;
        for (int ky = 0; ky < p.kernelH; ++ky) {
            const int64_t iy = oy * p.strideH - p.padTop + ky;
            if (iy < 0 || iy >= p.inH) continue;
            const float* row = image + iy * p.inW * p.channels;
            const float* window = row + ix * p.channels;
            if (!inside) {
                window = windowInsideRow(p, row, ix, edge);
            }
            __m512 x[Vectors];
            for (int v = 0; v < Vectors; ++v)
                x[v] = v + 1 < Vectors ? _mm512_loadu_ps(window + v * kLanes) : _mm512_maskz_loadu_ps(lastMask, window + v * kLanes);
            for (int o = 0; o < Outputs; ++o) {
                const float* w = p.weights.data() + ((o * p.kernelH + ky) * Vectors) * kLanes;
                for (int v = 0; v < Vectors; ++v) sums[o] = _mm512_fmadd_ps(x[v], _mm512_loadu_ps(w + v * kLanes), sums[o]);
            }
        }
        float* target = outputRow + ox * p.outputs;
        for (int o = 0; o < Outputs; ++o)
            target[o] = std::min(std::max(_mm512_reduce_add_ps(sums[o]) + p.bias[static_cast<size_t>(o)], p.low), p.high);
    }
}

// Windows of more than kMaxVectors vectors (a 9x9 over 32 channels, an
// image-to-image network's last layer to RGB: 18): read a vector at a time
// against each output's weights, for two output pixels at once so that
// each weight vector loaded serves both (5 loads for 6 FMAs at 3 outputs).
template <int Outputs>
__attribute__((target("avx512f"))) void wideRowAvx512(const NarrowConvolution& p, const float* image, float* outputRow, int64_t oy) {
    const int vectors = p.vectors;
    const __mmask16 lastMask = static_cast<__mmask16>((1u << (p.window - (vectors - 1) * kLanes)) - 1u);
    thread_local std::vector<float> edges;
    if (edges.size() < size_t(2 * vectors * kLanes)) edges.resize(size_t(2 * vectors * kLanes));
    for (int64_t ox = 0; ox < p.outW; ox += 2) {
        const int pixels = ox + 1 < p.outW ? 2 : 1;
        __m512 sums[2][Outputs];
        for (int q = 0; q < 2; ++q)
            for (int o = 0; o < Outputs; ++o) sums[q][o] = _mm512_setzero_ps();
        for (int ky = 0; ky < p.kernelH; ++ky) {
            const int64_t iy = oy * p.strideH - p.padTop + ky;
            if (iy < 0 || iy >= p.inH) continue;
            const float* row = image + iy * p.inW * p.channels;
            const float* windows[2] = {edges.data(), edges.data()};
            for (int q = 0; q < pixels; ++q) {
                const int64_t ix = (ox + q) * p.strideW - p.padLeft;
                if (ix >= 0 && ix + p.kernelW <= p.inW) {
                    windows[q] = row + ix * p.channels;
                    continue;
                }
                windows[q] = windowInsideRow(p, row, ix, edges.data() + q * vectors * kLanes);
            }
            const float* weights = p.weights.data() + ky * vectors * kLanes;
            for (int v = 0; v < vectors; ++v) {
                const __mmask16 mask = v + 1 < vectors ? __mmask16(0xffff) : lastMask;
                const __m512 x0 = _mm512_maskz_loadu_ps(mask, windows[0] + v * kLanes);
                const __m512 x1 = _mm512_maskz_loadu_ps(mask, windows[1] + v * kLanes);
                for (int o = 0; o < Outputs; ++o) {
                    const __m512 w = _mm512_loadu_ps(weights + (o * p.kernelH * vectors + v) * kLanes);
                    sums[0][o] = _mm512_fmadd_ps(x0, w, sums[0][o]);
                    sums[1][o] = _mm512_fmadd_ps(x1, w, sums[1][o]);
                }
            }
        }
        for (int q = 0; q < pixels; ++q) {
            float* target = outputRow + (ox + q) * p.outputs;
            for (int o = 0; o < Outputs; ++o)
                target[o] = std::min(std::max(_mm512_reduce_add_ps(sums[q][o]) + p.bias[static_cast<size_t>(o)], p.low), p.high);
        }
    }
}

using RowFunction = void (*)(const NarrowConvolution&, const float*, float*, int64_t);

template <int Outputs>
RowFunction rowFunctionFor(int vectors) {
    if (vectors > kMaxVectors) return wideRowAvx512<Outputs>;
    switch (vectors) {
    case 1: return rowAvx512<Outputs, 1>;
    case 2: return rowAvx512<Outputs, 2>;
    case 3: return rowAvx512<Outputs, 3>;
    default: return rowAvx512<Outputs, 4>;
    }
}

RowFunction rowFunction(int64_t outputs, int vectors) {
    switch (outputs) {
    case 1: return rowFunctionFor<1>(vectors);
    case 2: return rowFunctionFor<2>(vectors);
    case 3: return rowFunctionFor<3>(vectors);
    default: return rowFunctionFor<4>(vectors);
    }
}

void runRow(void* context, size_t row) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const NarrowConvolution& p = *arguments.p;
    const int64_t batch = static_cast<int64_t>(row) / p.outH, oy = static_cast<int64_t>(row) % p.outH;
    rowFunction(p.outputs, p.vectors)(p, arguments.input + batch * p.inH * p.inW * p.channels,
                                      arguments.output + (batch * p.outH + oy) * p.outW * p.outputs, oy);
}

Status prepareNarrow(KernelContext& context) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareReferenceConvolution(context, padded));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    if (filter.rank() != 4 || input.rank() != 4 || filter.dim(3) != input.dim(3) || filter.dim(0) > kMaxOutputs ||
        int64_t(filter.dim(2)) * filter.dim(3) > kMaxWideVectors * kLanes)
        return context.error("expects a filter [<= 4, kh, kw, " + std::to_string(input.rank() == 4 ? input.dim(3) : 0) +
                             "] with kw x channels <= 1024");
    const auto* options = context.op->options->builtin_options_as_Conv2DOptions();
    auto state = std::make_shared<NarrowConvolution>();
    NarrowConvolution& p = *state;
    p.kernelH = filter.dim(1), p.kernelW = filter.dim(2), p.channels = filter.dim(3), p.outputs = filter.dim(0);
    p.strideH = options->stride_h(), p.strideW = options->stride_w();
    p.batch = input.dim(0), p.inH = input.dim(1), p.inW = input.dim(2);
    p.outH = out.dim(1), p.outW = out.dim(2);
    p.window = p.kernelW * p.channels;
    p.vectors = static_cast<int>((p.window + kLanes - 1) / kLanes);
    p.padTop = paddingBefore(padded.dim(1), p.outH, p.kernelH, p.strideH) + context.op->fusedPadding[0];
    p.padLeft = paddingBefore(padded.dim(2), p.outW, p.kernelW, p.strideW) + context.op->fusedPadding[2];
    std::vector<float> values(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, values.data());
    p.weights.assign(static_cast<size_t>(p.outputs * p.kernelH * p.vectors * kLanes), 0.0f);
    for (int64_t o = 0; o < p.outputs; ++o)
        for (int ky = 0; ky < p.kernelH; ++ky)
            std::copy_n(values.begin() + (o * p.kernelH + ky) * p.window, p.window,
                        p.weights.begin() + (o * p.kernelH + ky) * p.vectors * kLanes);
    p.bias.assign(static_cast<size_t>(p.outputs), 0.0f);
    LS_RETURN_IF_ERROR(readFloatBias(context, p.outputs, p.bias.data()));
    std::tie(p.low, p.high) = clampRange(context, options->fused_activation_function());
    context.state = state;
    return Status::ok();
}

Status evalNarrow(KernelContext& context) {
    const auto& p = *static_cast<const NarrowConvolution*>(context.state.get());
    RunArguments arguments{&p, context.input(0).as<const float>(), context.output(0).as<float>()};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runRow, &arguments,
                  static_cast<size_t>(p.batch * p.outH));
    return Status::ok();
}

}  // namespace

const KernelDef* narrowOutputConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareNarrow, .eval = evalNarrow, .fusesInputPadding = true, .fusesActivation = true};
    if (!cpuHasAvx512() || model.opCode(op).builtin != schema::BuiltinOperator_CONV_2D || op.inputs.size() < 2 || op.inputs[0] < 0 ||
        op.inputs[1] < 0 || op.outputs.size() != 1)
        return nullptr;
    const auto* options = op.options->builtin_options_as_Conv2DOptions();
    if (!options || options->stride_h() < 1 || options->stride_h() > 2 || options->stride_w() < 1 || options->stride_w() > 2 ||
        options->dilation_h_factor() != 1 || options->dilation_w_factor() != 1 || !isClampActivation(options->fused_activation_function()))
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || !isConstantFloat(filter) || filter.shape.size() != 4 ||
        input.shape.size() != 4 || filter.shape[3] != input.shape[3] || filter.shape[0] < 1 || filter.shape[0] > kMaxOutputs ||
        filter.shape[1] < 1 || filter.shape[2] < 1 || filter.shape[3] < 1 || filter.shape[1] > 16 ||
        int64_t(filter.shape[2]) * filter.shape[3] > kMaxWideVectors * kLanes)
        return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0 && !isConstantFloat(subgraph.tensors[static_cast<size_t>(op.inputs[2])])) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu

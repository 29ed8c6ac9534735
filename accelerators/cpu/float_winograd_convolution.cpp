#include "accelerators/cpu/float_winograd_convolution.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_pointwise_convolution.h"
#include "accelerators/cpu/fused_epilogue.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int kPoints = 16;  // transformed values of a 4x4 patch
// Tiles of one GEMM: enough rows that each transformed weight read from L2
// serves many (the 16 GEMMs stream 16 x in x out weights a chunk), few
// enough that a chunk's transformed input and output stay near 4 MiB.
constexpr int64_t kChunkBytes = 4 << 20;
constexpr int64_t kMostChunkTiles = 96, kLeastChunkTiles = 24;

struct PackedWinograd {
    int64_t batch = 0, inH = 0, inW = 0, inputChannels = 0, outH = 0, outW = 0, outputChannels = 0;
    int padTop = 0, padLeft = 0;
    int64_t tilesH = 0, tilesW = 0, tiles = 0, chunkTiles = 0, items = 1;
    std::array<PointwiseWeights, kPoints> transformed;  // U for each point: [in][out] as the 1x1 kernel packs it
    std::vector<float> bias;                            // [out], padded to whole vectors
    float low = 0, high = 0;
    Op::Epilogue epilogue = Op::Epilogue::None;  // a fused activation applied last (fused_epilogue.h)
    std::vector<float> slopes;                   // a fused PRELU's, [out] padded like the bias; empty for none
    int64_t slotFloats() const { return kPoints * chunkTiles * (inputChannels + outputChannels); }
};

struct RunArguments {
    const PackedWinograd* p;
    const float* input;
    float* output;
    float* scratch;  // one slot of slotFloats() per item
};

// U = G g G^T for one 3x3 filter g (row-major), G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1].
std::array<float, kPoints> transformFilter(const float* g) {
    float gg[4][3];
    for (int col = 0; col < 3; ++col) {
        const float a = g[col], b = g[3 + col], c = g[6 + col];
        gg[0][col] = a, gg[1][col] = 0.5f * (a + b + c), gg[2][col] = 0.5f * (a - b + c), gg[3][col] = c;
    }
    std::array<float, kPoints> u{};
    for (int row = 0; row < 4; ++row) {
        const float a = gg[row][0], b = gg[row][1], c = gg[row][2];
        u[static_cast<size_t>(row * 4)] = a, u[static_cast<size_t>(row * 4 + 1)] = 0.5f * (a + b + c);
        u[static_cast<size_t>(row * 4 + 2)] = 0.5f * (a - b + c), u[static_cast<size_t>(row * 4 + 3)] = c;
    }
    return u;
}

// Tiles [first, first + count) of the chunk, channels of 16 at a time:
// V = B^T d B of each 4x4 input patch d (zeros outside the image), written
// as 16 GEMM inputs of `count` rows of inputChannels.
__attribute__((target("avx512f"))) void transformInput(const PackedWinograd& p, const float* input, int64_t first, int64_t count, float* v) {
    const int64_t rowStride = count * p.inputChannels;  // floats between two points' GEMM inputs
    for (int64_t t = 0; t < count; ++t) {
        const int64_t tile = first + t, batch = tile / (p.tilesH * p.tilesW), inPlane = tile % (p.tilesH * p.tilesW);
        const int64_t y0 = 2 * (inPlane / p.tilesW) - p.padTop, x0 = 2 * (inPlane % p.tilesW) - p.padLeft;
        const float* image = input + batch * p.inH * p.inW * p.inputChannels;
        const float* at[4][4];
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) {
                const int64_t y = y0 + i, x = x0 + j;
                at[i][j] = y >= 0 && y < p.inH && x >= 0 && x < p.inW ? image + (y * p.inW + x) * p.inputChannels : nullptr;
            }
        float* out = v + t * p.inputChannels;
        for (int64_t c = 0; c < p.inputChannels; c += kLanes) {
            const __mmask16 lanes = firstLanes(p.inputChannels - c);
            __m512 d[4][4];
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) d[i][j] = at[i][j] ? _mm512_maskz_loadu_ps(lanes, at[i][j] + c) : _mm512_setzero_ps();
            __m512 rows[4][4];  // B^T d
            for (int j = 0; j < 4; ++j) {
                rows[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
                rows[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
                rows[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
                rows[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
            }
            for (int i = 0; i < 4; ++i) {
                float* point = out + static_cast<int64_t>(i * 4) * rowStride + c;
                _mm512_mask_storeu_ps(point, lanes, _mm512_sub_ps(rows[i][0], rows[i][2]));
                _mm512_mask_storeu_ps(point + rowStride, lanes, _mm512_add_ps(rows[i][1], rows[i][2]));
                _mm512_mask_storeu_ps(point + 2 * rowStride, lanes, _mm512_sub_ps(rows[i][2], rows[i][1]));
                _mm512_mask_storeu_ps(point + 3 * rowStride, lanes, _mm512_sub_ps(rows[i][1], rows[i][3]));
            }
        }
    }
}

// An output vector of channels [c, c + 16): clamped (low and high first: a
// NaN comes through), then through the fused activation.
__attribute__((target("avx512f"))) inline __m512 finished(const PackedWinograd& p, __m512 value, int64_t c) {
    value = _mm512_min_ps(_mm512_set1_ps(p.high), _mm512_max_ps(_mm512_set1_ps(p.low), value));
    if (p.epilogue == Op::Epilogue::None) return value;
    return applyEpilogue(p.epilogue, value, p.slopes.empty() ? nullptr : p.slopes.data(), c);
}

// Y = A^T M A for each tile of the chunk (A^T = [1 1 1 0; 0 1 -1 -1]), plus
// the bias, clamped and through the fused activation, into the outputs
// inside the plane.
__attribute__((target("avx512f"))) void transformOutput(const PackedWinograd& p, const float* m, int64_t first, int64_t count, float* output) {
    const int64_t rowStride = count * p.outputChannels;
    for (int64_t t = 0; t < count; ++t) {
        const int64_t tile = first + t, batch = tile / (p.tilesH * p.tilesW), inPlane = tile % (p.tilesH * p.tilesW);
        const int64_t y0 = 2 * (inPlane / p.tilesW), x0 = 2 * (inPlane % p.tilesW);
        const bool secondRow = y0 + 1 < p.outH, secondColumn = x0 + 1 < p.outW;
        float* base = output + ((batch * p.outH + y0) * p.outW + x0) * p.outputChannels;
        const float* in = m + t * p.outputChannels;
        for (int64_t c = 0; c < p.outputChannels; c += kLanes) {
            const __mmask16 lanes = firstLanes(p.outputChannels - c);
            __m512 s[2][4];  // A^T M
            for (int j = 0; j < 4; ++j) {
                const __m512 m0 = _mm512_maskz_loadu_ps(lanes, in + static_cast<int64_t>(j) * rowStride + c);
                const __m512 m1 = _mm512_maskz_loadu_ps(lanes, in + static_cast<int64_t>(4 + j) * rowStride + c);
                const __m512 m2 = _mm512_maskz_loadu_ps(lanes, in + static_cast<int64_t>(8 + j) * rowStride + c);
                const __m512 m3 = _mm512_maskz_loadu_ps(lanes, in + static_cast<int64_t>(12 + j) * rowStride + c);
                s[0][j] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
                s[1][j] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
            }
            const __m512 bias = _mm512_loadu_ps(p.bias.data() + c);
            for (int i = 0; i < 2; ++i) {
                if (i == 1 && !secondRow) break;
                float* row = base + static_cast<int64_t>(i) * p.outW * p.outputChannels + c;
                const __m512 left = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s[i][0], s[i][1]), s[i][2]), bias);
                _mm512_mask_storeu_ps(row, lanes, finished(p, left, c));
                if (!secondColumn) continue;
                const __m512 right = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(s[i][1], s[i][2]), s[i][3]), bias);
                _mm512_mask_storeu_ps(row + p.outputChannels, lanes, finished(p, right, c));
            }
        }
    }
}

// One item: its share of the tiles, a chunk at a time, in its own slot.
void runItem(void* context, size_t item) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedWinograd& p = *arguments.p;
    const int64_t share = (p.tiles + p.items - 1) / p.items;
    const int64_t begin = static_cast<int64_t>(item) * share, end = std::min(p.tiles, begin + share);
    float* v = arguments.scratch + static_cast<int64_t>(item) * p.slotFloats();
    float* m = v + kPoints * p.chunkTiles * p.inputChannels;
    for (int64_t first = begin; first < end; first += p.chunkTiles) {
        const int64_t count = std::min(p.chunkTiles, end - first);
        transformInput(p, arguments.input, first, count, v);
        for (int point = 0; point < kPoints; ++point)
            multiplyPixels(p.transformed[static_cast<size_t>(point)], v + point * count * p.inputChannels, count,
                           m + point * count * p.outputChannels);
        transformOutput(p, m, first, count, arguments.output);
    }
}

Status prepareWinograd(KernelContext& context) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareReferenceConvolution(context, padded));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    if (input.rank() != 4 || filter.rank() != 4 || filter.dim(1) != 3 || filter.dim(2) != 3 || filter.dim(3) != input.dim(3) ||
        out.rank() != 4)
        return context.error("expects a 3x3 filter [out, 3, 3, " + std::to_string(input.rank() == 4 ? input.dim(3) : 0) + "] over a 4-D input");
    auto packed = std::make_shared<PackedWinograd>();
    PackedWinograd& p = *packed;
    p.batch = input.dim(0), p.inH = input.dim(1), p.inW = input.dim(2), p.inputChannels = input.dim(3);
    p.outH = out.dim(1), p.outW = out.dim(2), p.outputChannels = out.dim(3);
    p.padTop = paddingBefore(padded.dim(1), p.outH, 3, 1) + context.op->fusedPadding[0];
    p.padLeft = paddingBefore(padded.dim(2), p.outW, 3, 1) + context.op->fusedPadding[2];
    p.tilesH = (p.outH + 1) / 2, p.tilesW = (p.outW + 1) / 2, p.tiles = p.batch * p.tilesH * p.tilesW;
    const int64_t perTile = kPoints * (p.inputChannels + p.outputChannels) * int64_t(sizeof(float));
    p.chunkTiles = std::clamp<int64_t>(kChunkBytes / std::max<int64_t>(perTile, 1), kLeastChunkTiles, kMostChunkTiles) / 6 * 6;
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    p.items = std::max<int64_t>(1, std::min(threads, p.tiles));

    // U for every point: the filter's 16 transformed values per (out, in),
    // each point's [in][out] packed as a 1x1 convolution's weights.
    std::vector<float> weights(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, weights.data());
    const int64_t blocks = (p.outputChannels + kPointwiseBlockChannels - 1) / kPointwiseBlockChannels;
    for (PointwiseWeights& u : p.transformed) {
        u.inputChannels = p.inputChannels, u.outputChannels = p.outputChannels, u.blocks = blocks;
        u.weights.assign(static_cast<size_t>(blocks * p.inputChannels * kPointwiseBlockChannels), 0.0f);
        u.bias.assign(static_cast<size_t>(blocks * kPointwiseBlockChannels), 0.0f);
        u.low = -std::numeric_limits<float>::infinity(), u.high = std::numeric_limits<float>::infinity();
    }
    float g[9];
    for (int64_t o = 0; o < p.outputChannels; ++o)
        for (int64_t c = 0; c < p.inputChannels; ++c) {
            for (int tap = 0; tap < 9; ++tap) g[tap] = weights[static_cast<size_t>((o * 9 + tap) * p.inputChannels + c)];
            const std::array<float, kPoints> u = transformFilter(g);
            const size_t at = static_cast<size_t>(((o / kPointwiseBlockChannels) * p.inputChannels + c) * kPointwiseBlockChannels +
                                                  o % kPointwiseBlockChannels);
            for (int point = 0; point < kPoints; ++point) p.transformed[static_cast<size_t>(point)].weights[at] = u[static_cast<size_t>(point)];
        }
    p.bias.assign(static_cast<size_t>((p.outputChannels + kLanes - 1) / kLanes * kLanes), 0.0f);
    LS_RETURN_IF_ERROR(readFloatBias(context, p.outputChannels, p.bias.data()));
    p.epilogue = context.op->fusedEpilogue;
    LS_RETURN_IF_ERROR(readPreluSlopes(context, p.outputChannels, p.bias.size(), p.slopes));
    const auto* options = context.op->options->builtin_options_as_Conv2DOptions();
    std::tie(p.low, p.high) = clampRange(context, options->fused_activation_function());
    context.scratchBytes = static_cast<size_t>(p.items * p.slotFloats()) * sizeof(float);
    context.state = packed;
    return Status::ok();
}

Status evalWinograd(KernelContext& context) {
    const auto& p = *static_cast<const PackedWinograd*>(context.state.get());
    RunArguments arguments{&p, context.input(0).as<const float>(), context.output(0).as<float>(), reinterpret_cast<float*>(context.scratch)};
    pthreadpool_parallelize_1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runItem, &arguments, static_cast<size_t>(p.items), 0);
    return Status::ok();
}

}  // namespace

const KernelDef* floatWinogradConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareWinograd, .eval = evalWinograd, .fusesInputPadding = true, .fusesActivation = true};
    if (!cpuHasAvx512() || model.opCode(op).builtin != schema::BuiltinOperator_CONV_2D || !hasConvolutionOperands(op) || op.fusedResidual)
        return nullptr;
    const auto* options = op.options->builtin_options_as_Conv2DOptions();
    if (!options || options->stride_h() != 1 || options->stride_w() != 1 || options->dilation_h_factor() != 1 ||
        options->dilation_w_factor() != 1 || !isClampActivation(options->fused_activation_function()))
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || !isConstantFloat(filter) || filter.shape.size() != 4 ||
        input.shape.size() != 4 || output.shape.size() != 4 || filter.shape[1] != 3 || filter.shape[2] != 3 ||
        filter.shape[3] != input.shape[3] || filter.shape[3] < 16 || filter.shape[0] < 32)
        return nullptr;
    if (output.shape[1] < 1 || output.shape[2] < 1 || int64_t(output.shape[1]) * output.shape[2] < 100) return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0 && !isConstantFloat(subgraph.tensors[static_cast<size_t>(op.inputs[2])])) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu

// 1x1 int8/uint8 convolution as one GEMM on AVX-512 VNNI (vpdpbusd: four
// unsigned-by-signed byte products per int32 lane). Debian's 2022 XNNPACK
// predates its VNNI kernels; pointwise convolutions are most of the time of
// quantized MobileNets, so they get their own kernel here. Results are bit
// for bit those of XNNPACK and the reference kernel: exact int32 sums, then
// the same float32 requantization (scale, clamp, round half to even).
//
// vpdpbusd wants unsigned activations and signed weights, so the operands
// are shifted and the shifts taken back out with sums computed at prepare:
//   int8 activations:  a' = a + 128, w' = w:
//     sum (a - za) w = sum a' w - (128 + za) sum w
//   uint8 activations: a' = a, w' = w - 128:
//     sum (a - za)(w - zw) = sum a w' + (128 - zw) sum a - za sum w + K za zw
// where sum a (per output pixel) is taken on the fly.

#include "accelerators/cpu/vnni_pointwise_convolution.h"

#include "accelerators/cpu/avx512_intrinsics.h"
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/vnni_requantization.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/support/cache_line_vector.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;        // int32 lanes per zmm: output channels per block
constexpr int kRowsPerTile = 4;   // output pixels per micro-tile
constexpr int kBlocksPerTile = 4; // channel blocks per micro-tile (64 channels)

constexpr int64_t kMaxPatchBytes = 8192; // receptive field bytes gathered per pixel, on the stack

// Thread tasks: a tile's work in steps of one 4-byte group of one channel
// block (its requantization counted as kEpilogueWork groups).
constexpr int64_t kEpilogueWork = 4;
constexpr int64_t kTaskWork = 256;
constexpr int64_t kTasksPerThread = 8;
constexpr int64_t kLeastTilesPerThread = 2;  // below this, tasks split the channels too

}  // namespace

// Where a pixel's inputs are, for convolutions other than 1x1 stride 1.
struct VnniPatch {
    int64_t inH = 0, inW = 0, channels = 0, outH = 0, outW = 0;
    int kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1, padTop = 0, padLeft = 0;
    uint8_t padValue = 0;    // the input zero point, which contributes nothing
};

// (declared in the header) A 1x1 or patch convolution packed for vpdpbusd.
struct VnniPointwise {
    bool pointwise = true;   // 1x1 stride 1: input rows are the GEMM rows
    VnniPatch patch;
    bool unsignedActivations = false;
    int64_t depth = 0, channels = 0, blocks = 0;
    CacheLineVector<int8_t> weights;  // [block][depth/4][16 lanes][4]
    VnniRequantization requantization;
    int32_t rowSumFactor = 0;         // uint8: 128 - zw, times sum a of the pixel
};

namespace {

struct RunArguments {
    const VnniPointwise* packed;
    const uint8_t* input;
    uint8_t* output;
    int64_t pixels;
    int64_t blocksPerPart = 0;  // where tiles are too few to share: channel blocks a task
};

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) inline __m512i broadcastGroup(const uint8_t* at, bool flip) {
    int32_t bytes;
    std::memcpy(&bytes, at, 4);
    __m512i value = _mm512_set1_epi32(bytes);
    return flip ? _mm512_xor_si512(value, _mm512_set1_epi32(static_cast<int32_t>(0x80808080u))) : value;
}

// Sum of a row's unsigned bytes (uint8 activations only).
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) int32_t rowSum(const uint8_t* row, int64_t depth) {
    __m512i total = _mm512_setzero_si512();
    int64_t k = 0;
    for (; k + 64 <= depth; k += 64) total = _mm512_add_epi64(total, _mm512_sad_epu8(_mm512_loadu_si512(row + k), _mm512_setzero_si512()));
    // The rest in one masked load: a byte at a time cost a uint8 RGB stem (27 taps) more than its products.
    if (k < depth) {
        const __mmask64 rest = (__mmask64(1) << (depth - k)) - 1;
        total = _mm512_add_epi64(total, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(rest, row + k), _mm512_setzero_si512()));
    }
    return static_cast<int32_t>(_mm512_reduce_add_epi64(total));
}

template <int Rows, int Blocks>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void microTile(const VnniPointwise& p, const uint8_t* const* rows, const int32_t* rowTerms,
                                                                              uint8_t* output, int64_t row, int64_t block) {
    const int64_t groups = p.depth / 4;
    const bool flip = !p.unsignedActivations;
    __m512i accumulators[Rows][Blocks];
#pragma GCC unroll 4
    for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
        for (int b = 0; b < Blocks; ++b) accumulators[r][b] = _mm512_setzero_si512();
    const int8_t* weights = p.weights.data() + block * groups * 64;
    for (int64_t g = 0; g < groups; ++g) {
        __m512i w[Blocks];
#pragma GCC unroll 4
        for (int b = 0; b < Blocks; ++b) w[b] = _mm512_loadu_si512(weights + (b * groups + g) * 64);
#pragma GCC unroll 4
        for (int r = 0; r < Rows; ++r) {
            __m512i a = broadcastGroup(rows[r] + 4 * g, flip);
#pragma GCC unroll 4
            for (int b = 0; b < Blocks; ++b) accumulators[r][b] = _mm512_dpbusd_epi32(accumulators[r][b], a, w[b]);
        }
    }
    for (int r = 0; r < Rows; ++r) {
        const __m512i rowTerm = _mm512_set1_epi32(rowTerms[r]);
        for (int b = 0; b < Blocks; ++b) {
            const int64_t channel = (block + b) * kLanes;
            storeRequantized(p.requantization, _mm512_add_epi32(accumulators[r][b], rowTerm), channel, std::min<int64_t>(kLanes, p.channels - channel),
                             output + (row + r) * p.channels + channel);
        }
    }
}

// Channel blocks [firstBlock, endBlock) of `Rows` output pixels.
template <int Rows>
void rowTile(const VnniPointwise& p, const uint8_t* const* rows, uint8_t* output, int64_t row, int64_t firstBlock, int64_t endBlock) {
    // uint8 activations: each row's sum, once for all channel blocks.
    int32_t rowTerms[Rows];
    for (int r = 0; r < Rows; ++r) rowTerms[r] = p.unsignedActivations ? p.rowSumFactor * rowSum(rows[r], p.depth) : 0;
    int64_t block = firstBlock;
    for (; block + kBlocksPerTile <= endBlock; block += kBlocksPerTile) microTile<Rows, kBlocksPerTile>(p, rows, rowTerms, output, row, block);
    switch (endBlock - block) {
    case 3: microTile<Rows, 3>(p, rows, rowTerms, output, row, block); break;
    case 2: microTile<Rows, 2>(p, rows, rowTerms, output, row, block); break;
    case 1: microTile<Rows, 1>(p, rows, rowTerms, output, row, block); break;
    default: break;
    }
}

// Gathers one output pixel's receptive field into `row` in the packed
// weights' order (ky, kx, channel), padding with the input zero point
// outside the image and with zeros up to the packed depth.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void gatherPatch(const VnniPointwise& p, const uint8_t* input, int64_t pixel,
                                                                      uint8_t* row) {
    const VnniPatch& g = p.patch;
    int64_t ox = pixel % g.outW, rest = pixel / g.outW, oy = rest % g.outH, batch = rest / g.outH;
    uint8_t* at = row;
    const int64_t firstX = ox * g.strideW - g.padLeft;
    // Undilated taps of a row inside the image are one run of bytes in NHWC.
    const bool wholeRows = g.dilationW == 1 && firstX >= 0 && firstX + g.kernelW <= g.inW;
    const size_t rowBytes = static_cast<size_t>(g.kernelW * g.channels);
    for (int ky = 0; ky < g.kernelH; ++ky) {
        int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
        if (wholeRows && iy >= 0 && iy < g.inH) {
            const uint8_t* from = input + ((batch * g.inH + iy) * g.inW + firstX) * g.channels;
            // A short row of taps (a dilated RGB stem's 9 bytes): one masked move, not a call to memcpy.
            if (rowBytes <= 64) {
                const __mmask64 mask = rowBytes == 64 ? ~__mmask64(0) : (__mmask64(1) << rowBytes) - 1;
                _mm512_mask_storeu_epi8(at, mask, _mm512_maskz_loadu_epi8(mask, from));
            } else {
                std::memcpy(at, from, rowBytes);
            }
            at += rowBytes;
            continue;
        }
        for (int kx = 0; kx < g.kernelW; ++kx, at += g.channels) {
            int64_t ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
            if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) std::memset(at, g.padValue, static_cast<size_t>(g.channels));
            else std::memcpy(at, input + ((batch * g.inH + iy) * g.inW + ix) * g.channels, static_cast<size_t>(g.channels));
        }
    }
    std::memset(at, 0, static_cast<size_t>(row + p.depth - at));
}

// Channel blocks [firstBlock, endBlock) of one tile of output pixels.
void runTileBlocks(const RunArguments& arguments, size_t tile, int64_t firstBlock, int64_t endBlock) {
    const VnniPointwise& p = *arguments.packed;
    int64_t row = static_cast<int64_t>(tile) * kRowsPerTile;
    int64_t rows = std::min<int64_t>(kRowsPerTile, arguments.pixels - row);
    const uint8_t* pointers[kRowsPerTile];
    alignas(64) uint8_t patches[kRowsPerTile * kMaxPatchBytes];
    for (int64_t r = 0; r < rows; ++r) {
        if (p.pointwise) {
            pointers[r] = arguments.input + (row + r) * p.depth;
        } else {
            gatherPatch(p, arguments.input, row + r, patches + r * p.depth);
            pointers[r] = patches + r * p.depth;
        }
    }
    // A short last tile at once too: a fused block's rows of 14 or 7 pixels
    // end in one every row.
    switch (rows) {
    case kRowsPerTile: rowTile<kRowsPerTile>(p, pointers, arguments.output, row, firstBlock, endBlock); break;
    case 3: rowTile<3>(p, pointers, arguments.output, row, firstBlock, endBlock); break;
    case 2: rowTile<2>(p, pointers, arguments.output, row, firstBlock, endBlock); break;
    default: rowTile<1>(p, pointers, arguments.output, row, firstBlock, endBlock); break;
    }
}

void runTiles(void* context, size_t first, size_t count) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    for (size_t tile = first; tile < first + count; ++tile) runTileBlocks(arguments, tile, 0, arguments.packed->blocks);
}

void runTileChannels(void* context, size_t tile, size_t part) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const int64_t first = static_cast<int64_t>(part) * arguments.blocksPerPart;
    runTileBlocks(arguments, tile, first, std::min(first + arguments.blocksPerPart, arguments.packed->blocks));
}

// FULLY_CONNECTED is the same GEMM: each input row a pixel of a 1x1 convolution.
bool isFullyConnected(const KernelContext& context) {
    return context.model->opCode(*context.op).builtin == schema::BuiltinOperator_FULLY_CONNECTED;
}

// The weights, offsets and requantization of `p`, whose geometry is set:
// `filter` [out, kh, kw, in] for inputs quantized as `input`, outputs as
// `out`, clamped by `activation` (an ActivationFunctionType).
Status packWeights(VnniPointwise& p, const RuntimeTensor& input, const RuntimeTensor& filter, const int32_t* bias, const RuntimeTensor& out,
                   int activation) {
    VnniPatch& g = p.patch;
    g.padValue = static_cast<uint8_t>(input.zeroPoint());
    const int64_t taps = int64_t(g.kernelH) * g.kernelW * g.channels;
    p.unsignedActivations = input.type == DataType::UInt8;
    p.pointwise = g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 &&
                  g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW && taps % 4 == 0;
    p.depth = (taps + 3) / 4 * 4;
    if (!p.pointwise && p.depth > kMaxPatchBytes) return Status::error("receptive field too large for the VNNI kernel");
    p.channels = filter.dim(0);
    p.blocks = (p.channels + kLanes - 1) / kLanes;
    const int64_t groups = p.depth / 4;
    p.weights.assign(static_cast<size_t>(p.blocks * groups * 64), 0);
    const int32_t inputZero = input.zeroPoint(), weightZero = p.unsignedActivations ? filter.zeroPoint() : 0;
    std::vector<int64_t> weightSums(static_cast<size_t>(p.channels), 0);
    for (int64_t n = 0; n < p.channels; ++n)
        for (int64_t k = 0; k < taps; ++k) {
            int32_t raw = p.unsignedActivations ? filter.as<uint8_t>()[n * taps + k] : filter.as<int8_t>()[n * taps + k];
            weightSums[static_cast<size_t>(n)] += raw;
            int32_t stored = p.unsignedActivations ? raw - 128 : raw;
            int64_t block = n / kLanes, lane = n % kLanes;
            p.weights[static_cast<size_t>(((block * groups + k / 4) * kLanes + lane) * 4 + k % 4)] = static_cast<int8_t>(stored);
        }
    p.requantization.set(input, filter, out, p.channels, activation);
    for (int64_t n = 0; n < p.channels; ++n) {
        int64_t offset = bias ? bias[n] : 0;
        int64_t sum = weightSums[static_cast<size_t>(n)];
        if (p.unsignedActivations) offset += -int64_t(inputZero) * sum + taps * int64_t(inputZero) * weightZero;
        else offset -= (128 + int64_t(inputZero)) * sum;
        p.requantization.offsets[static_cast<size_t>(n)] = static_cast<int32_t>(offset);
    }
    p.rowSumFactor = 128 - weightZero;
    return Status::ok();
}

Status preparePointwise(KernelContext& context) {
    const bool fullyConnected = isFullyConnected(context);
    RuntimeTensor padded;
    if (fullyConnected) {
        LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_FULLY_CONNECTED)->prepare(context));
        context.scratchBytes = 0;
    } else {
        LS_RETURN_IF_ERROR(prepareReferenceConvolution(context, padded));
    }
    const auto& pads = context.op->fusedPadding;
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    auto packed = std::make_shared<VnniPointwise>();
    VnniPointwise& p = *packed;
    VnniPatch& g = p.patch;
    int ownActivation = schema::ActivationFunctionType_NONE;
    if (fullyConnected) {
        const int64_t depth = filter.dim(1);
        g.inH = g.outH = input.elementCount() / depth, g.inW = g.outW = 1, g.channels = depth;
        if (const auto* options = context.op->options->builtin_options_as_FullyConnectedOptions())
            ownActivation = options->fused_activation_function();
    } else {
        const auto* options = context.op->options->builtin_options_as_Conv2DOptions();
        g.inH = input.dim(1), g.inW = input.dim(2), g.channels = input.dim(3), g.outH = out.dim(1), g.outW = out.dim(2);
        g.kernelH = filter.dim(1), g.kernelW = filter.dim(2);
        g.strideH = options->stride_h(), g.strideW = options->stride_w();
        g.dilationH = options->dilation_h_factor(), g.dilationW = options->dilation_w_factor();
        g.padTop = paddingBefore(padded.dim(1), g.outH, g.kernelH, g.strideH, g.dilationH) + pads[0];
        g.padLeft = paddingBefore(padded.dim(2), g.outW, g.kernelW, g.strideW, g.dilationW) + pads[2];
        ownActivation = options->fused_activation_function();
    }
    const int32_t* bias = context.hasInput(2) ? context.input(2).as<int32_t>() : nullptr;
    const int activation = context.op->fusedActivation >= 0 ? context.op->fusedActivation : ownActivation;
    LS_RETURN_IF_ERROR(packWeights(p, input, filter, bias, out, activation).withContext(context.opLabel));
    context.state = packed;
    return Status::ok();
}

Status evalPointwise(KernelContext& context) {
    const auto& packed = *static_cast<const VnniPointwise*>(context.state.get());
    RunArguments arguments{&packed, context.input(0).as<uint8_t>(), context.output(0).as<uint8_t>(),
                           packed.pointwise ? context.input(0).elementCount() / packed.depth
                                            : context.output(0).elementCount() / packed.channels};
    const int64_t tiles = (arguments.pixels + kRowsPerTile - 1) / kRowsPerTile;
    auto pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    // Tasks of about kTaskWork steps. With a task per 4-pixel tile (~40 ns
    // of work) DeepLab's 257x257 layers of 8-48 channels ran no faster on
    // two threads than on one; in runs of tiles a chain of such layers took
    // 0.72x the time. (The pool's cost per task; where exactly it goes was
    // not measured.) At least kTasksPerThread a thread, so that a core the
    // host slows still hands work over.
    const int64_t tileWork = std::max<int64_t>(1, (packed.depth / 4 + kEpilogueWork) * packed.blocks);
    const int64_t threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    if (threads > 1 && tiles < kLeastTilesPerThread * threads && packed.blocks >= 2 * kBlocksPerTile) {
        // Too few pixels to go round (a classifier's head, one pixel and
        // 1001 channels: 1.3 MB of weights on one core): each task some
        // tiles' share of the channel blocks, whole micro-tiles of blocks.
        // Not sooner: MobileNetV2's 7x7 layers (13 tiles) ran 2-6 % slower
        // on two threads split so, since the next op reads every channel.
        const int64_t parts = std::min((kTasksPerThread * threads + tiles - 1) / tiles, packed.blocks / kBlocksPerTile);
        const int64_t microTiles = (packed.blocks + kBlocksPerTile - 1) / kBlocksPerTile;
        arguments.blocksPerPart = (microTiles + parts - 1) / parts * kBlocksPerTile;
        const int64_t taskParts = (packed.blocks + arguments.blocksPerPart - 1) / arguments.blocksPerPart;
        parallelize2d(pool, runTileChannels, &arguments, static_cast<size_t>(tiles), static_cast<size_t>(taskParts));
        return Status::ok();
    }
    const int64_t tilesPerTask =
        std::max<int64_t>(1, std::min((kTaskWork + tileWork - 1) / tileWork, tiles / (kTasksPerThread * threads)));
    parallelize1dTile1d(pool, runTiles, &arguments, static_cast<size_t>(tiles), static_cast<size_t>(tilesPerTask));
    return Status::ok();
}

const KernelDef* fullyConnectedKernel(const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = preparePointwise, .eval = evalPointwise, .fusesActivation = true};
    const auto* options = op.options->builtin_options_as_FullyConnectedOptions();
    if (options && (options->weights_format() != schema::FullyConnectedOptionsWeightsFormat_DEFAULT ||
                    options->fused_activation_function() == schema::ActivationFunctionType_TANH ||
                    options->fused_activation_function() == schema::ActivationFunctionType_SIGN_BIT))
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (filter.shape.size() != 2 || filter.shape[1] <= 0 || filter.shape[1] > 16384 || filter.isSparse || filter.quantization.blockSize > 0 ||
        !vnniTakesOperands(subgraph, op, input, filter, output))
        return nullptr;
    // A depth that is not a multiple of 4 is gathered into a padded row on the stack.
    if (filter.shape[1] % 4 != 0 && filter.shape[1] > kMaxPatchBytes - 3) return nullptr;
    return &kernel;
}

}  // namespace

// The checks shared by CONV_2D and FULLY_CONNECTED: 8-bit operands of one
// type with quantization, constant weights and int32 bias, and weight zero
// points the kernel's arithmetic takes (uint8 per tensor, int8 zero).
bool vnniTakesOperands(const Subgraph& subgraph, const Op& op, const Tensor& input, const Tensor& filter, const Tensor& output) {
    if ((input.type != DataType::UInt8 && input.type != DataType::Int8) || filter.type != input.type || output.type != input.type ||
        !filter.isConstant())
        return false;
    if (input.quantization.scales.empty() || filter.quantization.scales.empty() || output.quantization.scales.empty()) return false;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
        const Tensor& bias = subgraph.tensors[static_cast<size_t>(op.inputs[2])];
        if (!bias.isConstant() || bias.type != DataType::Int32) return false;
    }
    if (input.type == DataType::UInt8) return filter.quantization.scheme == Quantization::Scheme::PerTensor;
    for (int64_t zero : filter.quantization.zeroPoints)
        if (zero != 0) return false;
    return true;
}

Expected<std::shared_ptr<const VnniPointwise>> packVnniPointwise(const RuntimeTensor& input, const RuntimeTensor& filter, const int32_t* bias,
                                                                 const RuntimeTensor& output, int activation) {
    if (filter.rank() != 4 || filter.dim(1) != 1 || filter.dim(2) != 1 || filter.dim(3) % 4 != 0)
        return Status::error("expects a 1x1 filter over a multiple of 4 channels, got " + filter.name + " " + shapeText(filter.shape));
    auto packed = std::make_shared<VnniPointwise>();
    VnniPatch& g = packed->patch;
    g.inH = g.outH = 1, g.inW = g.outW = 1, g.channels = filter.dim(3);
    LS_RETURN_IF_ERROR(packWeights(*packed, input, filter, bias, output, activation));
    return std::shared_ptr<const VnniPointwise>(std::move(packed));
}

void runVnniPointwise(const VnniPointwise& p, const uint8_t* input, int64_t pixels, uint8_t* output) {
    RunArguments arguments{&p, input, output, pixels};
    runTiles(&arguments, 0, static_cast<size_t>((pixels + kRowsPerTile - 1) / kRowsPerTile));
}

bool vnniAvailable() { return cpuHasAvx512Vnni(); }

const KernelDef* vnniPointwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{
        .prepare = preparePointwise, .eval = evalPointwise, .fusesInputPadding = true, .fusesActivation = true};
    if (!vnniAvailable() || op.inputs.size() < 2 || op.inputs[0] < 0 || op.inputs[1] < 0 || op.outputs.size() != 1) return nullptr;
    if (model.opCode(op).builtin == schema::BuiltinOperator_FULLY_CONNECTED) return fullyConnectedKernel(subgraph, op);
    if (model.opCode(op).builtin != schema::BuiltinOperator_CONV_2D) return nullptr;
    const auto* options = op.options->builtin_options_as_Conv2DOptions();
    if (!options || options->stride_h() < 1 || options->stride_w() < 1 || options->dilation_h_factor() < 1 ||
        options->dilation_w_factor() < 1)
        return nullptr;
    auto activation = options->fused_activation_function();
    if (activation == schema::ActivationFunctionType_TANH || activation == schema::ActivationFunctionType_SIGN_BIT) return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (filter.shape.size() != 4 || input.shape.size() != 4 || input.shape[3] != filter.shape[3] ||
        !vnniTakesOperands(subgraph, op, input, filter, output))
        return nullptr;
    // int32 sums stay exact up to 2^31 / 255^2 taps; patches are gathered on the stack.
    int64_t taps = int64_t(filter.shape[1]) * filter.shape[2] * filter.shape[3];
    bool pointwise = filter.shape[1] == 1 && filter.shape[2] == 1 && options->stride_h() == 1 && options->stride_w() == 1;
    if (taps > 16384 || ((!pointwise || taps % 4 != 0) && taps > kMaxPatchBytes - 3)) return nullptr;
    // Stems of 1-4 channels go to quantized_stem_convolution first, which
    // reads their taps from the rows without gathering; dilated ones come here.
    return &kernel;
}

}  // namespace litestudio::cpu

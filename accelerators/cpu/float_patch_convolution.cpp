#include "accelerators/cpu/float_patch_convolution.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <tuple>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_pointwise_convolution.h"
#include "accelerators/cpu/scratch_slots.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int64_t kChunkBytes = 128 << 10;
// Each chunk streams every weight once (a range of input channels at a
// time, from L1 over the chunk's rows): where the weights pass 1 MiB (a
// 3x3 over 512 channels holds 9.4 MB) the chunk grows to 1 MiB of rows,
// so that a small plane streams them once or twice, not once a step.
constexpr int64_t kLargeWeightBytes = 1 << 20, kLargeWeightChunkBytes = 1 << 20;
constexpr int64_t kMostPatchFloats = 8192;
constexpr int64_t kLeastPixels = 49;
// Under four vectors of outputs the GEMM's step (six pixels by four
// vectors) idles, and gathering the patches costs more against fewer
// multiplies: YOLOv8n's 3x3s from 16 channels to 16 and 32 took 1.5x and
// 1.2x XNNPACK's time with its separate swish, on one thread, where those
// to 64-256 took 0.80-0.99x.
constexpr int32_t kLeastOutputs = 64;

struct PackedPatchConvolution {
    PointwiseWeights weights;  // the filter [out, kh, kw, in] as a 1x1's [out, 1, 1, kh * kw * in]
    int64_t inH = 0, inW = 0, inputChannels = 0, outH = 0, outW = 0, outputChannels = 0;
    int64_t kernelH = 0, kernelW = 0, strideH = 1, strideW = 1, padTop = 0, padLeft = 0;
    int64_t pixels = 0, chunkPixels = 0, items = 1;
    // Items are pixel shares times groups of output blocks (one group but
    // where outputBlockGroups gives more).
    int64_t pixelShares = 1, blockGroups = 1;
    ScratchSlots slots;  // one a thread
    // The pixel share whose patches each slot holds (-1: none), set afresh
    // by each eval: a slot's next item of the same share skips the gather.
    std::unique_ptr<int64_t[]> heldShares;
    int64_t patchFloats() const { return kernelH * kernelW * inputChannels; }
    int64_t slotFloats() const { return chunkPixels * patchFloats(); }
};

struct RunArguments {
    const PackedPatchConvolution* p;
    const float* input;
    float* output;
    float* scratch;  // slots.count() slots of slotFloats()
};

// The patches of output pixels [first, first + count), a row of kh x kw x
// in floats each, in the filter's order; zeros for taps over the padding.
void gatherPatches(const PackedPatchConvolution& p, const float* input, int64_t first, int64_t count, float* rows) {
    const int64_t plane = p.outH * p.outW, channelBytes = p.inputChannels * int64_t(sizeof(float));
    for (int64_t i = 0; i < count; ++i) {
        const int64_t pixel = first + i, image = pixel / plane, y = pixel % plane / p.outW, x = pixel % p.outW;
        const float* imageInput = input + image * p.inH * p.inW * p.inputChannels;
        float* row = rows + i * p.patchFloats();
        const int64_t left = x * p.strideW - p.padLeft;
        for (int64_t ky = 0; ky < p.kernelH; ++ky, row += p.kernelW * p.inputChannels) {
            const int64_t inY = y * p.strideH - p.padTop + ky;
            if (inY < 0 || inY >= p.inH) {
                std::memset(row, 0, static_cast<size_t>(p.kernelW * channelBytes));
                continue;
            }
            const float* inputRow = imageInput + inY * p.inW * p.inputChannels;
            // Inside the row: the taps are one contiguous run.
            if (left >= 0 && left + p.kernelW <= p.inW) {
                std::memcpy(row, inputRow + left * p.inputChannels, static_cast<size_t>(p.kernelW * channelBytes));
                continue;
            }
            for (int64_t kx = 0; kx < p.kernelW; ++kx) {
                const int64_t inX = left + kx;
                float* tap = row + kx * p.inputChannels;
                if (inX < 0 || inX >= p.inW) std::memset(tap, 0, static_cast<size_t>(channelBytes));
                else std::memcpy(tap, inputRow + inX * p.inputChannels, static_cast<size_t>(channelBytes));
            }
        }
    }
}

// One item: a group of output blocks over a share of the output pixels
// (at most a chunk), in a free slot.
void runItem(void* context, size_t item) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedPatchConvolution& p = *arguments.p;
    const int64_t share = static_cast<int64_t>(item) / p.blockGroups, group = static_cast<int64_t>(item) % p.blockGroups;
    const int64_t first = share * p.pixels / p.pixelShares, count = (share + 1) * p.pixels / p.pixelShares - first;
    const int64_t slot = p.slots.claim(static_cast<int64_t>(item));
    float* rows = arguments.scratch + slot * p.slotFloats();
    if (p.heldShares[static_cast<size_t>(slot)] != share) {
        gatherPatches(p, arguments.input, first, count, rows);
        p.heldShares[static_cast<size_t>(slot)] = share;
    }
    const int64_t blocks = p.weights.blocks;
    multiplyPixelBlocks(p.weights, group * blocks / p.blockGroups, (group + 1) * blocks / p.blockGroups, rows, count,
                        arguments.output + first * p.outputChannels);
    p.slots.release(slot);
}

Status preparePatchConvolution(KernelContext& context) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareReferenceConvolution(context, padded));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    if (input.rank() != 4 || filter.rank() != 4 || out.rank() != 4 || filter.dim(3) != input.dim(3) ||
        int64_t{filter.dim(1)} * filter.dim(2) * filter.dim(3) > kMostPatchFloats)
        return context.error("expects a filter [out, kh, kw, " + std::to_string(input.rank() == 4 ? input.dim(3) : 0) +
                             "] of at most " + std::to_string(kMostPatchFloats) + " values an output over a 4-D input");
    const auto* options = context.op->options->builtin_options_as_Conv2DOptions();
    auto packed = std::make_shared<PackedPatchConvolution>();
    PackedPatchConvolution& p = *packed;
    p.inH = input.dim(1), p.inW = input.dim(2), p.inputChannels = input.dim(3);
    p.outH = out.dim(1), p.outW = out.dim(2), p.outputChannels = out.dim(3);
    p.kernelH = filter.dim(1), p.kernelW = filter.dim(2);
    p.strideH = options->stride_h(), p.strideW = options->stride_w();
    p.padTop = paddingBefore(padded.dim(1), p.outH, static_cast<int>(p.kernelH), static_cast<int>(p.strideH)) + context.op->fusedPadding[0];
    p.padLeft = paddingBefore(padded.dim(2), p.outW, static_cast<int>(p.kernelW), static_cast<int>(p.strideW)) + context.op->fusedPadding[2];
    p.pixels = int64_t{input.dim(0)} * p.outH * p.outW;
    p.chunkPixels = floatPatchChunkPixels(p.patchFloats(), p.patchFloats() * p.outputChannels * int64_t(sizeof(float)));
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    // An item a chunk, so that a thread that finishes first takes the
    // other's last chunks: with one item a thread, YOLOv8n's 80x80x32 -> 64
    // stride-2 layer ended 0.06-0.09 ms apart on two threads, a fifth of its
    // time, and with four, style transfer's 256x256x32 -> 64 0.47 ms of
    // 2.47. The same number each: iris landmark's 16x16 layer in three
    // items ended 0.02 ms apart, nearly half its time.
    const int64_t chunks = (p.pixels + p.chunkPixels - 1) / p.chunkPixels;
    // Where the weights pass 1 MiB, threads share out the output blocks
    // over each chunk instead of the chunks, each gathering the chunk's
    // patches once. Split by pixels, every thread streamed all of the
    // weights, and a 7x7 plane came in halves of 24 and 25 pixels (GEMM
    // steps of 6 and 5): ResNet-50's 7x7 512 -> 512 3x3s took 1.42 ms on
    // one thread and 0.97-1.01 on two, the halves ending 0.15 ms apart.
    const int64_t weightBytes = p.patchFloats() * p.outputChannels * int64_t(sizeof(float));
    p.blockGroups = outputBlockGroups(weightBytes, (p.outputChannels + kPointwiseBlockChannels - 1) / kPointwiseBlockChannels, threads);
    if (p.blockGroups > 1) {
        p.pixelShares = std::clamp<int64_t>(chunks, 1, std::max<int64_t>(p.pixels, 1));
        p.items = p.pixelShares * p.blockGroups;
    } else {
        p.items = p.pixelShares = itemsOnThreads(chunks, threads, p.pixels);
    }
    p.slots = ScratchSlots(std::min(threads, p.items));
    p.heldShares = std::make_unique<int64_t[]>(static_cast<size_t>(p.slots.count()));

    // The filter's [out][kh][kw][in] values are already a 1x1's [out][K] rows.
    RuntimeTensor asPointwise = filter;
    asPointwise.shape = {filter.dim(0), 1, 1, filter.dim(1) * filter.dim(2) * filter.dim(3)};
    LS_RETURN_IF_ERROR(packPointwiseWeights(context, asPointwise, 2, p.weights));
    LS_RETURN_IF_ERROR(packEpilogue(context, p.weights));
    std::tie(p.weights.low, p.weights.high) = clampRange(context, options->fused_activation_function());
    context.scratchBytes = static_cast<size_t>(p.slots.count() * p.slotFloats()) * sizeof(float) + 64;
    context.state = packed;
    return Status::ok();
}

Status evalPatchConvolution(KernelContext& context) {
    const auto& p = *static_cast<const PackedPatchConvolution*>(context.state.get());
    if (p.pixels == 0) return Status::ok();
    std::fill_n(p.heldShares.get(), p.slots.count(), int64_t{-1});
    RunArguments arguments{&p, context.input(0).as<const float>(), context.output(0).as<float>(), alignedScratch(context)};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runItem, &arguments, static_cast<size_t>(p.items));
    return Status::ok();
}

}  // namespace

int64_t floatPatchChunkPixels(int64_t patchFloats, int64_t weightBytes) {
    const int64_t bytes = weightBytes > kLargeWeightBytes ? kLargeWeightChunkBytes : kChunkBytes;
    const int64_t pixels = bytes / (std::max<int64_t>(patchFloats, 1) * int64_t(sizeof(float)));
    return std::clamp<int64_t>(pixels / 6 * 6, 6, 96);
}

const KernelDef* floatPatchConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = preparePatchConvolution, .eval = evalPatchConvolution, .fusesInputPadding = true, .fusesActivation = true};
    if (!cpuHasAvx512() || model.opCode(op).builtin != schema::BuiltinOperator_CONV_2D || !hasConvolutionOperands(op) || op.fusedResidual)
        return nullptr;
    const auto* options = op.options->builtin_options_as_Conv2DOptions();
    if (!options || options->stride_h() < 1 || options->stride_w() < 1 || options->dilation_h_factor() != 1 || options->dilation_w_factor() != 1 ||
        !isClampActivation(options->fused_activation_function()))
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || !isConstantFloat(filter) || filter.shape.size() != 4 ||
        input.shape.size() != 4 || output.shape.size() != 4 || filter.shape[3] != input.shape[3] || filter.shape[0] < kLeastOutputs ||
        filter.shape[1] < 1 || filter.shape[2] < 1 || filter.shape[3] < 1 ||
        int64_t{filter.shape[1]} * filter.shape[2] * filter.shape[3] > kMostPatchFloats)
        return nullptr;
    // A 1x1 at stride 1 is the 1x1 kernel's own (or XNNPACK's, on planes
    // too small for it); strided, its patch is one pixel of every other.
    const bool strided = options->stride_h() > 1 || options->stride_w() > 1;
    if (int64_t{filter.shape[1]} * filter.shape[2] < 2 && !strided) return nullptr;
    if (output.shape[0] < 1 || output.shape[1] < 1 || output.shape[2] < 1 || int64_t{output.shape[1]} * output.shape[2] < kLeastPixels) return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0 && !isConstantFloat(subgraph.tensors[static_cast<size_t>(op.inputs[2])])) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu

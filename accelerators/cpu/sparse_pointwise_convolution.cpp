// A tile is 64 consecutive pixels (fewer at the end). Its input is turned
// channel-major into a scratch in L1 (16x16 transposes gathered by inserting loads), one chunk
// of input channels at a time so that the chunk stays in L1 however wide the
// layer. For each output channel, each nonzero weight is broadcast and
// multiplied into its input channel's 64 pixels: one weight load, four
// input loads, four FMAs. Partial sums of all output channels wait in a
// second channel-major scratch between chunks and are transposed back to
// NHWC, clamped, at the end; with one chunk, a window of 64 output
// channels is transposed back as soon as it is made, while still in L1.
// Within a window, rows go by nonzero count (channel_major::orderRows).
// Two sets of accumulators take alternate nonzeros so that eight FMA
// chains are in flight (four sets when a tile has fewer than three
// vectors).
// On several threads the work splits by channels where it can, as the
// depthwise kernels beside these layers split theirs, so that each thread
// reads what it wrote: a widening layer by output channels, a narrowing
// one of a few tiles by input chunks.
#include "accelerators/cpu/sparse_pointwise_convolution.h"

#include "accelerators/cpu/channel_major_tiles.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <climits>
#include <memory>
#include <tuple>
#include <type_traits>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

using namespace channel_major;

// Input channels a chunk. Up to 128 are taken whole: one chunk goes back
// to NHWC a window of outputs at a time while its sums are in L1 (on the
// Zen 4 EPYC, pose detection's 14x14 80 -> 480 and 112 -> 672 layers took
// 7-18 % longer in chunks of 64). Wider inputs take as many multiples of
// 32 (up to 128) as keep a chunk's tile, `tilePixels` floats a channel,
// within L1: 128 with 32 or 48 KiB and tiles of 64. With 8-byte nonzeros
// a tile had to leave a third of L1 to them (on Zen 4's 32 KiB, 64
// channels: pose detection's 7x7 192 <-> 1152 layers 0.13 -> 0.11 ms
// against 128); with nonzeros in halves (compactToHalves) 128 is the
// faster again: its 14x14 and 7x7 layers of 480-1152 inputs 3-11 % less
// time, the model's ops 5.83 -> 5.68 ms (12 rounds, alternating order),
// even on two threads. Its 14x14 672 -> 112 ones on two threads, in tiles
// of 32, had gone 0.067 -> 0.074 ms in chunks of 64, which their
// half-used tile rows did not need.
int64_t chunkChannels(int64_t inputChannels, int64_t tilePixels) {
    if (inputChannels <= 128) return inputChannels;
    const int64_t fitting = level1DataCacheBytes() / (tilePixels * int64_t(sizeof(float))) / 32 * 32;
    return std::clamp<int64_t>(fitting, 32, 128);
}

// Nonzeros per pixel over the channels transposed per pixel: below this the
// two transposes cost more than the zeros skipped (measured on pose
// detection: 24 <-> 144 channels (5.1) slower than dense, 40 <-> 240 (8.6)
// even, 112 <-> 672 (16) 1.5x faster, 192 <-> 1152 (41) 2x). Since the
// nonzeros stream in halves: pose detection's 28x28 40 -> 96 (7.1), dense
// in a separable block with its depthwise 0.087 ms, takes 0.059 here; face
// detection full range sparse's 24x24 32 <-> 128 (6.4) ones leave their
// dense separable blocks too, the sum of its ops 0.97x at 7 and 0.975x
// more at 5. Pose detection's 56x56 24 <-> 144 stay in their channel-major
// blocks, which give up an expansion only from 7 (sparse_inverted_residual).
constexpr double kLeastWorkPerTransposed = 5.0;

// Tiles of 64 pixels a narrowing layer may have and still sum its input in
// parts, a part a thread (a 14x14 plane has 3, a 7x7 one 1).
constexpr int64_t kMostTilesByInputParts = 4;

struct SparseWeights : SparseMatrix, TileWrite {
    int64_t pixels = 0;
    int64_t tilePixels = 0;       // 64, or 32/16 to give threads more tiles
    int64_t tiles = 0;            // the last takes up to kTailPixels more pixels than tilePixels
    int64_t channelsPerTask = 0;  // a multiple of 16
    // A layer narrowing many channels of a few tiles on several threads:
    // each part takes chunksPerPart input chunks for every output channel
    // of every tile into its own partial sums (arena scratch), which a
    // second pass adds up.
    int64_t inputParts = 1, chunksPerPart = 0;
    size_t tileSumFloats = 0;     // one tile's sums in a part: whole blocks of 16 rows of 64, then their tails (kTailFloats)
    size_t partialFloats = 0;     // one part's: tiles x tileSumFloats
};

struct RunArguments {
    const SparseWeights* w;
    const float* input;
    const float* residual;  // null unless fused
    float* output;
    float* partials = nullptr;  // inputParts x partialFloats, 64-byte aligned
};

// Per thread: the channel-major input chunk and the partial sums, each with
// its tail (channelMajor::TileTail), 64-byte aligned.
struct TileScratch {
    std::vector<float> storage;
    float* input = nullptr;
    float* sums = nullptr;
    TileTail tail;

    void reserve(int64_t inputChannels, int64_t outputChannels) {
        const size_t inputFloats = static_cast<size_t>(inputChannels * kTilePixels);
        // Whole blocks of 16 rows: the transpose back reads rows past the
        // last channel (masked off), and a tail row's 16 floats.
        const auto blockRows = static_cast<size_t>((outputChannels + kLanes - 1) / kLanes * kLanes);
        const size_t sumFloats = blockRows * kTilePixels;
        const size_t inputTailFloats = static_cast<size_t>((inputChannels * kTailFloats + kLanes - 1) / kLanes * kLanes);
        const size_t sumTailFloats = blockRows * kTailFloats + kLanes;
        const size_t needed = inputFloats + sumFloats + inputTailFloats + sumTailFloats + kLanes;
        if (storage.size() < needed) storage.assign(needed, 0.0f);
        auto address = reinterpret_cast<uintptr_t>(storage.data());
        input = storage.data() + ((64 - address % 64) % 64) / sizeof(float);
        sums = input + inputFloats;
        tail.input = sums + sumFloats;
        tail.sums = tail.input + inputTailFloats;
    }
};

// Input chunks [firstChunk, endChunk) of one tile into sums[first, end)
// (a tile's pixels past 64 into sumsTail): each turned channel-major, then
// multiplied.
template <int Vectors>
__attribute__((target("avx512f"))) void sumChunks(const SparseWeights& w, const float* input, int valid, int64_t firstChunk,
                                                 int64_t endChunk, bool withBias, float* sums, float* sumsTail, int64_t first, int64_t end,
                                                 TileScratch& scratch) {
    const TileTail tail{scratch.tail.input, sumsTail};
    for (int64_t chunk = firstChunk; chunk < endChunk; ++chunk) {
        const int64_t firstChannel = chunk * w.chunkChannels;
        toChannelMajor<Vectors>(input + firstChannel, w.inputChannels, valid, std::min(w.chunkChannels, w.inputChannels - firstChannel),
                                scratch.input, scratch.tail.input);
        multiplyTile<Vectors, kAccumulatorSets<Vectors>>(valid, w, chunk, chunk == firstChunk, withBias, scratch.input, sums, 0, first, end,
                                                         &tail);
    }
}

// The first pixel of tile `tile`, and how many it has.
int64_t firstPixelOf(const SparseWeights& w, size_t tile) { return static_cast<int64_t>(tile) * w.tilePixels; }
int pixelsOf(const SparseWeights& w, size_t tile) {
    return static_cast<int>(tile + 1 == static_cast<size_t>(w.tiles) ? w.pixels - firstPixelOf(w, tile) : w.tilePixels);
}

// Output channels of part `part` of tile `tile`.
void runTask(void* context, size_t part, size_t tile) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const SparseWeights& w = *arguments.w;
    thread_local TileScratch scratch;
    scratch.reserve(w.chunkChannels, w.outputChannels);
    const int64_t pixel = firstPixelOf(w, tile);
    const int valid = pixelsOf(w, tile);
    const int64_t first = static_cast<int64_t>(part) * w.channelsPerTask;
    const int64_t end = std::min(w.outputChannels, first + w.channelsPerTask);
    const float* input = arguments.input + pixel * w.inputChannels;
    const float* residual = arguments.residual ? arguments.residual + pixel * w.outputChannels : nullptr;
    float* output = arguments.output + pixel * w.outputChannels;
    withVectors(valid, [&](auto vectors) {
        if (w.chunks == 1) {
            // A window of output channels at a time goes back to NHWC while
            // its sums are still in L1, instead of all of them through L2.
            toChannelMajor<vectors()>(input, w.inputChannels, valid, w.inputChannels, scratch.input, scratch.tail.input);
            for (int64_t block = first; block < end; block += kOrderWindow) {
                const int64_t blockEnd = std::min(end, block + kOrderWindow);
                multiplyTile<vectors(), kAccumulatorSets<vectors()>>(valid, w, 0, true, true, scratch.input, scratch.sums, block, block,
                                                                     blockEnd, &scratch.tail);
                toPixelMajor<vectors()>(w, scratch.sums, block, block, blockEnd, valid, residual, output, scratch.tail.sums);
            }
            return;
        }
        sumChunks<vectors()>(w, input, valid, 0, w.chunks, true, scratch.sums, scratch.tail.sums, first, end, scratch);
        toPixelMajor<vectors()>(w, scratch.sums, 0, first, end, valid, residual, output, scratch.tail.sums);
    });
}

// Where a part's sums of a tile are, and where their tails are after them.
float* partialSums(const RunArguments& arguments, int64_t part, size_t tile) {
    return arguments.partials + static_cast<size_t>(part) * arguments.w->partialFloats + tile * arguments.w->tileSumFloats;
}
template <typename Float>
Float* tailsOf(const SparseWeights& w, Float* sums) {
    return sums + (w.outputChannels + kLanes - 1) / kLanes * kLanes * kTilePixels;
}

// Input part `part` of tile `tile`: its chunks for every output channel
// into its own partial sums (the first part's start from the bias).
void runInputPart(void* context, size_t part, size_t tile) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const SparseWeights& w = *arguments.w;
    thread_local TileScratch scratch;
    scratch.reserve(w.chunkChannels, w.outputChannels);
    const int64_t pixel = firstPixelOf(w, tile);
    const int valid = pixelsOf(w, tile);
    const int64_t firstChunk = static_cast<int64_t>(part) * w.chunksPerPart, endChunk = std::min(w.chunks, firstChunk + w.chunksPerPart);
    float* sums = partialSums(arguments, static_cast<int64_t>(part), tile);
    withVectors(valid, [&](auto vectors) {
        sumChunks<vectors()>(w, arguments.input + pixel * w.inputChannels, valid, firstChunk, endChunk, part == 0, sums, tailsOf(w, sums), 0,
                             w.outputChannels, scratch);
    });
}

// Output channels of block `block` (16) of a tile: the parts' sums (and
// tails) added into the first part's, then written out like a whole tile.
template <int Vectors>
__attribute__((target("avx512f"))) void finishBlock(const RunArguments& arguments, size_t tile, int64_t block) {
    const SparseWeights& w = *arguments.w;
    const int64_t pixel = firstPixelOf(w, tile);
    const int valid = pixelsOf(w, tile);
    const int64_t first = block * kLanes, end = std::min(w.outputChannels, first + kLanes);
    const bool tail = Vectors == 4 && valid > kTilePixels;
    float* total = partialSums(arguments, 0, tile);
    float* totalTail = tailsOf(w, total);
    for (int64_t part = 1; part < w.inputParts; ++part) {
        const float* sums = partialSums(arguments, part, tile);
        const float* sumsTail = tailsOf(w, sums);
        for (int64_t c = first; c < end; ++c) {
            for (int v = 0; v < Vectors; ++v) {
                float* at = total + c * kTilePixels + v * kLanes;
                _mm512_store_ps(at, _mm512_add_ps(_mm512_load_ps(at), _mm512_load_ps(sums + c * kTilePixels + v * kLanes)));
            }
            if (tail) {
                float* at = totalTail + c * kTailFloats;
                _mm_store_ps(at, _mm_add_ps(_mm_load_ps(at), _mm_load_ps(sumsTail + c * kTailFloats)));
            }
        }
    }
    toPixelMajor<Vectors>(w, total, 0, first, end, valid, arguments.residual ? arguments.residual + pixel * w.outputChannels : nullptr,
                          arguments.output + pixel * w.outputChannels, totalTail);
}

void runFinishBlock(void* context, size_t tile, size_t block) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    withVectors(pixelsOf(*arguments.w, tile),
                [&](auto vectors) { finishBlock<vectors()>(arguments, tile, static_cast<int64_t>(block)); });
}

Status prepareSparse(KernelContext& context) {
    RuntimeTensor* residualInput = context.op->fusedResidual && context.inputs.size() == 4 ? context.inputs[3] : nullptr;
    if (context.op->fusedResidual && !residualInput) return context.error("a fused residual ADD needs its tensor as input 3");
    LS_RETURN_IF_ERROR(prepareReferenceConvolution(context));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& output = context.output(0);
    if (input.rank() != 4 || filter.rank() != 4 || filter.dim(1) != 1 || filter.dim(2) != 1 || filter.dim(3) != input.dim(3) ||
        output.dim(1) != input.dim(1) || output.dim(2) != input.dim(2))
        return context.error("expects a 1x1 stride-1 filter [out, 1, 1, " + std::to_string(input.rank() == 4 ? input.dim(3) : 0) +
                             "] over a 4-D input");
    auto weights = std::make_shared<SparseWeights>();
    SparseWeights& w = *weights;
    // packNonzeros sets the rest once the threads' ranges are known.
    w.inputChannels = input.dim(3);
    w.outputChannels = filter.dim(0);
    w.pixels = int64_t(input.dim(0)) * input.dim(1) * input.dim(2);
    const auto* options = context.op->options->builtin_options_as_Conv2DOptions();
    std::tie(w.low, w.high) = clampRange(context, options->fused_activation_function());
    w.rowChannels = w.outputChannels;
    if (residualInput) {
        LS_RETURN_IF_ERROR(readExactResidual(context, *residualInput, w.residualLow, w.residualHigh));
        w.residual = true;
    }
    // Enough tasks for every thread. A layer that narrows (more input than
    // output channels) takes smaller tiles: splitting its output channels
    // would transpose its wide input once per part (pose detection's 14x14
    // 672 -> 112 layers on two threads: 0.113 -> 0.103 ms, 1152 -> 192
    // 0.277 -> 0.233 ms). A 7x7 plane is one tile either way, and two
    // half-empty tiles of 32 cost more than transposing twice (0.087 ->
    // 0.116 ms): it splits its output channels, only as far as the threads
    // need (eight parts of every 7x7 layer: pose detection 4.8 ms, one per
    // thread 4.6 ms).
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    // A last tile of at most kTailPixels joins the one before (in its tail
    // at 64 pixels, in the row's spare vector below) when that leaves two
    // tiles or more. Every thread then gets two tasks or more: a layer that
    // narrows halves its tiles, one that widens splits its output channels
    // into as many parts as that needs. Pose detection's 14x14 layers on
    // two threads had kept their last 4 pixels as a fourth tile, a pass
    // over every nonzero for one short vector; joined, 112 -> 672 went
    // 0.084 -> 0.072 ms (three tiles, two parts each) and 672 -> 112 0.071
    // -> 0.066 (six tiles of 32); the sum of the model's ops 0.97x.
    auto tilesOf = [&](int64_t size) {
        const int64_t whole = w.pixels / size, rest = w.pixels % size;
        const bool joins = rest <= kTailPixels && whole >= 2;
        return rest == 0 || joins ? whole : whole + 1;
    };
    // A layer that narrows a few tiles (a 7x7 or 14x14 plane) of more than
    // one chunk sums its input chunks in parts, a part a thread, and adds
    // the parts up after. The depthwise before it splits its channels the
    // same way, so each thread reads the channels it made itself: pose
    // detection's 14x14 480 -> 80 and 672 -> 112 layers had read half
    // their input from the other core's cache in tiles of 32 pixels.
    const bool narrows = w.inputChannels > w.outputChannels;
    const bool byInputParts = threads > 1 && narrows && tilesOf(kTilePixels) <= kMostTilesByInputParts &&
                              chunkChannels(w.inputChannels, kTilePixels) < w.inputChannels;
    w.tilePixels = kTilePixels;
    if (threads > 1 && narrows && !byInputParts && w.pixels >= 2 * kTilePixels)
        while (w.tilePixels > kLanes && tilesOf(w.tilePixels) < 2 * threads) w.tilePixels /= 2;
    w.tiles = tilesOf(w.tilePixels);
    const int64_t tiles = w.tiles;
    const int64_t blocks = (w.outputChannels + kLanes - 1) / kLanes;
    int64_t parts = 1;
    if (byInputParts) parts = 1;
    else if (threads > 1 && tiles == 1) parts = threads;  // a 7x7 plane (above)
    else if (threads > 1 && tiles > 0 && tiles < 2 * threads) parts = (2 * threads + tiles - 1) / tiles;  // none on an empty plane
    else if (threads > 1 && tiles < 4 * threads && w.inputChannels <= w.outputChannels) parts = 2;  // a short last tile: halves balance better
    parts = std::clamp<int64_t>(parts, 1, blocks);
    w.channelsPerTask = (blocks + parts - 1) / parts * kLanes;
    LS_RETURN_IF_ERROR(packNonzeros(context, 1, w.inputChannels, chunkChannels(w.inputChannels, w.tilePixels), w.channelsPerTask, w));
    context.scratchBytes = 0;  // the reference convolution's own scratch is not used
    if (byInputParts) {  // two chunks or more, as chunkChannels said above
        // Split by output channels instead, each thread turned the whole
        // input channel-major: pose detection's four 7x7 1152 -> 192 layers
        // had run only 1.24-1.31x faster on two threads than on one.
        w.inputParts = std::min(threads, w.chunks);
        w.chunksPerPart = (w.chunks + w.inputParts - 1) / w.inputParts;
        w.inputParts = (w.chunks + w.chunksPerPart - 1) / w.chunksPerPart;
        // Rows of 64, their tails, and the 8 floats toPixelMajor may read past the last tail.
        w.tileSumFloats = static_cast<size_t>(blocks * kLanes * (kTilePixels + kTailFloats) + kLanes);
        w.partialFloats = static_cast<size_t>(tiles) * w.tileSumFloats;
        context.scratchBytes = (static_cast<size_t>(w.inputParts) * w.partialFloats + kLanes) * sizeof(float);
    }
    context.state = weights;
    return Status::ok();
}

Status evalSparse(KernelContext& context) {
    const auto& w = *static_cast<const SparseWeights*>(context.state.get());
    RunArguments arguments{&w, context.input(0).as<const float>(), w.residual ? context.input(3).as<const float>() : nullptr,
                           context.output(0).as<float>()};
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    if (w.inputParts > 1) {
        arguments.partials = alignedScratch(context);
        // Part by part, so that a thread's tasks are its own channels.
        parallelize2d(pool, runInputPart, &arguments, static_cast<size_t>(w.inputParts), static_cast<size_t>(w.tiles));
        parallelize2d(pool, runFinishBlock, &arguments, static_cast<size_t>(w.tiles),
                      static_cast<size_t>((w.outputChannels + kLanes - 1) / kLanes));
        return Status::ok();
    }
    const auto tiles = static_cast<size_t>(w.tiles);
    const size_t parts = static_cast<size_t>((w.outputChannels + w.channelsPerTask - 1) / w.channelsPerTask);
    // Part by part: a thread's first tasks are one range of output
    // channels over every tile, as the depthwise after it splits its
    // channels, so that it reads what it made (pose detection's 14x14
    // widening layers on two threads 0.90-0.93x, the model 0.976x).
    parallelize2d(pool, runTask, &arguments, parts, tiles);
    return Status::ok();
}

}  // namespace

double nonzeroShare(const Tensor& tensor) {
    int64_t count = 0, nonzero = 0;
    if (tensor.type == DataType::Float32) {
        count = static_cast<int64_t>(tensor.data.size() / sizeof(float));
        for (int64_t i = 0; i < count; ++i) {
            float value;
            std::memcpy(&value, tensor.data.data() + i * int64_t(sizeof(float)), sizeof(float));
            nonzero += value != 0.0f;
        }
    } else {
        count = static_cast<int64_t>(tensor.data.size() / 2);
        for (int64_t i = 0; i < count; ++i) {
            uint16_t bits;
            std::memcpy(&bits, tensor.data.data() + i * 2, 2);
            nonzero += (bits & 0x7fffu) != 0;  // +0 and -0
        }
    }
    return count > 0 ? double(nonzero) / double(count) : 1.0;
}

const KernelDef* sparsePointwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{
        .prepare = prepareSparse, .eval = evalSparse, .fusesInputPadding = false, .fusesActivation = true, .fusesResidual = true};
    if (!cpuHasAvx512() || op.fusedEpilogue != Op::Epilogue::None || !isFloatPointwiseConvolution(model, subgraph, op)) return nullptr;
    // A residual of fewer channels (a channel PAD folded in) is the dense kernel's.
    if (op.fusedResidual &&
        subgraph.tensors[static_cast<size_t>(op.inputs[3])].shape != subgraph.tensors[static_cast<size_t>(op.outputs[0])].shape)
        return nullptr;
    return sparsePointwisePays(subgraph.tensors[static_cast<size_t>(op.inputs[1])]) ? &kernel : nullptr;
}

double sparsePointwiseWorkPerTransposed(const Tensor& filter) {
    if (filter.shape.size() != 4 || filter.shape[0] < 1 || filter.shape[3] < 1) return 0.0;
    const double share = nonzeroShare(filter);
    const double inputs = filter.shape[3], outputs = filter.shape[0];
    return share <= kMostNonzeros ? share * inputs * outputs / (inputs + outputs) : 0.0;
}

bool sparsePointwisePays(const Tensor& filter) { return sparsePointwiseWorkPerTransposed(filter) >= kLeastWorkPerTransposed; }

}  // namespace litestudio::cpu

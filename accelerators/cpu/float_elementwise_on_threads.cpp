// Tiles of pixels (or of elements, for operands of one shape) handed out
// by pthreadpool: its first thread, the caller, takes the first range, so
// a tensor written top half / bottom half by the op before is mostly read
// where it was written.
#include "accelerators/cpu/float_elementwise_on_threads.h"

#include <pthreadpool.h>

#include <algorithm>
#include <utility>

#include "accelerators/cpu/avx512_intrinsics.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_plane_means.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
// Elements a task: below about this, handing tasks out costs more than a
// second thread gains (selfie segmentation's [1, 72, 128, 16] x [16] MUL
// ran 0.048 ms on one thread and 0.116 ms on two as XNNPACK's 9,216 tasks
// of 16 floats).
constexpr int64_t kTileFloats = 4096;
bool isSumDifferenceOrProduct(int32_t builtin) {
    return builtin == schema::BuiltinOperator_ADD || builtin == schema::BuiltinOperator_SUB || builtin == schema::BuiltinOperator_MUL;
}

struct BinaryRun {
    const float* a;       // the full operand, for perChannelTile
    const float* b;       // one value per channel, for perChannelTile
    float* out;
    int64_t channels = 0;  // perChannelTile: floats a pixel
    bool perChannelFirst = false;  // SUB: the per-channel operand is the minuend
    float low, high;
    int32_t builtin;
};

// Sums, differences and products are IEEE operations: the same bits as
// XNNPACK's, then its clamp.
__attribute__((target("avx512f"))) inline __m512 combine(const BinaryRun& run, __m512 x, __m512 y) {
    const __m512 value = run.builtin == schema::BuiltinOperator_ADD   ? _mm512_add_ps(x, y)
                         : run.builtin == schema::BuiltinOperator_SUB ? _mm512_sub_ps(x, y)
                                                                      : _mm512_mul_ps(x, y);
    return _mm512_min_ps(_mm512_max_ps(value, _mm512_set1_ps(run.low)), _mm512_set1_ps(run.high));
}

__attribute__((target("avx512f"))) void sameShapeTile(void* context, size_t first, size_t count) {
    const auto& run = *static_cast<const BinaryRun*>(context);
    for (size_t i = first; i < first + count; i += kLanes) {
        const __mmask16 mask = firstLanes(static_cast<int64_t>(first + count - i));
        const __m512 x = _mm512_maskz_loadu_ps(mask, run.a + i), y = _mm512_maskz_loadu_ps(mask, run.b + i);
        _mm512_mask_storeu_ps(run.out + i, mask, combine(run, x, y));
    }
}

__attribute__((target("avx512f"))) void perChannelTile(void* context, size_t firstPixel, size_t pixels) {
    const auto& run = *static_cast<const BinaryRun*>(context);
    const int64_t channels = run.channels;
    for (auto pixel = static_cast<int64_t>(firstPixel); pixel < static_cast<int64_t>(firstPixel + pixels); ++pixel) {
        const float* full = run.a + pixel * channels;
        float* out = run.out + pixel * channels;
        for (int64_t c = 0; c < channels; c += kLanes) {
            const __mmask16 mask = firstLanes(channels - c);
            const __m512 x = _mm512_maskz_loadu_ps(mask, full + c), y = _mm512_maskz_loadu_ps(mask, run.b + c);
            _mm512_mask_storeu_ps(out + c, mask, run.perChannelFirst ? combine(run, y, x) : combine(run, x, y));
        }
    }
}

// Whether `small` holds one value per channel of `full`: [..., 1, C] or [C].
bool holdsOnePerChannel(const RuntimeTensor& small, const RuntimeTensor& full) {
    if (full.rank() == 0 || small.rank() == 0 || small.rank() > full.rank() || small.dim(small.rank() - 1) != full.dim(full.rank() - 1))
        return false;
    for (int d = 0; d + 1 < small.rank(); ++d)
        if (small.dim(d) != 1) return false;
    return true;
}

}  // namespace

bool runsBinaryOnThreads(KernelContext& context) {
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    const RuntimeTensor& out = context.output(0);
    const int32_t builtin = context.model->opCode(*context.op).builtin;
    const auto count = static_cast<size_t>(out.elementCount());
    // One thread (no pool) or under two tiles: XNNPACK's own loop is as good.
    if (!cpuHasAvx512() || !threadPoolOf(context) || count < 2 * kTileFloats || !isSumDifferenceOrProduct(builtin)) return false;
    auto [low, high] = clampRange(context, reference::binaryActivation(*context.op->options));
    BinaryRun run{a.as<float>(), b.as<float>(), out.as<float>()};
    run.low = low, run.high = high, run.builtin = builtin;
    if (a.shape == b.shape && a.shape == out.shape) {
        parallelizeTiles(context, sameShapeTile, &run, count, kTileFloats, kLanes);
        return true;
    }
    const bool bPerChannel = a.shape == out.shape && holdsOnePerChannel(b, a);
    const bool aPerChannel = !bPerChannel && b.shape == out.shape && holdsOnePerChannel(a, b);
    if (!aPerChannel && !bPerChannel) return false;
    if (aPerChannel) std::swap(run.a, run.b);
    run.perChannelFirst = aPerChannel;
    run.channels = out.dim(out.rank() - 1);
    // Under a vector of channels most lanes would idle; XNNPACK merges such
    // a broadcast (a scalar, say) into long runs and splits those itself.
    if (run.channels < kLanes) return false;
    const auto pixels = count / static_cast<size_t>(run.channels);
    parallelizeTiles(context, perChannelTile, &run, pixels, static_cast<size_t>(std::max<int64_t>(1, kTileFloats / run.channels)), 1);
    return true;
}

int64_t spatialMeanParts(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    if (!cpuHasAvx512() || input.rank() != 4) return 0;
    const int64_t parts = planeParts(static_cast<pthreadpool_t>(threadPoolOf(context)), input);
    if (parts < 2) return 0;
    context.scratchBytes = planeMeansScratchBytes(planeMeansOf(input, parts));
    return parts;
}

void runSpatialMeanOnThreads(KernelContext& context, int64_t parts) {
    computePlaneMeans(static_cast<pthreadpool_t>(threadPoolOf(context)), planeMeansOf(context.input(0), parts), nullptr, alignedScratch(context),
                      context.output(0).as<float>());
}

}  // namespace litestudio::cpu

#include "accelerators/cpu/expansion_ring.h"

#include <algorithm>
#include <climits>

#include <pthreadpool.h>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/sparse_pointwise_convolution.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/support/memory_limit.h"

namespace litestudio::cpu {

namespace {

constexpr size_t kLineFloats = 16;
// A 1x1 result that stays in L2 anyway costs less made whole, by the GEMM's
// larger tiles: pose landmark full's 32x32 to 8x8 expansions (0.09-0.17 ms
// a pair) ran 0.01-0.04 ms slower fused, its 128x128x64 and 64x64x144 ones
// (4 and 2.3 MiB) 0.04-0.07 ms faster.
constexpr double kLeastExpandedBytes = 1024 * 1024;

}  // namespace

bool isFloatConstantOrAbsent(const Subgraph& subgraph, int tensor) {
    return tensor < 0 || isConstantFloat(subgraph.tensors[static_cast<size_t>(tensor)]);
}

int64_t expansionChannels(const Subgraph& subgraph, const Op& op, size_t filterInput) {
    if (op.inputs.size() < filterInput + 2 || op.inputs[0] < 0 || op.inputs[filterInput] < 0 ||
        !isClampActivation(std::max(op.expansionActivation, 0)))
        return -1;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[filterInput])];
    if (input.type != DataType::Float32 || input.shape.size() != 4 || !isConstantFloat(filter) || filter.shape.size() != 4 ||
        filter.shape[1] != 1 || filter.shape[2] != 1 || filter.shape[3] != input.shape[3] ||
        !isFloatConstantOrAbsent(subgraph, op.inputs[filterInput + 1]))
        return -1;
    // Pruned weights: the sparse kernel multiplies only the nonzeros, faster than the GEMM makes all of them.
    if (sparsePointwisePays(filter)) return -1;
    const double bytes = double(input.shape[0]) * input.shape[1] * input.shape[2] * filter.shape[0] * sizeof(float);
    return bytes < kLeastExpandedBytes ? -1 : filter.shape[0];
}

size_t ExpansionRing::floatsFor(const DepthwisePlan& plan) {
    const auto floats = static_cast<size_t>(plan.kernelSize * plan.inW * plan.channels);
    return (floats + kLineFloats - 1) / kLineFloats * kLineFloats;
}

Status splitIntoBands(KernelContext& context, int64_t rows, size_t floatsPerBand, RowBands& split) {
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    const int64_t bands = std::clamp<int64_t>(threads, 1, std::max<int64_t>(rows, 1));
    split.rowsPerBand = std::max<int64_t>((rows + bands - 1) / bands, 1);
    split.bands = (rows + split.rowsPerBand - 1) / split.rowsPerBand;
    const double floats = double(split.bands) * double(floatsPerBand) + double(kLineFloats);
    if (floats * sizeof(float) > double(SIZE_MAX / 2)) return context.error("rows of the 1x1's result exceed memory");
    const size_t bytes = static_cast<size_t>(floats) * sizeof(float);
    LS_RETURN_IF_ERROR(checkFitsInMemory(bytes, context.opLabel + " rows of the 1x1's result"));
    context.scratchBytes = bytes;
    return Status::ok();
}

float* bandScratch(const KernelContext& context) { return alignedScratch(context); }

ExpansionRing::ExpansionRing(const PointwiseWeights& expansion, const DepthwisePlan& plan, float* storage)
    : expansion_(expansion), plan_(plan), storage_(storage) {}

InputRows ExpansionRing::rowsFor(const float* input, int64_t batch, int64_t oy) {
    const DepthwisePlan& d = plan_;
    if (batch != image_) {
        slotHolds_.fill(-1);
        image_ = batch;
    }
    const int64_t rowFloats = d.inW * d.channels, inputRowFloats = d.inW * expansion_.inputChannels;
    const float* image = input + batch * d.inH * inputRowFloats;
    InputRows rows{};
    for (int ky = 0; ky < d.kernelSize; ++ky) {
        const int64_t iy = oy * d.strideH - d.padTop + int64_t(ky) * d.dilationH;
        if (iy < 0 || iy >= d.inH) continue;
        const auto slot = static_cast<size_t>((iy / d.dilationH) % d.kernelSize);
        float* made = storage_ + static_cast<int64_t>(slot) * rowFloats;
        if (slotHolds_[slot] != iy) {
            multiplyPixels(expansion_, image + iy * inputRowFloats, d.inW, made);
            slotHolds_[slot] = iy;
        }
        rows[static_cast<size_t>(ky)] = made;
    }
    return rows;
}

}  // namespace litestudio::cpu

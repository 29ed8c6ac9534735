// Columns first: each input row an output row reads is resampled to the
// output's width once (an int32 row, each pixel's channels 16 lanes at a
// time), then every output row is one flat blend of two such rows, 16
// outputs at a time whatever the channel count. The reference blends rows
// first, but both orders compute the same exact integer polynomial in the
// four corners before the one rounding, (+2^21) >> 22, so the bytes agree.
// DeepLab's 65x65x21 -> 513x513: 3.1 ms on the reference, 1.24 ms blending
// rows first per pixel (two vectors for 21 channels), 0.80 ms this way.
#include "accelerators/cpu/quantized_resize_bilinear.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <memory>
#include <vector>

#include "accelerators/cpu/bilinear_resize_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/quantized_arg_max.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/bilinear_sampling.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;

struct ResizePlan : BilinearResizeGeometry {
    bool signedValues = false;
    // Op::fusedArgMax: each row is made in a buffer and only its pixels'
    // ARG_MAX over the channels is written, int64 (wideIndices) or int32.
    bool argMax = false, wideIndices = false;
};

struct RunArguments {
    const ResizePlan* plan;
    const uint8_t* input;
    uint8_t* output;
};

// Input row `y` of `image` resampled to the output's width, unrounded:
// (left << 11) + (right - left) * wx per channel.
template <bool Signed>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void blendColumns(const ResizePlan& p, const uint8_t* input, int64_t image, int y,
                                                                      int32_t* row) {
    const uint8_t* source = input + (image * p.inH + y) * int64_t(p.inW) * p.channels;
    for (int ox = 0; ox < p.outW; ++ox, row += p.channels) {
        const reference::BilinearSample& h = p.columns[static_cast<size_t>(ox)];
        const uint8_t* left = source + int64_t(h.low) * p.channels;
        const uint8_t* right = source + int64_t(h.high) * p.channels;
        const __m512i weight = _mm512_set1_epi32(h.weight);
        for (int c = 0; c < p.channels; c += kLanes) {
            const __mmask16 mask = firstLanes(p.channels - c);
            const __m512i l = loadBytesAsInt32<Signed>(left + c, mask), r = loadBytesAsInt32<Signed>(right + c, mask);
            _mm512_mask_storeu_epi32(row + c, mask, _mm512_add_epi32(_mm512_slli_epi32(l, 11), _mm512_mullo_epi32(_mm512_sub_epi32(r, l), weight)));
        }
    }
}

// What a thread keeps between the rows it makes: the input rows resampled
// last and, for an arg max, the row it works in.
struct RowsOfThread {
    ResampledRows<int32_t> cache;
    std::vector<uint8_t> row;
};

template <bool Signed>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void resizeRows(const ResizePlan& p, const uint8_t* input, uint8_t* output,
                                                                    int64_t first, int64_t count, RowsOfThread& thread) {
    ResampledRows<int32_t>& cache = thread.cache;
    const int64_t rowLength = int64_t(p.outW) * p.channels;
    if (p.argMax && thread.row.size() < static_cast<size_t>(rowLength)) thread.row.resize(static_cast<size_t>(rowLength));
    auto resampled = [&](int64_t image, int y, int64_t keep) {
        return cache.get(image * p.inH + y, keep, static_cast<size_t>(rowLength),
                         [&](int32_t* row) { blendColumns<Signed>(p, input, image, y, row); });
    };
    const __m512i half = _mm512_set1_epi32(1 << 21);
    for (int64_t row = first; row < first + count; ++row) {
        const int64_t image = row / p.outH, oy = row % p.outH;
        const reference::BilinearSample v = p.rows.at(static_cast<int>(oy));
        const int32_t* top = resampled(image, v.low, -1);
        const int32_t* bottom = resampled(image, v.high, image * p.inH + v.low);
        const __m512i weight = _mm512_set1_epi32(v.weight);
        uint8_t* target = p.argMax ? thread.row.data() : output + row * rowLength;
        for (int64_t i = 0; i < rowLength; i += kLanes) {
            const __mmask16 mask = firstLanes(rowLength - i);
            const __m512i t = _mm512_maskz_loadu_epi32(mask, top + i), b = _mm512_maskz_loadu_epi32(mask, bottom + i);
            __m512i sum = _mm512_add_epi32(_mm512_slli_epi32(t, 11), _mm512_mullo_epi32(_mm512_sub_epi32(b, t), weight));
            sum = _mm512_srai_epi32(_mm512_add_epi32(sum, half), 22);
            _mm_mask_storeu_epi8(target + i, mask, _mm512_cvtepi32_epi8(sum));
        }
        if (p.argMax)
            quantizedArgMaxOfPixels(target, p.outW, p.channels, Signed, p.wideIndices,
                                    output + row * p.outW * static_cast<int64_t>(p.wideIndices ? sizeof(int64_t) : sizeof(int32_t)));
    }
}

void runRows(void* context, size_t first, size_t count) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const ResizePlan& p = *arguments.plan;
    thread_local RowsOfThread thread;
    thread.cache.forget();
    if (p.signedValues) resizeRows<true>(p, arguments.input, arguments.output, static_cast<int64_t>(first), static_cast<int64_t>(count), thread);
    else resizeRows<false>(p, arguments.input, arguments.output, static_cast<int64_t>(first), static_cast<int64_t>(count), thread);
}

Status prepareResize(KernelContext& context) {
    auto plan = std::make_shared<ResizePlan>();
    LS_RETURN_IF_ERROR(prepareBilinearResize(context, *plan));
    plan->signedValues = context.input(0).type == DataType::Int8;
    context.state = plan;
    return Status::ok();
}

// Op::fusedArgMax: the resize's own output (never stored) stands in for
// the indices while the resize is checked and planned; the indices take
// its shape less the channels.
Status prepareResizeArgMax(KernelContext& context) {
    auto plan = std::make_shared<ResizePlan>();
    RuntimeTensor& indices = context.output(0);
    RuntimeTensor resized;
    resized.name = indices.name + " (the resize's result, not stored)";
    resized.type = context.input(0).type;
    resized.quantization = context.input(0).quantization;
    RuntimeTensor* own = context.outputs[0];
    context.outputs[0] = &resized;
    const Status prepared = prepareBilinearResize(context, *plan);
    context.outputs[0] = own;
    LS_RETURN_IF_ERROR(prepared);
    // The indices' type was checked with the kernel's choice; the channels show at run time.
    if (plan->channels < 1 || plan->channels > kMostArgMaxPixelValues)
        return context.error("takes the arg max of 1 to " + std::to_string(kMostArgMaxPixelValues) + " channels, got " +
                             std::to_string(plan->channels) + " in " + context.input(0).name);
    plan->signedValues = resized.type == DataType::Int8;
    plan->argMax = true;
    plan->wideIndices = indices.type == DataType::Int64;
    indices.shape = {resized.dim(0), resized.dim(1), resized.dim(2)};
    context.state = plan;
    return Status::ok();
}

Status evalResize(KernelContext& context) {
    const auto& plan = *static_cast<const ResizePlan*>(context.state.get());
    RunArguments arguments{&plan, context.input(0).data, context.output(0).data};
    return runResizeRows(context, plan, runRows, &arguments);
}

bool sameQuantization(const Tensor& a, const Tensor& b) {
    return (a.type == DataType::Int8 || a.type == DataType::UInt8) && a.type == b.type && a.quantization.scales.size() == 1 &&
           b.quantization.scales.size() == 1 && a.quantization.scales == b.quantization.scales &&
           a.quantization.zeroPoints == b.quantization.zeroPoints;
}

}  // namespace

const KernelDef* quantizedResizeBilinearKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{prepareResize, evalResize}, argMax{prepareResizeArgMax, evalResize};
    if (!cpuHasAvx512() || op.fusedResidual || !isConstantSizeResize(model, subgraph, op)) return nullptr;
    if (op.fusedArgMax) {
        const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
        const Tensor& indices = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
        return storedValuesOrder(input) && input.shape[3] >= 1 && input.shape[3] <= kMostArgMaxPixelValues &&
                       (indices.type == DataType::Int32 || indices.type == DataType::Int64)
                   ? &argMax
                   : nullptr;
    }
    return sameQuantization(subgraph.tensors[static_cast<size_t>(op.inputs[0])], subgraph.tensors[static_cast<size_t>(op.outputs[0])])
               ? &kernel
               : nullptr;
}

}  // namespace litestudio::cpu

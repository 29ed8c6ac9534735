// XNNPACK-backed float32 elementwise and pooling kernels: ADD, SUB, MUL, DIV,
// MAXIMUM, MINIMUM, SQUARED_DIFFERENCE (broadcasting, up to 6 dimensions),
// PAD, MAX_POOL_2D, AVERAGE_POOL_2D, PRELU with per-channel slopes,
// HARD_SWISH, LOGISTIC, ELU, LEAKY_RELU, SQRT, ABS, NEG, FLOOR, CEIL, SQUARE, SOFTMAX
// (beta 1) and RELU/RELU6/RELU_N1_TO_1 as
// clamps.

#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include "accelerators/cpu/avx512_intrinsics.h"
#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_elementwise_on_threads.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_operator.h"
#include "core/runtime/fusion_matching.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kMaxDimensions = 6;

int32_t builtinOf(const KernelContext& context) { return context.model->opCode(*context.op).builtin; }

// ---- binary ----
Status prepareBinary(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(builtinOf(context))->prepare(context));
    auto [low, high] = clampRange(context, reference::binaryActivation(*context.op->options));
    xnn_operator_t op = nullptr;
    xnn_status status = xnn_status_unsupported_parameter;
    switch (builtinOf(context)) {
    case schema::BuiltinOperator_ADD: status = xnn_create_add_nd_f32(low, high, 0, &op); break;
    case schema::BuiltinOperator_SUB: status = xnn_create_subtract_nd_f32(low, high, 0, &op); break;
    case schema::BuiltinOperator_MUL: status = xnn_create_multiply_nd_f32(low, high, 0, &op); break;
    case schema::BuiltinOperator_DIV: status = xnn_create_divide_nd_f32(low, high, 0, &op); break;
    case schema::BuiltinOperator_MAXIMUM: status = xnn_create_maximum_nd_f32(0, &op); break;
    case schema::BuiltinOperator_MINIMUM: status = xnn_create_minimum_nd_f32(0, &op); break;
    case schema::BuiltinOperator_SQUARED_DIFFERENCE: status = xnn_create_squared_difference_nd_f32(0, &op); break;
    default: break;
    }
    LS_RETURN_IF_ERROR(checkXnnpack(context, "elementwise create", status));
    context.state = ownOperator(op);
    return Status::ok();
}

// The elements XNNPACK gives a thread at a time: the trailing dimensions
// it merges into one, where the operands broadcast alike (or not at all).
int64_t innermostRun(const RuntimeTensor& a, const RuntimeTensor& b, const RuntimeTensor& out) {
    auto dimOf = [](const RuntimeTensor& t, int fromLast) { return fromLast < t.rank() ? t.dim(t.rank() - 1 - fromLast) : 1; };
    auto pattern = [&](int fromLast) { return (dimOf(a, fromLast) == 1 ? 1 : 0) + (dimOf(b, fromLast) == 1 ? 2 : 0); };
    int64_t run = 1;
    int kind = -1;
    for (int fromLast = 0; fromLast < out.rank(); ++fromLast) {
        const int64_t extent = dimOf(out, fromLast);
        if (extent == 1) continue;
        if (kind >= 0 && pattern(fromLast) != kind) break;
        kind = pattern(fromLast);
        run *= extent;
    }
    return run;
}

// Below this many elements a task, handing tasks out costs more than a
// second thread gains: selfie segmentation's [1, 72, 128, 16] x [16] MUL ran
// 0.048 ms on one thread and 0.116 ms on two (9,216 tasks of 16 floats).
constexpr int64_t kLeastRunPerTask = 256;

Status evalBinary(KernelContext& context) {
    if (runsBinaryOnThreads(context)) return Status::ok();
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    size_t shapeA[kMaxDimensions], shapeB[kMaxDimensions];
    for (int d = 0; d < a.rank(); ++d) shapeA[d] = static_cast<size_t>(a.dim(d));
    for (int d = 0; d < b.rank(); ++d) shapeB[d] = static_cast<size_t>(b.dim(d));
    size_t rankA = static_cast<size_t>(a.rank()), rankB = static_cast<size_t>(b.rank());
    const float *x = a.as<float>(), *y = b.as<float>();
    float* out = context.output(0).as<float>();
    xnn_operator_t op = operatorOf(context);
    pthreadpool_t pool = innermostRun(a, b, context.output(0)) < kLeastRunPerTask ? nullptr : poolOf(context);
    xnn_status status = xnn_status_unsupported_parameter;
    switch (builtinOf(context)) {
    case schema::BuiltinOperator_ADD: status = xnn_setup_add_nd_f32(op, rankA, shapeA, rankB, shapeB, x, y, out, pool); break;
    case schema::BuiltinOperator_SUB: status = xnn_setup_subtract_nd_f32(op, rankA, shapeA, rankB, shapeB, x, y, out, pool); break;
    case schema::BuiltinOperator_MUL: status = xnn_setup_multiply_nd_f32(op, rankA, shapeA, rankB, shapeB, x, y, out, pool); break;
    case schema::BuiltinOperator_DIV: status = xnn_setup_divide_nd_f32(op, rankA, shapeA, rankB, shapeB, x, y, out, pool); break;
    case schema::BuiltinOperator_MAXIMUM: status = xnn_setup_maximum_nd_f32(op, rankA, shapeA, rankB, shapeB, x, y, out, pool); break;
    case schema::BuiltinOperator_MINIMUM: status = xnn_setup_minimum_nd_f32(op, rankA, shapeA, rankB, shapeB, x, y, out, pool); break;
    case schema::BuiltinOperator_SQUARED_DIFFERENCE:
        status = xnn_setup_squared_difference_nd_f32(op, rankA, shapeA, rankB, shapeB, x, y, out, pool);
        break;
    default: break;
    }
    LS_RETURN_IF_ERROR(checkXnnpack(context, "elementwise setup", status));
    return checkXnnpack(context, "elementwise run", xnn_run_operator(op, pool));
}

// ---- PAD with constant paddings ----
Status preparePad(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(builtinOf(context))->prepare(context));
    if (!context.input(1).isConstant) return context.error("needs constant paddings");
    float zero = context.hasInput(2) ? reference::ValueReader(context.input(2))(0) : 0.0f;
    xnn_operator_t op = nullptr;
    LS_RETURN_IF_ERROR(checkXnnpack(context, "pad create", xnn_create_constant_pad_nd_x32(&zero, 0, &op)));
    context.state = ownOperator(op);
    return Status::ok();
}

Status evalPad(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    std::vector<int64_t> pads = reference::readIntegers(context.input(1));
    size_t shape[kMaxDimensions], before[kMaxDimensions], after[kMaxDimensions];
    for (int d = 0; d < input.rank(); ++d) {
        shape[d] = static_cast<size_t>(input.dim(d));
        before[d] = static_cast<size_t>(pads[2 * static_cast<size_t>(d)]);
        after[d] = static_cast<size_t>(pads[2 * static_cast<size_t>(d) + 1]);
    }
    LS_RETURN_IF_ERROR(checkXnnpack(context, "pad setup",
                             xnn_setup_constant_pad_nd_x32(operatorOf(context), static_cast<size_t>(input.rank()), shape, before,
                                                           after, input.data, context.output(0).data, poolOf(context))));
    return checkXnnpack(context, "pad run", xnn_run_operator(operatorOf(context), poolOf(context)));
}

// ---- MEAN over height and width: global average pooling ----
// Squeeze-and-excitation blocks (selfie segmentation, MobileNetV3) average
// each channel over the plane. The reference sums a channel at a time, a
// strided pass over the whole tensor per channel; XNNPACK makes one pass,
// on one thread (float_elementwise_on_threads splits it over a pool).
struct SpatialMean {
    std::shared_ptr<void> xnnpack;  // one thread
    int64_t parts = 0;              // > 0: split over the pool in this many parts an image
};

Status prepareSpatialMean(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_MEAN)->prepare(context));
    const RuntimeTensor& input = context.input(0);
    if (input.rank() != 4 || input.dim(1) <= 0 || input.dim(2) <= 0 || input.dim(3) <= 0)
        return context.error("averages an empty plane or no channels of " + input.name + " " + shapeText(input.shape));
    auto mean = std::make_shared<SpatialMean>();
    mean->parts = spatialMeanParts(context);
    if (mean->parts == 0) {
        const auto channels = static_cast<size_t>(input.dim(3));
        const float infinity = std::numeric_limits<float>::infinity();
        xnn_operator_t op = nullptr;
        LS_RETURN_IF_ERROR(checkXnnpack(context, "global average pooling create",
                                        xnn_create_global_average_pooling_nwc_f32(channels, channels, channels, -infinity, infinity, 0, &op)));
        mean->xnnpack = ownOperator(op);
    }
    context.state = mean;
    return Status::ok();
}

Status evalSpatialMean(KernelContext& context) {
    const auto& mean = *static_cast<const SpatialMean*>(context.state.get());
    if (mean.parts > 0) {
        runSpatialMeanOnThreads(context, mean.parts);
        return Status::ok();
    }
    const RuntimeTensor& input = context.input(0);
    auto* op = static_cast<xnn_operator_t>(mean.xnnpack.get());
    LS_RETURN_IF_ERROR(checkXnnpack(context, "global average pooling setup",
                                    xnn_setup_global_average_pooling_nwc_f32(op, static_cast<size_t>(input.dim(0)),
                                                                             static_cast<size_t>(input.dim(1)) * static_cast<size_t>(input.dim(2)),
                                                                             input.as<float>(), context.output(0).as<float>(), poolOf(context))));
    return checkXnnpack(context, "global average pooling run", xnn_run_operator(op, poolOf(context)));
}

// A MEAN of a 4-D float tensor over axes 1 and 2 (constant, any order or sign).
bool averagesThePlane(const Subgraph& subgraph, const Op& op) {
    if (op.inputs.size() != 2 || op.inputs[0] < 0 || op.inputs[1] < 0 || op.outputs.size() != 1) return false;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || input.shape.size() != 4) return false;
    std::vector<int64_t> axes = constantIntegers(subgraph, op.inputs[1]);
    for (int64_t& axis : axes) axis = axis < 0 ? axis + 4 : axis;
    std::sort(axes.begin(), axes.end());
    return axes == std::vector<int64_t>{1, 2};
}

// ---- MAX_POOL_2D ----
// MAX_POOL_2D and AVERAGE_POOL_2D (whose average, like TFLite's, leaves the
// padding out of the count: XNNPACK divides each output by its own window).
// XNNPACK points at every tap of each output row's windows (its
// indirection buffer, built at setup): a hostile model's 4000x4000 window
// over 35x35 outputs took 4.5 GB and 9 minutes, the fuzzer's asked for
// 22 GB. Past this many pointers (64 MiB) the reference pools instead; it
// visits only the taps inside the image.
constexpr uint64_t kMostPoolingPointers = uint64_t{1} << 23;

bool poolingPointersFit(const RuntimeTensor& out, const schema::Pool2DOptions& options) {
    uint64_t pointers = 1;
    for (int64_t factor : {int64_t{out.dim(0)}, int64_t{out.dim(1)}, int64_t{out.dim(2)}, int64_t{options.filter_height()},
                           int64_t{options.filter_width()}})
        if (__builtin_mul_overflow(pointers, static_cast<uint64_t>(factor), &pointers)) return false;
    return pointers <= kMostPoolingPointers;
}

Status preparePool(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(builtinOf(context))->prepare(context));
    const auto* options = context.op->options->builtin_options_as_Pool2DOptions();
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& out = context.output(0);
    context.state.reset();
    if (!poolingPointersFit(out, *options)) return Status::ok();  // the reference's own scratch stays
    context.scratchBytes = 0;
    auto pad = [](int in, int outSize, int filter, int stride, uint32_t& before, uint32_t& after) {
        int total = std::max(0, (outSize - 1) * stride + filter - in);
        before = static_cast<uint32_t>(total / 2), after = static_cast<uint32_t>(total - total / 2);
    };
    uint32_t top, bottom, left, right;
    pad(input.dim(1), out.dim(1), options->filter_height(), options->stride_h(), top, bottom);
    pad(input.dim(2), out.dim(2), options->filter_width(), options->stride_w(), left, right);
    auto [low, high] = activationRange(options->fused_activation_function());
    const size_t channels = static_cast<size_t>(input.dim(3));
    const auto filterH = static_cast<uint32_t>(options->filter_height()), filterW = static_cast<uint32_t>(options->filter_width());
    const auto strideH = static_cast<uint32_t>(options->stride_h()), strideW = static_cast<uint32_t>(options->stride_w());
    xnn_operator_t op = nullptr;
    if (input.type == DataType::UInt8 || input.type == DataType::Int8) {
        // 8-bit MAX_POOL_2D of one quantization in and out: the largest
        // stored value, clamped to the activation's stored range.
        const reference::QuantizedRange range = reference::quantizedActivationRange(out, options->fused_activation_function());
        if (input.type == DataType::UInt8)
            LS_RETURN_IF_ERROR(checkXnnpack(context, "max pooling create",
                                            xnn_create_max_pooling2d_nhwc_u8(top, right, bottom, left, filterH, filterW, strideH, strideW, 1, 1,
                                                                             channels, channels, channels, static_cast<uint8_t>(range.low),
                                                                             static_cast<uint8_t>(range.high), 0, &op)));
        else
            LS_RETURN_IF_ERROR(checkXnnpack(context, "max pooling create",
                                            xnn_create_max_pooling2d_nhwc_s8(top, right, bottom, left, filterH, filterW, strideH, strideW, 1, 1,
                                                                             channels, channels, channels, static_cast<int8_t>(range.low),
                                                                             static_cast<int8_t>(range.high), 0, &op)));
        context.state = ownOperator(op);
        return Status::ok();
    }
    if (builtinOf(context) == schema::BuiltinOperator_AVERAGE_POOL_2D)
        LS_RETURN_IF_ERROR(checkXnnpack(context, "average pooling create",
                                        xnn_create_average_pooling2d_nhwc_f32(top, right, bottom, left, filterH, filterW, strideH, strideW,
                                                                              channels, channels, channels, low, high, 0, &op)));
    else
        LS_RETURN_IF_ERROR(checkXnnpack(context, "max pooling create",
                                        xnn_create_max_pooling2d_nhwc_f32(top, right, bottom, left, filterH, filterW, strideH, strideW, 1,
                                                                          1, channels, channels, channels, low, high, 0, &op)));
    context.state = ownOperator(op);
    return Status::ok();
}

Status evalPool(KernelContext& context) {
    if (!operatorOf(context)) return findReferenceKernel(builtinOf(context))->eval(context);
    const RuntimeTensor& input = context.input(0);
    const auto batch = static_cast<size_t>(input.dim(0)), height = static_cast<size_t>(input.dim(1)),
               width = static_cast<size_t>(input.dim(2));
    if (input.type == DataType::UInt8)
        LS_RETURN_IF_ERROR(checkXnnpack(context, "max pooling setup",
                                        xnn_setup_max_pooling2d_nhwc_u8(operatorOf(context), batch, height, width, input.as<uint8_t>(),
                                                                        context.output(0).as<uint8_t>(), poolOf(context))));
    else if (input.type == DataType::Int8)
        LS_RETURN_IF_ERROR(checkXnnpack(context, "max pooling setup",
                                        xnn_setup_max_pooling2d_nhwc_s8(operatorOf(context), batch, height, width, input.as<int8_t>(),
                                                                        context.output(0).as<int8_t>(), poolOf(context))));
    else if (builtinOf(context) == schema::BuiltinOperator_AVERAGE_POOL_2D)
        LS_RETURN_IF_ERROR(checkXnnpack(context, "average pooling setup",
                                        xnn_setup_average_pooling2d_nhwc_f32(operatorOf(context), batch, height, width, input.as<float>(),
                                                                             context.output(0).as<float>(), poolOf(context))));
    else
        LS_RETURN_IF_ERROR(checkXnnpack(context, "max pooling setup",
                                        xnn_setup_max_pooling2d_nhwc_f32(operatorOf(context), batch, height, width, input.as<float>(),
                                                                         context.output(0).as<float>(), poolOf(context))));
    return checkXnnpack(context, "pooling run", xnn_run_operator(operatorOf(context), poolOf(context)));
}

// ---- PRELU (slopes per channel) and HARD_SWISH: rows of `channels` ----
// y = prelu(a + b) with one slope per channel: max(s, 0) + min(s, 0) * slope.
// (GCC 12 warns inside its own AVX-512 headers here, bug 105593.)
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"
__attribute__((target("avx512f"))) void addPreluAvx512(const float* a, const float* b, const float* slope, float* y,
                                                      int64_t count, int64_t channels) {
    for (int64_t row = 0; row < count; row += channels)
        for (int64_t c = 0; c < channels; c += 16) {
            __mmask16 mask = static_cast<__mmask16>(c + 16 <= channels ? 0xffff : (1u << (channels - c)) - 1u);
            __m512 sum = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, a + row + c), _mm512_maskz_loadu_ps(mask, b + row + c));
            _mm512_mask_storeu_ps(y + row + c, mask, preluAvx512(sum, _mm512_maskz_loadu_ps(mask, slope + c)));
        }
}
#pragma GCC diagnostic pop

void addPrelu(const float* a, const float* b, const float* slope, float* y, int64_t count, int64_t channels) {
    const bool avx512 = cpuHasAvx512();
    if (avx512) return addPreluAvx512(a, b, slope, y, count, channels);
    for (int64_t row = 0; row < count; row += channels)
        for (int64_t c = 0; c < channels; ++c) {
            float sum = a[row + c] + b[row + c];
            y[row + c] = std::max(sum, 0.0f) + std::min(sum, 0.0f) * slope[c];
        }
}

// Slopes for the fused ADD + PRELU loop, which XNNPACK has no operator for.
struct PreluSlopes {
    std::vector<float> slopes;
};

Status preparePrelu(KernelContext& context) {
    RuntimeTensor* addend = context.op->fusedAddend && context.inputs.size() == 3 ? context.inputs[2] : nullptr;
    if (addend) context.inputs.pop_back();  // the reference prepare knows PRELU's own two inputs
    Status prepared = findReferenceKernel(schema::BuiltinOperator_PRELU)->prepare(context);
    if (addend) context.inputs.push_back(addend);
    LS_RETURN_IF_ERROR(prepared);
    const RuntimeTensor& input = context.input(0);
    if (context.op->fusedAddend) {
        if (!addend || addend->shape != input.shape || context.output(0).shape != input.shape)
            return context.error("the folded ADD's operands differ in shape");
        size_t channels = input.rank() ? static_cast<size_t>(input.dim(input.rank() - 1)) : 1;
        if (static_cast<size_t>(context.input(1).elementCount()) != channels) return context.error("needs one slope per channel");
        auto state = std::make_shared<PreluSlopes>();
        state->slopes.resize(channels);
        reference::toFloats(context.input(1), state->slopes.data());
        context.state = state;
        return Status::ok();
    }
    const RuntimeTensor& slope = context.input(1);
    size_t channels = static_cast<size_t>(input.dim(input.rank() - 1));
    if (static_cast<size_t>(slope.elementCount()) != channels || context.output(0).shape != input.shape)
        return context.error("XNNPACK PRELU needs one slope per channel");
    std::vector<float> slopes(channels);
    reference::toFloats(slope, slopes.data());
    xnn_operator_t op = nullptr;
    LS_RETURN_IF_ERROR(checkXnnpack(context, "prelu create", xnn_create_prelu_nc_f32(channels, channels, channels, slopes.data(), 0, &op)));
    context.state = ownOperator(op);
    return Status::ok();
}

Status evalPrelu(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    if (context.op->fusedAddend) {
        const auto& slopes = static_cast<const PreluSlopes*>(context.state.get())->slopes;
        const float* a = input.as<const float>();
        const float* b = context.input(2).as<const float>();
        float* y = context.output(0).as<float>();
        const int64_t channels = static_cast<int64_t>(slopes.size()), count = input.elementCount();
        // Rows split across the pool: one thread left this memory-bound pass
        // at 0.77 ms of palm detection's 4.1 on two.
        struct Rows {
            const float *a, *b, *slopes;
            float* y;
            int64_t channels;
        } rows{a, b, slopes.data(), y, channels};
        const int64_t rowCount = channels > 0 ? count / channels : 0;
        parallelize1dTile1d(
            static_cast<pthreadpool_t>(threadPoolOf(context)),
            [](void* context, size_t first, size_t length) {
                const auto& r = *static_cast<const Rows*>(context);
                const int64_t offset = static_cast<int64_t>(first) * r.channels;
                addPrelu(r.a + offset, r.b + offset, r.slopes, r.y + offset, static_cast<int64_t>(length) * r.channels, r.channels);
            },
            &rows, static_cast<size_t>(rowCount), static_cast<size_t>(std::max<int64_t>(1, 4096 / std::max<int64_t>(1, channels))));
        return Status::ok();
    }
    size_t channels = static_cast<size_t>(input.dim(input.rank() - 1));
    LS_RETURN_IF_ERROR(checkXnnpack(context, "prelu setup",
                             xnn_setup_prelu_nc_f32(operatorOf(context), static_cast<size_t>(input.elementCount()) / channels,
                                                    input.as<float>(), context.output(0).as<float>(), poolOf(context))));
    return checkXnnpack(context, "prelu run", xnn_run_operator(operatorOf(context), poolOf(context)));
}

// Unary operators over all elements as one row of one channel.
using UnaryCreate = xnn_status (*)(size_t, size_t, size_t, uint32_t, xnn_operator_t*);
using UnarySetup = xnn_status (*)(xnn_operator_t, size_t, const float*, float*, pthreadpool_t);

struct UnaryOperator {
    int32_t builtin;
    const char* name;
    UnaryCreate create;  // null: ELU and LEAKY_RELU, whose creates take a parameter
    UnarySetup setup;
};

// SQRT, ABS, NEG, FLOOR, CEIL and SQUARE are exact in XNNPACK as in the
// reference (which takes them in double, 1.6 ns an element: MoveNet's
// [48, 48, 17] SQRT 0.063 ms).
constexpr UnaryOperator kUnaryOperators[] = {
    {schema::BuiltinOperator_LOGISTIC, "sigmoid", xnn_create_sigmoid_nc_f32, xnn_setup_sigmoid_nc_f32},
    {schema::BuiltinOperator_HARD_SWISH, "hardswish", xnn_create_hardswish_nc_f32, xnn_setup_hardswish_nc_f32},
    {schema::BuiltinOperator_ELU, "elu", nullptr, xnn_setup_elu_nc_f32},
    {schema::BuiltinOperator_LEAKY_RELU, "leaky relu", nullptr, xnn_setup_leaky_relu_nc_f32},  // YOLO's activation: 1.3 ms a 56x56x64 on the reference
    {schema::BuiltinOperator_SQRT, "square root", xnn_create_square_root_nc_f32, xnn_setup_square_root_nc_f32},
    {schema::BuiltinOperator_ABS, "abs", xnn_create_abs_nc_f32, xnn_setup_abs_nc_f32},
    {schema::BuiltinOperator_NEG, "negate", xnn_create_negate_nc_f32, xnn_setup_negate_nc_f32},
    {schema::BuiltinOperator_FLOOR, "floor", xnn_create_floor_nc_f32, xnn_setup_floor_nc_f32},
    {schema::BuiltinOperator_CEIL, "ceiling", xnn_create_ceiling_nc_f32, xnn_setup_ceiling_nc_f32},
    {schema::BuiltinOperator_SQUARE, "square", xnn_create_square_nc_f32, xnn_setup_square_nc_f32},
};

const UnaryOperator* unaryOperatorFor(int32_t builtin) {
    for (const UnaryOperator& unary : kUnaryOperators)
        if (unary.builtin == builtin) return &unary;
    return nullptr;
}

Status prepareUnaryOperator(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(builtinOf(context))->prepare(context));
    context.scratchBytes = 0;
    const UnaryOperator& unary = *unaryOperatorFor(builtinOf(context));  // kernel selection checked
    xnn_operator_t op = nullptr;
    const std::string create = std::string(unary.name) + " create";
    if (unary.create) {
        LS_RETURN_IF_ERROR(checkXnnpack(context, create.c_str(), unary.create(1, 1, 1, 0, &op)));
    } else if (unary.builtin == schema::BuiltinOperator_LEAKY_RELU) {
        const auto* options = context.op->options->builtin_options_as_LeakyReluOptions();
        LS_RETURN_IF_ERROR(checkXnnpack(context, create.c_str(), xnn_create_leaky_relu_nc_f32(1, 1, 1, options ? options->alpha() : 0.2f, 0, &op)));
    } else {
        LS_RETURN_IF_ERROR(checkXnnpack(context, create.c_str(), xnn_create_elu_nc_f32(1, 1, 1, 1.0f, 0, &op)));  // TFLite's ELU: alpha 1
    }
    context.state = ownOperator(op);
    return Status::ok();
}

Status runUnary(KernelContext& context, UnarySetup setup) {
    const RuntimeTensor& input = context.input(0);
    LS_RETURN_IF_ERROR(checkXnnpack(context, "setup",
                                    setup(operatorOf(context), static_cast<size_t>(input.elementCount()), input.as<float>(),
                                          context.output(0).as<float>(), poolOf(context))));
    return checkXnnpack(context, "run", xnn_run_operator(operatorOf(context), poolOf(context)));
}

Status evalUnaryOperator(KernelContext& context) { return runUnary(context, unaryOperatorFor(builtinOf(context))->setup); }

// ---- SOFTMAX (beta 1) along the last axis ----
// The reference takes exp in double, 21 ns an element (a conformer's
// [10, 4, 335, 335] attention softmax: 93 ms); XNNPACK's is within 1e-6.
Status prepareSoftmax(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(builtinOf(context))->prepare(context));
    context.scratchBytes = 0;
    const RuntimeTensor& input = context.input(0);
    if (input.rank() < 1 || input.dim(input.rank() - 1) < 1) return context.error("needs a last axis with values");
    const size_t channels = static_cast<size_t>(input.dim(input.rank() - 1));
    xnn_operator_t op = nullptr;
    LS_RETURN_IF_ERROR(checkXnnpack(context, "softmax create", xnn_create_softmax_nc_f32(channels, channels, channels, 0, &op)));
    context.state = ownOperator(op);
    return Status::ok();
}

Status evalSoftmax(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    const size_t rows = static_cast<size_t>(input.elementCount() / input.dim(input.rank() - 1));
    LS_RETURN_IF_ERROR(checkXnnpack(context, "softmax setup",
                                    xnn_setup_softmax_nc_f32(operatorOf(context), rows, input.as<float>(),
                                                             context.output(0).as<float>(), poolOf(context))));
    return checkXnnpack(context, "softmax run", xnn_run_operator(operatorOf(context), poolOf(context)));
}

// ---- RELU, RELU6, RELU_N1_TO_1: a clamp ----
Status prepareClamp(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(builtinOf(context))->prepare(context));
    int activation = builtinOf(context) == schema::BuiltinOperator_RELU    ? schema::ActivationFunctionType_RELU
                     : builtinOf(context) == schema::BuiltinOperator_RELU6 ? schema::ActivationFunctionType_RELU6
                                                                           : schema::ActivationFunctionType_RELU_N1_TO_1;
    auto [low, high] = activationRange(activation);
    xnn_operator_t op = nullptr;
    LS_RETURN_IF_ERROR(checkXnnpack(context, "clamp create", xnn_create_clamp_nc_f32(1, 1, 1, low, high, 0, &op)));
    context.state = ownOperator(op);
    return Status::ok();
}

Status evalClamp(KernelContext& context) { return runUnary(context, xnn_setup_clamp_nc_f32); }

}  // namespace

const KernelDef* floatElementwiseKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef binary{.prepare = prepareBinary, .eval = evalBinary, .fusesActivation = true, .runsOutsideThreadSessions = true};
    static const KernelDef clamp = xnnpackOperatorKernel(prepareClamp, evalClamp), pad = xnnpackOperatorKernel(preparePad, evalPad),
                           pool = xnnpackOperatorKernel(preparePool, evalPool),
                           spatialMean = xnnpackOperatorKernel(prepareSpatialMean, evalSpatialMean),
                           unary = xnnpackOperatorKernel(prepareUnaryOperator, evalUnaryOperator),
                           softmax = xnnpackOperatorKernel(prepareSoftmax, evalSoftmax);
    static const KernelDef prelu{.prepare = preparePrelu, .eval = evalPrelu, .fusesAddend = true, .runsOutsideThreadSessions = true};
    auto tensor = [&](size_t i) -> const Tensor* {
        return i < op.inputs.size() && op.inputs[i] >= 0 ? &subgraph.tensors[static_cast<size_t>(op.inputs[i])] : nullptr;
    };
    auto allFloat = [&] {
        for (int index : op.inputs)
            if (index >= 0 && subgraph.tensors[static_cast<size_t>(index)].type != DataType::Float32) return false;
        for (int index : op.outputs)
            if (subgraph.tensors[static_cast<size_t>(index)].type != DataType::Float32) return false;
        return true;
    };
    auto rankAtMost = [&](size_t limit) {
        for (int index : op.inputs)
            if (index >= 0 && subgraph.tensors[static_cast<size_t>(index)].shape.size() > limit) return false;
        return true;
    };
    int32_t builtin = model.opCode(op).builtin;
    switch (builtin) {
    case schema::BuiltinOperator_ADD:
    case schema::BuiltinOperator_SUB:
    case schema::BuiltinOperator_MUL:
    case schema::BuiltinOperator_DIV:
    case schema::BuiltinOperator_MAXIMUM:
    case schema::BuiltinOperator_MINIMUM:
    case schema::BuiltinOperator_SQUARED_DIFFERENCE: {
        if (op.inputs.size() != 2 || !allFloat() || !rankAtMost(kMaxDimensions)) return nullptr;
        auto activation = reference::binaryActivation(*op.options);
        if (activation == schema::ActivationFunctionType_TANH || activation == schema::ActivationFunctionType_SIGN_BIT) return nullptr;
        return &binary;
    }
    case schema::BuiltinOperator_PAD:
    case schema::BuiltinOperator_PADV2:
        if (!tensor(1) || !tensor(1)->isConstant() || !rankAtMost(kMaxDimensions)) return nullptr;
        if (tensor(0)->type != DataType::Float32 || (tensor(2) && tensor(2)->type != DataType::Float32)) return nullptr;
        return &pad;
    case schema::BuiltinOperator_MAX_POOL_2D:
    case schema::BuiltinOperator_AVERAGE_POOL_2D: {
        const auto* options = op.options->builtin_options_as_Pool2DOptions();
        // 8-bit: MAX_POOL_2D of one per-tensor quantization in and out.
        const bool bytes = builtin == schema::BuiltinOperator_MAX_POOL_2D && tensor(0) && op.outputs.size() == 1 && op.outputs[0] >= 0 &&
                           sharesEightBitQuantization(*tensor(0), subgraph.tensors[static_cast<size_t>(op.outputs[0])]);
        if ((!allFloat() && !bytes) || !options || options->filter_height() <= 0 || options->filter_width() <= 0 ||
            options->stride_h() <= 0 || options->stride_w() <= 0 || tensor(0)->shape.size() != 4)
            return nullptr;
        auto activation = options->fused_activation_function();
        if (activation == schema::ActivationFunctionType_TANH || activation == schema::ActivationFunctionType_SIGN_BIT) return nullptr;
        return &pool;
    }
    case schema::BuiltinOperator_MEAN:
        return averagesThePlane(subgraph, op) ? &spatialMean : nullptr;
    case schema::BuiltinOperator_PRELU:
        if (!allFloat() || !tensor(1) || !tensor(1)->isConstant() || tensor(0)->shape.empty() ||
            tensor(1)->elementCount() != tensor(0)->shape.back())
            return nullptr;
        return &prelu;
    case schema::BuiltinOperator_HARD_SWISH:
    case schema::BuiltinOperator_LOGISTIC:
    case schema::BuiltinOperator_ELU:
    case schema::BuiltinOperator_LEAKY_RELU:
    case schema::BuiltinOperator_SQRT:
    case schema::BuiltinOperator_ABS:
    case schema::BuiltinOperator_NEG:
    case schema::BuiltinOperator_FLOOR:
    case schema::BuiltinOperator_CEIL:
    case schema::BuiltinOperator_SQUARE:
        return allFloat() && op.inputs.size() == 1 && op.outputs.size() == 1 ? &unary : nullptr;
    case schema::BuiltinOperator_SOFTMAX: {
        const auto* options = op.options->builtin_options_as_SoftmaxOptions();
        if (!allFloat() || op.inputs.size() != 1 || !options || options->beta() != 1.0f || tensor(0)->shape.empty()) return nullptr;
        return &softmax;
    }
    case schema::BuiltinOperator_RELU:
    case schema::BuiltinOperator_RELU6:
    case schema::BuiltinOperator_RELU_N1_TO_1:
        return allFloat() && op.inputs.size() == 1 ? &clamp : nullptr;
    default: return nullptr;
    }
}

}  // namespace litestudio::cpu

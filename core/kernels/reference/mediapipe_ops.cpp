// MediaPipe's custom ops, as its segmentation models use them:
//   Convolution2DTransposeBias  transposed convolution plus bias
//   MaxPoolingWithArgmax2D      max pooling that also returns where each max was
//   MaxUnpooling2D              puts pooled values back at those places
//                               (LiteRT registers it as LiteRtMaxUnpooling2D)
// Their options are TFLite C structs stored raw in the custom options:
// TfLiteTransposeConvParams {padding, stride_width, stride_height} and
// TfLitePoolParams {padding, stride_width, stride_height, filter_width,
// filter_height, activation, ...}; padding 1 is SAME, 2 is VALID.
// Argmax indices are flat spatial positions (y * width + x) in the pooled
// input, stored as float, which is what MaxUnpooling2D reads back.

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <string>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/mediapipe_ops.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

Expected<MediaPipeParams> readMediaPipeParams(const KernelContext& context, bool pool) {
    std::span<const uint8_t> options = context.op->customOptions;
    size_t needed = (pool ? 5 : 3) * sizeof(int32_t);
    if (options.size() < needed)
        return context.error("custom options hold " + std::to_string(options.size()) + " bytes, expected at least " +
                             std::to_string(needed));
    int32_t values[5] = {};
    std::memcpy(values, options.data(), needed);
    MediaPipeParams params{values[0], values[1], values[2], values[3], values[4]};
    if (params.padding != kMediaPipePaddingSame && params.padding != kMediaPipePaddingValid)
        return context.error("unknown padding " + std::to_string(params.padding));
    if (params.strideWidth <= 0 || params.strideHeight <= 0 || (pool && (params.filterWidth <= 0 || params.filterHeight <= 0)))
        return context.error("strides and filter sizes must be positive");
    return params;
}

namespace {

schema::Padding paddingOf(const MediaPipeParams& params) {
    return params.padding == kMediaPipePaddingSame ? schema::Padding_SAME : schema::Padding_VALID;
}

// ---- Convolution2DTransposeBias: (input NHWC, weights [O,H,W,I], bias [O]) ----
Status prepareTransposeBias(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 3, 3, 1));
    auto params = readMediaPipeParams(context, false);
    if (!params) return params.status();
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& weights = context.input(1);
    if (input.rank() != 4 || weights.rank() != 4 || weights.dim(3) != input.dim(3))
        return context.error("needs NHWC input and [out, h, w, in] weights with matching channels");
    if (context.input(2).elementCount() != weights.dim(0)) return context.error("bias must have one value per output channel");
    // In int64, refused past int32: a fuzzed stride of 671,088,642 over 11
    // rows overflowed int here (UB).
    auto size = [&](int64_t in, int64_t kernel, int64_t stride) {
        return params->padding == kMediaPipePaddingSame ? in * stride : (in - 1) * stride + kernel;
    };
    const int64_t height = size(input.dim(1), weights.dim(1), params->strideHeight), width = size(input.dim(2), weights.dim(2), params->strideWidth);
    if (height > INT32_MAX || width > INT32_MAX)
        return context.error("makes an output of " + std::to_string(height) + " x " + std::to_string(width) +
                             ", past the largest dimension, 2^31 - 1 (stride " + std::to_string(params->strideHeight) + " x " +
                             std::to_string(params->strideWidth) + ")");
    context.output(0).shape = {input.dim(0), static_cast<int32_t>(height), static_cast<int32_t>(width), weights.dim(0)};
    context.scratchBytes = floatScratchBytes(input) + floatScratchBytes(weights) + floatScratchBytes(context.input(2)) +
                           floatScratchBytes(context.output(0));
    return Status::ok();
}

Status evalTransposeBias(KernelContext& context) {
    auto params = readMediaPipeParams(context, false);
    if (!params) return params.status();
    const RuntimeTensor& inputTensor = context.input(0);
    const RuntimeTensor& weightTensor = context.input(1);
    RuntimeTensor& out = context.output(0);
    FloatScratch scratch(context.scratch);
    const float* input = scratch.convert(inputTensor);
    const float* weights = scratch.convert(weightTensor);
    const float* bias = scratch.convert(context.input(2));
    float* accumulator = scratch.take(out);
    const int outH = out.dim(1), outW = out.dim(2), outC = out.dim(3);
    const int inH = inputTensor.dim(1), inW = inputTensor.dim(2);
    // The padding of the convolution this one transposes: output and input swapped.
    TransposeGeometry geometry{params->strideHeight, params->strideWidth,
                               convPaddingBefore(outH, inH, weightTensor.dim(1), params->strideHeight, 1),
                               convPaddingBefore(outW, inW, weightTensor.dim(2), params->strideWidth, 1)};
    for (int64_t i = 0; i < out.elementCount(); ++i) accumulator[i] = bias[i % outC];
    transposeConvolve(input, inputTensor, weights, weightTensor, accumulator, out, geometry);
    ValueWriter write(out);
    for (int64_t i = 0; i < out.elementCount(); ++i) write(i, accumulator[i]);
    return Status::ok();
}

// ---- MaxPoolingWithArgmax2D: (input) -> (values, argmax) ----
Status preparePoolArgmax(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 1, 1, 2));
    auto params = readMediaPipeParams(context, true);
    if (!params) return params.status();
    const RuntimeTensor& input = context.input(0);
    if (input.rank() != 4) return context.error("needs an NHWC input");
    std::vector<int32_t> shape = {input.dim(0), convOutputSize(paddingOf(*params), input.dim(1), params->filterHeight, params->strideHeight, 1),
                                  convOutputSize(paddingOf(*params), input.dim(2), params->filterWidth, params->strideWidth, 1),
                                  input.dim(3)};
    context.output(0).shape = shape;
    context.output(1).shape = shape;
    return Status::ok();
}

Status evalPoolArgmax(KernelContext& context) {
    auto params = readMediaPipeParams(context, true);
    if (!params) return params.status();
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& values = context.output(0);
    ValueReader read(input);
    ValueWriter writeValue(values), writeIndex(context.output(1));
    const int inH = input.dim(1), inW = input.dim(2), channels = input.dim(3);
    const int outH = values.dim(1), outW = values.dim(2);
    // In int64, and each window cut to the image's rows and columns first:
    // hostile strides and filters near 2^31 overflowed int, and a filter
    // that size would be walked tap by tap.
    const int64_t padTop = convPaddingBefore(inH, outH, params->filterHeight, params->strideHeight, 1);
    const int64_t padLeft = convPaddingBefore(inW, outW, params->filterWidth, params->strideWidth, 1);
    int64_t index = 0;
    for (int b = 0; b < input.dim(0); ++b)
        for (int64_t oy = 0; oy < outH; ++oy)
            for (int64_t ox = 0; ox < outW; ++ox)
                for (int c = 0; c < channels; ++c, ++index) {
                    double best = -INFINITY;
                    int64_t where = 0;
                    const int64_t top = oy * params->strideHeight - padTop, left = ox * params->strideWidth - padLeft;
                    for (int64_t iy = std::max<int64_t>(top, 0); iy < std::min<int64_t>(top + params->filterHeight, inH); ++iy)
                        for (int64_t ix = std::max<int64_t>(left, 0); ix < std::min<int64_t>(left + params->filterWidth, inW); ++ix) {
                            double value = read(((int64_t(b) * inH + iy) * inW + ix) * channels + c);
                            if (value > best) best = value, where = iy * inW + ix;
                        }
                    writeValue(index, std::isinf(best) ? 0.0 : best);
                    writeIndex(index, static_cast<double>(where));
                }
    return Status::ok();
}

// ---- MaxUnpooling2D: (values, argmax) -> unpooled ----
Status prepareUnpool(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 1));
    auto params = readMediaPipeParams(context, true);
    if (!params) return params.status();
    const RuntimeTensor& values = context.input(0);
    if (values.rank() != 4 || context.input(1).shape != values.shape)
        return context.error("values and indices must be NHWC tensors of one shape");
    // In 64 bits: hostile strides and filters must not wrap around.
    auto size = [&](int in, int filter, int stride) {
        return params->padding == kMediaPipePaddingSame ? int64_t(in) * stride : (int64_t(in) - 1) * stride + filter;
    };
    int64_t height = size(values.dim(1), params->filterHeight, params->strideHeight);
    int64_t width = size(values.dim(2), params->filterWidth, params->strideWidth);
    if (height < 0 || width < 0 || height > INT32_MAX || width > INT32_MAX)
        return context.error("unpooled size " + std::to_string(height) + "x" + std::to_string(width) + " is out of range");
    context.output(0).shape = {values.dim(0), static_cast<int32_t>(height), static_cast<int32_t>(width), values.dim(3)};
    return Status::ok();
}

// float32 values and output, float32 or int32 indices: typed reads, the
// same checks (hair segmentation's three unpoolings 1.5 -> 0.46 ms).
template <typename Index>
Status unpoolFloat(const KernelContext& context, const RuntimeTensor& values, const RuntimeTensor& indices, RuntimeTensor& out) {
    const int outH = out.dim(1), outW = out.dim(2), channels = out.dim(3);
    const int64_t plane = int64_t(outH) * outW, pixels = int64_t(values.dim(1)) * values.dim(2);
    const float* x = values.as<const float>();
    const Index* at = indices.as<const Index>();
    float* y = out.as<float>();
    int64_t index = 0;
    for (int b = 0; b < values.dim(0); ++b)
        for (int64_t p = 0; p < pixels; ++p)
            for (int c = 0; c < channels; ++c, ++index) {
                const double raw = static_cast<double>(at[index]);
                const int64_t where = raw >= 0.0 && raw < static_cast<double>(plane) ? static_cast<int64_t>(raw) : -1;
                if (where < 0)
                    return context.error("index " + std::to_string(static_cast<int64_t>(raw)) + " is outside the " + std::to_string(outH) +
                                         "x" + std::to_string(outW) + " output");
                y[(int64_t(b) * plane + where) * channels + c] = x[index];
            }
    return Status::ok();
}

Status evalUnpool(KernelContext& context) {
    const RuntimeTensor& values = context.input(0);
    RuntimeTensor& out = context.output(0);
    std::memset(out.data, 0, out.bytes);
    if (values.type == DataType::Float32 && out.type == DataType::Float32) {
        if (context.input(1).type == DataType::Float32) return unpoolFloat<float>(context, values, context.input(1), out);
        if (context.input(1).type == DataType::Int32) return unpoolFloat<int32_t>(context, values, context.input(1), out);
    }
    ValueReader read(values), readIndex(context.input(1));
    ValueWriter write(out);
    const int outH = out.dim(1), outW = out.dim(2), channels = out.dim(3);
    const int64_t plane = int64_t(outH) * outW;
    int64_t index = 0;
    for (int b = 0; b < values.dim(0); ++b)
        for (int64_t p = 0; p < int64_t(values.dim(1)) * values.dim(2); ++p)
            for (int c = 0; c < channels; ++c, ++index) {
                int64_t where = static_cast<int64_t>(readIndex(index));
                if (where < 0 || where >= plane)
                    return context.error("index " + std::to_string(where) + " is outside the " + std::to_string(outH) +
                                         "x" + std::to_string(outW) + " output");
                write((int64_t(b) * plane + where) * channels + c, read(index));
            }
    return Status::ok();
}

}  // namespace

const KernelDef* findReferenceCustomKernel(std::string_view name) {
    static const std::map<std::string_view, KernelDef> kernels = {
        {"Convolution2DTransposeBias", {prepareTransposeBias, evalTransposeBias}},
        {"MaxPoolingWithArgmax2D", {preparePoolArgmax, evalPoolArgmax}},
        {"MaxUnpooling2D", {prepareUnpool, evalUnpool}},
        // LiteRT's own registration of the same op (int32 indices).
        {"LiteRtMaxUnpooling2D", {prepareUnpool, evalUnpool}},
        {"TFLite_Detection_PostProcess", detectionPostprocessKernel()},
    };
    auto found = kernels.find(name);
    return found == kernels.end() ? nullptr : &found->second;
}

}  // namespace litestudio::reference

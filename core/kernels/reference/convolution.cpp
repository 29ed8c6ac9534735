// CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV in NHWC. Inputs, weights and
// bias are first converted to float32 in scratch memory (dequantizing
// per-tensor and per-channel quantized data), then convolved directly.

#include <algorithm>
#include <vector>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

struct ConvParams {
    schema::Padding padding = schema::Padding_SAME;
    int strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
    schema::ActivationFunctionType activation = schema::ActivationFunctionType_NONE;
    bool depthwise = false;
};

Expected<ConvParams> convParams(const KernelContext& context) {
    ConvParams params;
    if (const auto* o = context.op->options->builtin_options_as_Conv2DOptions()) {
        params = {o->padding(), o->stride_h(), o->stride_w(), o->dilation_h_factor(), o->dilation_w_factor(),
                  o->fused_activation_function(), false};
    } else if (const auto* d = context.op->options->builtin_options_as_DepthwiseConv2DOptions()) {
        params = {d->padding(), d->stride_h(), d->stride_w(), d->dilation_h_factor(), d->dilation_w_factor(),
                  d->fused_activation_function(), true};
    } else {
        return context.error("has no convolution options");
    }
    if (params.strideH <= 0 || params.strideW <= 0 || params.dilationH <= 0 || params.dilationW <= 0)
        return context.error("strides and dilations must be positive");
    return params;
}

Status prepareConv(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 3, 1));
    auto params = convParams(context);
    if (!params) return params.status();
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    if (input.rank() != 4 || filter.rank() != 4) return context.error("needs 4-D input and filter (NHWC)");
    for (int d = 0; d < 4; ++d)
        if (filter.dim(d) <= 0) return context.error("filter '" + filter.name + "' has an empty dimension " + shapeText(filter.shape));
    if (input.dim(3) <= 0) return context.error("input '" + input.name + "' has no channels");
    if (!dilatedFilterFits(filter.dim(1), params->dilationH) || !dilatedFilterFits(filter.dim(2), params->dilationW))
        return context.error("dilation " + std::to_string(params->dilationH) + "x" + std::to_string(params->dilationW) + " spreads the " +
                             std::to_string(filter.dim(1)) + "x" + std::to_string(filter.dim(2)) + " filter over more than 2^24 pixels");
    int channelsOut = params->depthwise ? filter.dim(3) : filter.dim(0);
    if (!params->depthwise && input.dim(3) % filter.dim(3) == 0 && channelsOut % (input.dim(3) / filter.dim(3)) != 0)
        return context.error(std::to_string(channelsOut) + " output channels do not split into " +
                             std::to_string(input.dim(3) / filter.dim(3)) + " groups");
    if (context.hasInput(2) && context.input(2).elementCount() != channelsOut)
        return context.error("bias '" + context.input(2).name + "' has " + std::to_string(context.input(2).elementCount()) +
                             " values for " + std::to_string(channelsOut) + " output channels");
    if (!params->depthwise && input.dim(3) % filter.dim(3) != 0)
        return context.error("input has " + std::to_string(input.dim(3)) + " channels, filter expects " +
                             std::to_string(filter.dim(3)));
    if (params->depthwise && channelsOut % input.dim(3) != 0)
        return context.error("depthwise output channels must be a multiple of the input channels");
    int outH = convOutputSize(params->padding, input.dim(1), filter.dim(1), params->strideH, params->dilationH);
    int outW = convOutputSize(params->padding, input.dim(2), filter.dim(2), params->strideW, params->dilationW);
    context.output(0).shape = {input.dim(0), outH, outW, channelsOut};
    context.scratchBytes = floatScratchBytes(input) + floatScratchBytes(filter) +
                           (context.hasInput(2) ? floatScratchBytes(context.input(2)) : 0);
    return Status::ok();
}

// Integer path for int8/uint8 input, weights and output: matches LiteRT
// (XNNPACK) bit for bit, which float arithmetic cannot near rounding ties.
Status evalQuantizedConv(KernelContext& context, const ConvParams& params) {
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    RuntimeTensor& out = context.output(0);
    QuantizedOperand x{&input}, w{&filter};
    const int32_t* bias = context.hasInput(2) ? context.input(2).as<int32_t>() : nullptr;
    Requantizer requantize(input, filter, out, params.activation);
    const int batches = input.dim(0), inH = input.dim(1), inW = input.dim(2), inC = input.dim(3);
    const int kH = filter.dim(1), kW = filter.dim(2);
    const int outH = out.dim(1), outW = out.dim(2), outC = out.dim(3);
    const int padTop = convPaddingBefore(inH, outH, kH, params.strideH, params.dilationH);
    const int padLeft = convPaddingBefore(inW, outW, kW, params.strideW, params.dilationW);
    const int filterC = params.depthwise ? outC : filter.dim(3);
    const int groups = params.depthwise ? 1 : inC / filterC;
    const int outPerGroup = outC / groups;
    const int multiplier = params.depthwise ? outC / inC : 1;
    const int32_t inputZero = x.zeroPoint(0);
    int64_t index = 0;
    for (int b = 0; b < batches; ++b)
        for (int oy = 0; oy < outH; ++oy)
            for (int ox = 0; ox < outW; ++ox)
                for (int oc = 0; oc < outC; ++oc, ++index) {
                    int32_t weightZero = w.zeroPoint(oc);
                    // int64, wrapped to int32 at the end as int32 hardware sums wrap:
                    // a hostile bias near INT32_MIN overflowed here (UB).
                    int64_t accumulator = bias ? bias[oc] : 0;
                    for (int ky = 0; ky < kH; ++ky) {
                        int iy = oy * params.strideH - padTop + ky * params.dilationH;
                        if (iy < 0 || iy >= inH) continue;
                        for (int kx = 0; kx < kW; ++kx) {
                            int ix = ox * params.strideW - padLeft + kx * params.dilationW;
                            if (ix < 0 || ix >= inW) continue;
                            int64_t pixel = ((int64_t(b) * inH + iy) * inW + ix) * inC;
                            if (params.depthwise) {
                                accumulator += (x.raw(pixel + oc / multiplier) - inputZero) *
                                               (w.raw((int64_t(ky) * kW + kx) * outC + oc) - weightZero);
                            } else {
                                int64_t weights = ((int64_t(oc) * kH + ky) * kW + kx) * filterC;
                                int64_t channels = pixel + (oc / outPerGroup) * filterC;
                                for (int ic = 0; ic < filterC; ++ic)
                                    accumulator += (x.raw(channels + ic) - inputZero) * (w.raw(weights + ic) - weightZero);
                            }
                        }
                    }
                    int32_t value = requantize(static_cast<int32_t>(accumulator), oc);
                    if (out.type == DataType::UInt8) out.as<uint8_t>()[index] = static_cast<uint8_t>(value);
                    else out.as<int8_t>()[index] = static_cast<int8_t>(value);
                }
    return Status::ok();
}

Status evalConv(KernelContext& context) {
    auto params = convParams(context);
    if (!params) return params.status();
    if (useIntegerPath(context)) return evalQuantizedConv(context, *params);
    const RuntimeTensor& inputTensor = context.input(0);
    const RuntimeTensor& filterTensor = context.input(1);
    RuntimeTensor& out = context.output(0);
    FloatScratch scratch(context.scratch);
    const float* input = scratch.convert(inputTensor);
    const float* filter = scratch.convert(filterTensor);
    bool hasBias = context.hasInput(2);
    const float* bias = hasBias ? scratch.convert(context.input(2)) : nullptr;

    const int batches = inputTensor.dim(0), inH = inputTensor.dim(1), inW = inputTensor.dim(2), inC = inputTensor.dim(3);
    const int kH = filterTensor.dim(1), kW = filterTensor.dim(2);
    const int outH = out.dim(1), outW = out.dim(2), outC = out.dim(3);
    const int padTop = convPaddingBefore(inH, outH, kH, params->strideH, params->dilationH);
    const int padLeft = convPaddingBefore(inW, outW, kW, params->strideW, params->dilationW);
    const int filterC = params->depthwise ? outC : filterTensor.dim(3);
    const int groups = params->depthwise ? 1 : inC / filterC;
    const int outPerGroup = outC / groups;
    const int multiplier = params->depthwise ? outC / inC : 1;
    ValueWriter write(out);
    int64_t index = 0;
    for (int b = 0; b < batches; ++b)
        for (int oy = 0; oy < outH; ++oy)
            for (int ox = 0; ox < outW; ++ox)
                for (int oc = 0; oc < outC; ++oc, ++index) {
                    double sum = hasBias ? bias[oc] : 0.0;
                    for (int ky = 0; ky < kH; ++ky) {
                        int iy = oy * params->strideH - padTop + ky * params->dilationH;
                        if (iy < 0 || iy >= inH) continue;
                        for (int kx = 0; kx < kW; ++kx) {
                            int ix = ox * params->strideW - padLeft + kx * params->dilationW;
                            if (ix < 0 || ix >= inW) continue;
                            const float* pixel = input + ((int64_t(b) * inH + iy) * inW + ix) * inC;
                            if (params->depthwise) {
                                sum += double(pixel[oc / multiplier]) * filter[(int64_t(ky) * kW + kx) * outC + oc];
                            } else {
                                const float* weights = filter + ((int64_t(oc) * kH + ky) * kW + kx) * filterC;
                                const float* channels = pixel + (oc / outPerGroup) * filterC;
                                float partial = 0;
                                for (int ic = 0; ic < filterC; ++ic) partial += channels[ic] * weights[ic];
                                sum += partial;
                            }
                        }
                    }
                    write(index, applyActivation(sum, params->activation));
                }
    return Status::ok();
}

// TRANSPOSE_CONV: inputs (output_shape, weights [O,H,W,I], input, bias?).
Status prepareTransposeConv(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 3, 4, 1));
    if (context.knows(context.input(0))) {
        auto shape = shapeOperand(context, context.input(0));
        if (!shape) return shape.status();
        context.output(0).shape = *shape;
    }
    if (context.output(0).rank() != 4 || context.input(1).rank() != 4 || context.input(2).rank() != 4)
        return context.error("needs 4-D tensors");
    // The loops index the filter by the input's channels and the output's,
    // and the input by the output's images: a model that says otherwise
    // would have them read past the tensors.
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& input = context.input(2);
    const RuntimeTensor& output = context.output(0);
    if (filter.dim(3) != input.dim(3) || filter.dim(0) != output.dim(3) || input.dim(0) != output.dim(0))
        return context.error("expects weights [" + std::to_string(output.dim(3)) + ", h, w, " + std::to_string(input.dim(3)) + "] for input " +
                             input.name + " " + shapeText(input.shape) + " and output " + shapeText(output.shape) + ", got " + filter.name +
                             " " + shapeText(filter.shape));
    if (context.hasInput(3) && context.input(3).elementCount() != output.dim(3))
        return context.error("bias " + context.input(3).name + " has " + std::to_string(context.input(3).elementCount()) + " values, expected " +
                             std::to_string(output.dim(3)));
    context.scratchBytes = floatScratchBytes(context.input(1)) + floatScratchBytes(context.input(2)) +
                           floatScratchBytes(context.output(0)) +
                           (context.hasInput(3) ? floatScratchBytes(context.input(3)) : 0);
    return Status::ok();
}

// Integer path for int8/uint8 input, weights and output: each product of
// stored values less their zero points summed in int32, the bias added,
// then XNNPACK's float requantization, as for CONV_2D (bit for bit with
// LiteRT's deconvolution, which float arithmetic cannot be near ties).
Status evalQuantizedTransposeConv(KernelContext& context, const TransposeGeometry& g, schema::ActivationFunctionType activation) {
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& input = context.input(2);
    RuntimeTensor& out = context.output(0);
    QuantizedOperand x{&input}, w{&filter};
    const int32_t* bias = context.hasInput(3) ? context.input(3).as<int32_t>() : nullptr;
    Requantizer requantize(input, filter, out, activation);
    const int batches = out.dim(0), outH = out.dim(1), outW = out.dim(2), outC = out.dim(3);
    const int inH = input.dim(1), inW = input.dim(2), inC = input.dim(3), kH = filter.dim(1), kW = filter.dim(2);
    // Stored values less their zero points, once: the sums below are then plain int32 dot products.
    std::vector<int32_t> pixels(static_cast<size_t>(input.elementCount())), weights(static_cast<size_t>(filter.elementCount()));
    const int32_t inputZero = x.zeroPoint(0);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = x.raw(static_cast<int64_t>(i)) - inputZero;
    const int64_t perOutput = int64_t(kH) * kW * inC;
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = w.raw(static_cast<int64_t>(i)) - w.zeroPoint(static_cast<int64_t>(i) / perOutput);
    std::vector<int64_t> sums(static_cast<size_t>(out.elementCount()), 0);  // wrapped to int32 at the end, as above
    for (int b = 0; b < batches; ++b)
        for (int iy = 0; iy < inH; ++iy)
            for (int ix = 0; ix < inW; ++ix)
                for (int ky = 0; ky < kH; ++ky)
                    for (int kx = 0; kx < kW; ++kx) {
                        const int64_t oy = iy * g.strideH + ky - g.padTop, ox = ix * g.strideW + kx - g.padLeft;
                        if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) continue;
                        const int32_t* pixel = pixels.data() + ((int64_t(b) * inH + iy) * inW + ix) * inC;
                        int64_t* target = sums.data() + ((int64_t(b) * outH + oy) * outW + ox) * outC;
                        for (int oc = 0; oc < outC; ++oc) {
                            const int32_t* row = weights.data() + ((int64_t(oc) * kH + ky) * kW + kx) * inC;
                            int64_t sum = 0;
                            for (int ic = 0; ic < inC; ++ic) sum += pixel[ic] * row[ic];
                            target[oc] += sum;
                        }
                    }
    for (size_t i = 0; i < sums.size(); ++i) {
        const int64_t oc = static_cast<int64_t>(i % static_cast<size_t>(outC));
        const int32_t value = requantize(static_cast<int32_t>(sums[i] + (bias ? bias[oc] : 0)), oc);
        if (out.type == DataType::UInt8) out.as<uint8_t>()[i] = static_cast<uint8_t>(value);
        else out.as<int8_t>()[i] = static_cast<int8_t>(value);
    }
    return Status::ok();
}

Status evalTransposeConv(KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_TransposeConvOptions();
    if (!options || options->stride_h() <= 0 || options->stride_w() <= 0) return context.error("needs positive strides");
    const RuntimeTensor& filterTensor = context.input(1);
    const RuntimeTensor& inputTensor = context.input(2);
    RuntimeTensor& out = context.output(0);
    const bool hasBias = context.hasInput(3);
    const int outH = out.dim(1), outW = out.dim(2), outC = out.dim(3);
    const int inH = inputTensor.dim(1), inW = inputTensor.dim(2);
    TransposeGeometry geometry{options->stride_h(), options->stride_w(), 0, 0};
    if (options->padding() == schema::Padding_SAME) {
        // The padding of the convolution this one transposes: output and input swapped.
        geometry.padTop = convPaddingBefore(outH, inH, filterTensor.dim(1), options->stride_h(), 1);
        geometry.padLeft = convPaddingBefore(outW, inW, filterTensor.dim(2), options->stride_w(), 1);
    }
    if (isQuantizedInteger(inputTensor) && isQuantizedInteger(filterTensor) && isQuantizedInteger(out) && inputTensor.type == out.type &&
        (!hasBias || context.input(3).type == DataType::Int32))
        return evalQuantizedTransposeConv(context, geometry, options->fused_activation_function());
    FloatScratch scratch(context.scratch);
    const float* filter = scratch.convert(filterTensor);
    const float* input = scratch.convert(inputTensor);
    float* accumulator = scratch.take(out);
    const float* bias = hasBias ? scratch.convert(context.input(3)) : nullptr;
    std::fill(accumulator, accumulator + out.elementCount(), 0.0f);
    transposeConvolve(input, inputTensor, filter, filterTensor, accumulator, out, geometry);
    ValueWriter write(out);
    for (int64_t i = 0; i < out.elementCount(); ++i)
        write(i, applyActivation(accumulator[i] + (hasBias ? bias[i % outC] : 0.0f), options->fused_activation_function()));
    return Status::ok();
}

}  // namespace

void addConvolutionKernels(KernelTable& table) {
    table[schema::BuiltinOperator_CONV_2D] = {prepareConv, evalConv};
    table[schema::BuiltinOperator_DEPTHWISE_CONV_2D] = {prepareConv, evalConv};
    table[schema::BuiltinOperator_TRANSPOSE_CONV] = {prepareTransposeConv, evalTransposeConv};
}

}  // namespace litestudio::reference

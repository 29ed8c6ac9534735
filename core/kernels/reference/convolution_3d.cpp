// CONV_3D in float32: input NDHWC, filter [kd, kh, kw, in, out], optional
// bias [out]. Loops over raw floats, as the largest test model holds 86
// million input elements.

#include <algorithm>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

struct Geometry {
    int stride[3], dilation[3], padBefore[3];
};

Status prepareConv3d(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 3, 1));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    for (const RuntimeTensor* tensor : {&input, &filter, static_cast<const RuntimeTensor*>(&context.output(0))})
        LS_RETURN_IF_ERROR(expectType(context, *tensor, {DataType::Float32}));
    if (context.hasInput(2)) LS_RETURN_IF_ERROR(expectType(context, context.input(2), {DataType::Float32}));
    const auto* options = context.op->options->builtin_options_as_Conv3DOptions();
    if (!options) return context.error("has no Conv3D options");
    if (input.rank() != 5 || filter.rank() != 5) return context.error("needs a 5-D input (NDHWC) and a 5-D filter");
    if (filter.dim(3) != input.dim(4))
        return context.error("filter takes " + std::to_string(filter.dim(3)) + " input channels, the input has " +
                             std::to_string(input.dim(4)));
    if (context.hasInput(2) && context.input(2).elementCount() != filter.dim(4))
        return context.error("bias must hold one value per output channel");
    int strides[3] = {options->stride_d(), options->stride_h(), options->stride_w()};
    int dilations[3] = {options->dilation_d_factor(), options->dilation_h_factor(), options->dilation_w_factor()};
    std::vector<int32_t> shape = {input.dim(0)};
    for (int axis = 0; axis < 3; ++axis) {
        if (strides[axis] <= 0 || dilations[axis] <= 0) return context.error("strides and dilations must be positive");
        if (!dilatedFilterFits(filter.dim(axis), dilations[axis]))
            return context.error("dilation " + std::to_string(dilations[axis]) + " spreads the filter over more than 2^24 pixels");
        shape.push_back(convOutputSize(options->padding(), input.dim(axis + 1), filter.dim(axis), strides[axis], dilations[axis]));
    }
    shape.push_back(filter.dim(4));
    context.output(0).shape = shape;
    return Status::ok();
}

Status evalConv3d(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    RuntimeTensor& out = context.output(0);
    const auto* options = context.op->options->builtin_options_as_Conv3DOptions();
    Geometry g{{options->stride_d(), options->stride_h(), options->stride_w()},
               {options->dilation_d_factor(), options->dilation_h_factor(), options->dilation_w_factor()},
               {}};
    for (int axis = 0; axis < 3; ++axis)
        g.padBefore[axis] = convPaddingBefore(input.dim(axis + 1), out.dim(axis + 1), filter.dim(axis), g.stride[axis], g.dilation[axis]);
    const int inD = input.dim(1), inH = input.dim(2), inW = input.dim(3), inC = input.dim(4);
    const int kD = filter.dim(0), kH = filter.dim(1), kW = filter.dim(2), outC = filter.dim(4);
    const float* x = input.as<const float>();
    const float* w = filter.as<const float>();
    const float* bias = context.hasInput(2) ? context.input(2).as<const float>() : nullptr;
    float* y = out.as<float>();
    auto activation = options->fused_activation_function();
    for (int n = 0; n < out.dim(0); ++n)
        for (int od = 0; od < out.dim(1); ++od)
            for (int oh = 0; oh < out.dim(2); ++oh)
                for (int ow = 0; ow < out.dim(3); ++ow) {
                    float* pixel = y + ((((int64_t(n) * out.dim(1) + od) * out.dim(2) + oh) * out.dim(3)) + ow) * outC;
                    for (int oc = 0; oc < outC; ++oc) pixel[oc] = bias ? bias[oc] : 0.0f;
                    for (int fd = 0; fd < kD; ++fd) {
                        int id = od * g.stride[0] - g.padBefore[0] + fd * g.dilation[0];
                        if (id < 0 || id >= inD) continue;
                        for (int fh = 0; fh < kH; ++fh) {
                            int ih = oh * g.stride[1] - g.padBefore[1] + fh * g.dilation[1];
                            if (ih < 0 || ih >= inH) continue;
                            for (int fw = 0; fw < kW; ++fw) {
                                int iw = ow * g.stride[2] - g.padBefore[2] + fw * g.dilation[2];
                                if (iw < 0 || iw >= inW) continue;
                                const float* source = x + (((int64_t(n) * inD + id) * inH + ih) * inW + iw) * inC;
                                const float* taps = w + ((int64_t(fd) * kH + fh) * kW + fw) * inC * outC;
                                for (int ic = 0; ic < inC; ++ic) {
                                    float value = source[ic];
                                    const float* row = taps + int64_t(ic) * outC;
                                    for (int oc = 0; oc < outC; ++oc) pixel[oc] += value * row[oc];
                                }
                            }
                        }
                    }
                    if (activation != schema::ActivationFunctionType_NONE)
                        for (int oc = 0; oc < outC; ++oc)
                            pixel[oc] = static_cast<float>(applyActivation(pixel[oc], activation));
                }
    return Status::ok();
}

}  // namespace

void addConvolution3dKernel(KernelTable& table) { table[schema::BuiltinOperator_CONV_3D] = {prepareConv3d, evalConv3d}; }

}  // namespace litestudio::reference

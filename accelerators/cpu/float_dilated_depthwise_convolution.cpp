#include "accelerators/cpu/float_dilated_depthwise_convolution.h"

#include <pthreadpool.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_depthwise_convolution.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

// Dilations up to this take this kernel: one plan per column phase, each
// with its own copy of the weights (DeepLab's rates are 2 and 4).
constexpr int kLargestDilation = 8;

struct PackedDilated {
    int64_t batch = 0, inH = 0, inW = 0, outH = 0, outW = 0, channels = 0;
    int dilationH = 1, dilationW = 1, padTop = 0, kernelSize = 3;
    // Output column phase q (columns q, q + dilationW, ...): its undilated
    // convolution over input columns firstInput, firstInput + dilationW,
    // ..., pixels dilationW * channels apart in both rows.
    struct Phase {
        DepthwisePlan plan;
        int64_t firstInput = 0;
    };
    std::vector<Phase> phases;
};

struct RunArguments {
    const PackedDilated* p;
    const float* input;
    float* output;
};

// Output row `row` (of batch x outH), one column phase after another, from
// the input rows it reads (dilationH apart), in place.
void outputRow(void* context, size_t row) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedDilated& p = *arguments.p;
    const int64_t batch = static_cast<int64_t>(row) / p.outH, oy = static_cast<int64_t>(row) % p.outH;
    float* out = arguments.output + (batch * p.outH + oy) * p.outW * p.channels;
    InputRows rows{};
    for (int ky = 0; ky < p.kernelSize; ++ky) {
        const int64_t iy = oy - p.padTop + static_cast<int64_t>(ky) * p.dilationH;
        rows[static_cast<size_t>(ky)] = iy >= 0 && iy < p.inH ? arguments.input + (batch * p.inH + iy) * p.inW * p.channels : nullptr;
    }
    for (size_t q = 0; q < p.phases.size(); ++q) {
        const PackedDilated::Phase& phase = p.phases[q];
        InputRows phaseRows{};
        for (int ky = 0; ky < p.kernelSize; ++ky)
            if (rows[static_cast<size_t>(ky)]) phaseRows[static_cast<size_t>(ky)] = rows[static_cast<size_t>(ky)] + phase.firstInput * p.channels;
        depthwiseRow(phase.plan, phaseRows, out + static_cast<int64_t>(q) * p.channels);
    }
}

Status prepareDilated(KernelContext& context) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareDepthwiseShapes(context, padded));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    const auto* options = context.op->options->builtin_options_as_DepthwiseConv2DOptions();
    auto packed = std::make_shared<PackedDilated>();
    PackedDilated& p = *packed;
    p.batch = input.dim(0), p.inH = input.dim(1), p.inW = input.dim(2), p.channels = input.dim(3);
    p.outH = out.dim(1), p.outW = out.dim(2);
    p.dilationH = options->dilation_h_factor(), p.dilationW = options->dilation_w_factor();
    p.kernelSize = filter.dim(1);
    const int d = p.dilationW;
    p.padTop = paddingBefore(padded.dim(1), p.outH, p.kernelSize, 1, p.dilationH) + context.op->fusedPadding[0];
    const int64_t padLeft = paddingBefore(padded.dim(2), p.outW, p.kernelSize, 1, d) + context.op->fusedPadding[2];

    DepthwisePlan shared;
    shared.strideH = shared.strideW = 1;
    shared.batch = 1, shared.inH = 1, shared.outH = 1, shared.channels = p.channels;
    std::tie(shared.low, shared.high) = clampRange(context, options->fused_activation_function());
    LS_RETURN_IF_ERROR(packDepthwise(context, shared));
    if (shared.paired) {
        // Pairs read two neighbouring pixels as one vector; a phase's pixels
        // are not neighbours. The general rows take the 8 channels masked.
        shared.paired = false;
    }
    shared.inputPixelStride = shared.outputPixelStride = d * p.channels;
    for (int64_t q = 0; q < std::min<int64_t>(d, p.outW); ++q) {
        // Output column q + d * j reads input columns q - padLeft + d * (j + kx),
        // all of one phase: the first of them in the image, and how far
        // (in phase columns) the phase's padding reaches before it.
        const int64_t first = ((q - padLeft) % d + d) % d;
        PackedDilated::Phase phase{shared, first};
        phase.plan.outW = (p.outW - q + d - 1) / d;
        phase.plan.inW = first < p.inW ? (p.inW - first + d - 1) / d : 0;
        phase.plan.padLeft = static_cast<int>((padLeft + first - q) / d);
        p.phases.push_back(std::move(phase));
    }
    context.state = packed;
    return Status::ok();
}

Status evalDilated(KernelContext& context) {
    const auto& p = *static_cast<const PackedDilated*>(context.state.get());
    RunArguments arguments{&p, context.input(0).as<const float>(), context.output(0).as<float>()};
    pthreadpool_parallelize_1d(static_cast<pthreadpool_t>(threadPoolOf(context)), outputRow, &arguments, static_cast<size_t>(p.batch * p.outH), 0);
    return Status::ok();
}

}  // namespace

const KernelDef* floatDilatedDepthwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareDilated, .eval = evalDilated, .fusesInputPadding = true, .fusesActivation = true};
    if (!cpuHasAvx512() || model.opCode(op).builtin != schema::BuiltinOperator_DEPTHWISE_CONV_2D || !hasConvolutionOperands(op) ||
        op.fusedSeparableBlock || op.fusedExpansion || op.fusedEpilogue != Op::Epilogue::None)
        return nullptr;
    const auto* options = op.options->builtin_options_as_DepthwiseConv2DOptions();
    if (!options || options->stride_h() != 1 || options->stride_w() != 1 || options->dilation_h_factor() < 1 ||
        options->dilation_w_factor() < 1 || options->dilation_h_factor() > kLargestDilation || options->dilation_w_factor() > kLargestDilation ||
        (options->dilation_h_factor() == 1 && options->dilation_w_factor() == 1) ||
        !isClampActivation(options->fused_activation_function()))
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || !isConstantFloat(filter) || filter.shape.size() != 4 ||
        input.shape.size() != 4 || output.shape.size() != 4 || filter.shape[0] != 1 || filter.shape[1] != filter.shape[2] ||
        !depthwiseRowsRun(filter.shape[1], 1) || filter.shape[3] != input.shape[3] || output.shape[3] != input.shape[3])
        return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0 && !isConstantFloat(subgraph.tensors[static_cast<size_t>(op.inputs[2])])) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu

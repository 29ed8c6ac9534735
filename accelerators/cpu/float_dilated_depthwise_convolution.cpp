#include "accelerators/cpu/float_dilated_depthwise_convolution.h"

#include <pthreadpool.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_depthwise_convolution.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

struct PackedDilated {
    DepthwisePlan whole;  // the geometry; rows dilationH apart
    std::vector<DepthwisePhase> phases;
};

struct RunArguments {
    const PackedDilated* p;
    const float* input;
    float* output;
};

// Output row `row` (of batch x outH), one column phase after another, from
// the input rows it reads, in place.
void outputRow(void* context, size_t row) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const DepthwisePlan& whole = arguments.p->whole;
    const int64_t batch = static_cast<int64_t>(row) / whole.outH, oy = static_cast<int64_t>(row) % whole.outH;
    const InputRows rows = inputRowsOf(whole, arguments.input + batch * whole.inH * whole.inW * whole.channels, oy);
    phasedDepthwiseRow(arguments.p->phases, whole.channels, rows, arguments.output + static_cast<int64_t>(row) * whole.outW * whole.channels);
}

Status prepareDilated(KernelContext& context) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareDepthwiseShapes(context, padded));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    const auto* options = context.op->options->builtin_options_as_DepthwiseConv2DOptions();
    auto packed = std::make_shared<PackedDilated>();
    DepthwisePlan& whole = packed->whole;
    whole.batch = input.dim(0), whole.inH = input.dim(1), whole.inW = input.dim(2), whole.channels = input.dim(3);
    whole.outH = out.dim(1), whole.outW = out.dim(2);
    whole.dilationH = options->dilation_h_factor();
    const int kernelSize = filter.dim(1), dilationW = options->dilation_w_factor();
    whole.padTop = paddingBefore(padded.dim(1), whole.outH, kernelSize, 1, whole.dilationH) + context.op->fusedPadding[0];
    whole.padLeft = paddingBefore(padded.dim(2), whole.outW, kernelSize, 1, dilationW) + context.op->fusedPadding[2];
    std::tie(whole.low, whole.high) = clampRange(context, options->fused_activation_function());
    LS_RETURN_IF_ERROR(packDepthwise(context, whole));
    packed->phases = columnPhases(whole, dilationW);
    context.state = packed;
    return Status::ok();
}

Status evalDilated(KernelContext& context) {
    const auto& p = *static_cast<const PackedDilated*>(context.state.get());
    RunArguments arguments{&p, context.input(0).as<const float>(), context.output(0).as<float>()};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), outputRow, &arguments,
                  static_cast<size_t>(p.whole.batch * p.whole.outH));
    return Status::ok();
}

}  // namespace

std::vector<DepthwisePhase> columnPhases(const DepthwisePlan& whole, int dilationW) {
    DepthwisePlan shared = whole;
    shared.batch = 1, shared.inH = 1, shared.outH = 1, shared.padTop = 0, shared.dilationH = 1;
    // Pairs read two neighbouring pixels as one vector; a phase's pixels are
    // not neighbours. The general rows take the 8 channels masked.
    shared.paired = false;
    const int d = dilationW;
    shared.inputPixelStride = shared.outputPixelStride = d * whole.channels;
    std::vector<DepthwisePhase> phases;
    for (int64_t q = 0; q < std::min<int64_t>(d, whole.outW); ++q) {
        // Output column q + d * j reads input columns q - padLeft + d * (j + kx),
        // all of one phase: the first of them in the image, and how far
        // (in phase columns) the phase's padding reaches before it.
        const int64_t first = ((q - whole.padLeft) % d + d) % d;
        DepthwisePhase phase{shared, first};
        phase.plan.outW = (whole.outW - q + d - 1) / d;
        phase.plan.inW = first < whole.inW ? (whole.inW - first + d - 1) / d : 0;
        phase.plan.padLeft = static_cast<int>((whole.padLeft + first - q) / d);
        phases.push_back(std::move(phase));
    }
    return phases;
}

void phasedDepthwiseRow(const std::vector<DepthwisePhase>& phases, int64_t channels, const InputRows& rows, float* outputRow) {
    for (size_t q = 0; q < phases.size(); ++q) {
        const DepthwisePhase& phase = phases[q];
        InputRows phaseRows{};
        for (size_t ky = 0; ky < rows.size(); ++ky)
            if (rows[ky]) phaseRows[ky] = rows[ky] + phase.firstInput * channels;
        depthwiseRow(phase.plan, phaseRows, outputRow + static_cast<int64_t>(q) * channels);
    }
}

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

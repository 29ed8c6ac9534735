#include "accelerators/cpu/float_spatial_moments.h"

#include <pthreadpool.h>

#include <memory>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_plane_means.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

struct Moments {
    int64_t parts = 1;  // of each image's plane
};

Status prepareMoments(KernelContext& context) {
    // The fusion matched axes 1 and 2, kept; the shapes follow from x's.
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 2));
    const RuntimeTensor& input = context.input(0);
    if (input.rank() != 4 || input.type != DataType::Float32 || input.dim(1) <= 0 || input.dim(2) <= 0 || input.dim(3) <= 0)
        return context.error("takes the moments of a float32 [N, H, W, C] with a plane and channels, got " + input.name + " " +
                             shapeText(input.shape));
    const std::vector<int32_t> reduced = {input.dim(0), 1, 1, input.dim(3)};
    for (int output = 0; output < 2; ++output) {
        RuntimeTensor& tensor = context.output(output);
        if (tensor.type != DataType::Float32) return context.error("writes float32 moments, not " + tensor.name);
        tensor.shape = reduced;
    }
    auto moments = std::make_shared<Moments>();
    moments->parts = planeParts(static_cast<pthreadpool_t>(threadPoolOf(context)), input);
    context.scratchBytes = planeMeansScratchBytes(planeMeansOf(input, moments->parts));
    context.state = moments;
    return Status::ok();
}

Status evalMoments(KernelContext& context) {
    const auto& moments = *static_cast<const Moments*>(context.state.get());
    const RuntimeTensor& input = context.input(0);
    const PlaneMeans means = planeMeansOf(input, moments.parts);
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    float* mean = context.output(0).as<float>();
    computePlaneMeans(pool, means, nullptr, alignedScratch(context), mean);
    computePlaneMeans(pool, means, mean, alignedScratch(context), context.output(1).as<float>());
    return Status::ok();
}

}  // namespace

const KernelDef* floatSpatialMomentsKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareMoments, .eval = evalMoments};
    if (!cpuHasAvx512() || !op.fusedMoments || model.opCode(op).builtin != schema::BuiltinOperator_MEAN || op.inputs.size() != 2 ||
        op.outputs.size() != 2 || op.inputs[0] < 0 || op.outputs[0] < 0 || op.outputs[1] < 0)
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    for (const int output : op.outputs)
        if (subgraph.tensors[static_cast<size_t>(output)].type != DataType::Float32) return nullptr;
    return input.type == DataType::Float32 && input.shape.size() == 4 ? &kernel : nullptr;
}

}  // namespace litestudio::cpu

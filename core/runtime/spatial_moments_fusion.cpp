#include "core/runtime/spatial_moments_fusion.h"

#include <algorithm>

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// `op` is an untouched MEAN of a 4-D float feature map over axes 1 and 2
// (either order, or -3 and -2), keeping its dimensions.
bool isSpatialMean(const Model& model, const Subgraph& subgraph, const Op& op) {
    if (!isUntouched(model, op, schema::BuiltinOperator_MEAN) || op.inputs.size() != 2 || op.inputs[0] < 0) return false;
    const auto* reducer = op.options->builtin_options_as_ReducerOptions();
    if (!reducer || !reducer->keep_dims() || !isFeatureMap(subgraph, op.inputs[0]) || shapeOf(subgraph, op.inputs[0]).size() != 4) return false;
    std::vector<int64_t> axes = constantIntegers(subgraph, op.inputs[1]);
    for (int64_t& axis : axes)
        if (axis < 0) axis += 4;
    std::sort(axes.begin(), axes.end());
    return axes == std::vector<int64_t>{1, 2};
}

}  // namespace

int fuseSpatialMoments(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                       std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    const TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t f = 0; f < subgraph.ops.size(); ++f) {
        const Op& first = subgraph.ops[f];
        if (!kernels[f] || !isSpatialMean(model, subgraph, first)) continue;
        const int x = first.inputs[0], mean = first.outputs[0];
        // SQUARED_DIFFERENCE(x, mean), either order, read by one MEAN alone.
        int s = -1;
        for (size_t o = f + 1; o < subgraph.ops.size() && s < 0; ++o) {
            const Op& op = subgraph.ops[o];
            if (!isPlainOp(model, op, BuiltinOperator_SQUARED_DIFFERENCE, 2)) continue;
            if ((op.inputs[0] == x && op.inputs[1] == mean) || (op.inputs[0] == mean && op.inputs[1] == x)) s = static_cast<int>(o);
        }
        if (s < 0) continue;
        const int squared = subgraph.ops[static_cast<size_t>(s)].outputs[0];
        const int second = use.reader[static_cast<size_t>(squared)];
        if (second < 0 || !sameFeatureMapShape(subgraph, squared, x)) continue;
        const Op& variance = subgraph.ops[static_cast<size_t>(second)];
        if (!isSpatialMean(model, subgraph, variance) || variance.inputs[0] != squared || !isStaticFloat(subgraph, variance.outputs[0])) continue;

        Op fusedOp = first;
        fusedOp.outputs = {mean, variance.outputs[0]};
        fusedOp.fusedMoments = true;
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[f]}, chosen);
        if (!kernel) continue;
        folded += placeFusedOp(subgraph, f, std::move(fusedOp), kernel, chosen, kernels, assignment, {s, second});
    }
    return folded;
}

}  // namespace litestudio

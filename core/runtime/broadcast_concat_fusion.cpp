#include "core/runtime/broadcast_concat_fusion.h"

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// Where `tensor` is a RESIZE_BILINEAR or RESIZE_NEAREST_NEIGHBOR of a
// static float [1, 1, 1, C] map that only `reader` reads: the RESIZE's
// index, and `map` its input. Else -1. Every sample of a 1x1 map is its one
// pixel, whatever the resize's corner and half-pixel settings.
int resizeOfOnePixel(const Model& model, const Subgraph& subgraph, const TensorUse& use, int tensor, int reader, int& map) {
    map = -1;
    if (tensor < 0) return -1;
    const int r = use.producer[static_cast<size_t>(tensor)];
    if (r < 0 || use.reader[static_cast<size_t>(tensor)] != reader) return -1;
    const Op& resize = subgraph.ops[static_cast<size_t>(r)];
    if (!isPlainOp(model, resize, schema::BuiltinOperator_RESIZE_BILINEAR, 2) &&
        !isPlainOp(model, resize, schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, 2))
        return -1;
    const int x = resize.inputs[0];
    const std::vector<int32_t>& resized = shapeOf(subgraph, tensor);  // declared: a hostile file's may be empty
    if (x < 0 || resized.size() != 4 || !isStaticFloat(subgraph, x) || shapeOf(subgraph, x) != std::vector<int32_t>{1, 1, 1, resized.back()})
        return -1;
    map = x;
    return r;
}

}  // namespace

int fuseBroadcastConcats(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                         std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t k = 0; k < subgraph.ops.size(); ++k) {
        const Op& conv = subgraph.ops[k];
        if (!isUntouched(model, conv, BuiltinOperator_CONV_2D) || conv.inputs.size() < 2 || conv.inputs.size() > 3 || !kernels[k] ||
            conv.inputs[0] < 0 || conv.inputs[1] < 0 || conv.fusedPadding != std::array<int32_t, 4>{})
            continue;
        const int joined = conv.inputs[0];
        const int c = use.producer[static_cast<size_t>(joined)];
        if (c < 0 || use.reader[static_cast<size_t>(joined)] != static_cast<int>(k)) continue;
        const Op& concat = subgraph.ops[static_cast<size_t>(c)];
        const auto* concatOptions = concat.options ? concat.options->builtin_options_as_ConcatenationOptions() : nullptr;
        if (!isPlainOp(model, concat, BuiltinOperator_CONCATENATION, 2) || !concatOptions ||
            concatOptions->fused_activation_function() != ActivationFunctionType_NONE || !isStaticFloat(subgraph, joined) ||
            shapeOf(subgraph, joined).size() != 4 || (concatOptions->axis() != 3 && concatOptions->axis() != -1))
            continue;
        // One part a resized 1x1 map, the other a feature map of the plane.
        int map = -1, r = -1, part = -1;
        for (int i = 0; i < 2 && r < 0; ++i) {
            r = resizeOfOnePixel(model, subgraph, use, concat.inputs[static_cast<size_t>(i)], c, map);
            part = 1 - i;
        }
        if (r < 0) continue;
        const int featureMap = concat.inputs[static_cast<size_t>(part)];
        const std::vector<int32_t>& joinedShape = shapeOf(subgraph, joined);
        if (featureMap < 0 || !isStaticFloat(subgraph, featureMap) || joinedShape[0] != 1) continue;
        const std::vector<int32_t>& featureShape = shapeOf(subgraph, featureMap);
        if (featureShape.size() != 4 || featureShape[0] != 1 || featureShape[1] != joinedShape[1] || featureShape[2] != joinedShape[2])
            continue;
        const std::vector<int32_t>& filter = shapeOf(subgraph, conv.inputs[1]);
        if (filter.size() != 4 || filter[1] != 1 || filter[2] != 1 || filter[3] != joinedShape[3]) continue;

        Op fusedOp = conv;
        fusedOp.inputs = {featureMap, conv.inputs[1], conv.inputs.size() > 2 ? conv.inputs[2] : -1, map};
        fusedOp.fusedBroadcastConcat = true;
        fusedOp.broadcastChannelsFirst = part == 1;
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[k]}, chosen);
        if (!kernel || !kernel->fusesBroadcastConcat) continue;
        folded += placeFusedOp(subgraph, k, std::move(fusedOp), kernel, chosen, kernels, assignment, {c, r});
    }
    return folded;
}

}  // namespace litestudio

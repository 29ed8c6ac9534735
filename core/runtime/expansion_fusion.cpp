#include "core/runtime/expansion_fusion.h"

#include <array>

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// Op `c` is a 1x1 CONV_2D at stride 1, untouched by other fusions and with
// no padding folded into it, whose output is `e`.
bool isExpansion(const Model& model, const Subgraph& subgraph, int c, int e) {
    using namespace schema;
    if (c < 0) return false;
    const Op& expansion = subgraph.ops[static_cast<size_t>(c)];
    if (!isUntouched(model, expansion, BuiltinOperator_CONV_2D) || expansion.inputs.size() < 2 || expansion.outputs[0] != e ||
        expansion.fusedPadding != std::array<int32_t, 4>{})
        return false;
    const auto* options = expansion.options->builtin_options_as_Conv2DOptions();
    const int x = expansion.inputs[0], filter = expansion.inputs[1];
    return options && options->stride_h() == 1 && options->stride_w() == 1 && x >= 0 && filter >= 0 && isStaticFloat(subgraph, x) &&
           shapeOf(subgraph, x).size() == 4 && shapeOf(subgraph, filter).size() == 4 && shapeOf(subgraph, filter)[1] == 1 &&
           shapeOf(subgraph, filter)[2] == 1;
}

// Whether `op` reads `first` and `second` as its two inputs, in either order.
bool readsPair(const Op& op, int first, int second) {
    return op.inputs.size() == 2 && ((op.inputs[0] == first && op.inputs[1] == second) || (op.inputs[0] == second && op.inputs[1] == first));
}

// The swish between a 1x1 and the depthwise reading e (EfficientNet's,
// MobileNetV3's expansions): e = MUL(p, LOGISTIC(p)) or HARD_SWISH(p), p
// read by those ops alone. Sets p and the ops (-1 for none); None when e is
// not made so.
Op::Epilogue swishMaking(const Model& model, const Subgraph& subgraph, const TensorUse& use, const std::vector<int>& readerCount, int e,
                         int& p, std::array<int, 2>& ops) {
    using namespace schema;
    ops = {-1, -1};
    const int made = use.producer[static_cast<size_t>(e)];
    if (made < 0 || !isStaticFloat(subgraph, e)) return Op::Epilogue::None;
    const Op& last = subgraph.ops[static_cast<size_t>(made)];
    if (isPlainOp(model, last, BuiltinOperator_HARD_SWISH, 1) && last.inputs[0] >= 0) {
        p = last.inputs[0];
        if (use.reader[static_cast<size_t>(p)] != made || !isStaticFloat(subgraph, p) || shapeOf(subgraph, p) != shapeOf(subgraph, e))
            return Op::Epilogue::None;
        ops = {made, -1};
        return Op::Epilogue::HardSwish;
    }
    if (!isPlainOp(model, last, BuiltinOperator_MUL, 2) || !hasNoActivation(last) || last.inputs[0] < 0 || last.inputs[1] < 0)
        return Op::Epilogue::None;
    for (int side = 0; side < 2; ++side) {
        const int s = last.inputs[static_cast<size_t>(side)], candidate = last.inputs[static_cast<size_t>(1 - side)];
        const int l = use.producer[static_cast<size_t>(s)];
        if (l < 0 || candidate == s || use.reader[static_cast<size_t>(s)] != made) continue;
        const Op& logistic = subgraph.ops[static_cast<size_t>(l)];
        if (!isPlainOp(model, logistic, BuiltinOperator_LOGISTIC, 1) || logistic.inputs[0] != candidate || !readsPair(last, candidate, s) ||
            readerCount[static_cast<size_t>(candidate)] != 2 || !isStaticFloat(subgraph, candidate) || !isStaticFloat(subgraph, s) ||
            shapeOf(subgraph, candidate) != shapeOf(subgraph, e) || shapeOf(subgraph, s) != shapeOf(subgraph, e))
            continue;
        p = candidate;
        ops = {l, made};
        return Op::Epilogue::Swish;
    }
    return Op::Epilogue::None;
}

}  // namespace

int expansionFeeding(const Model& model, const Subgraph& subgraph, const TensorUse& use, size_t o) {
    const Op& depthwise = subgraph.ops[o];
    const int e = depthwise.inputs.empty() ? -1 : depthwise.inputs[0];
    if (e < 0 || use.reader[static_cast<size_t>(e)] != static_cast<int>(o) || !isStaticFloat(subgraph, e) || depthwise.outputs.empty() ||
        !isStaticFloat(subgraph, depthwise.outputs[0]))
        return -1;
    const int c = use.producer[static_cast<size_t>(e)];
    return isExpansion(model, subgraph, c, e) ? c : -1;
}

void takeExpansion(Op& fusedOp, const Op& expansion) {
    const int x = expansion.inputs[0], filter = expansion.inputs[1];
    const int expansionBias = expansion.inputs.size() > 2 ? expansion.inputs[2] : -1;
    if (fusedOp.fusedSeparableBlock) {
        fusedOp.inputs[0] = x;
        fusedOp.inputs.resize(6, -1);  // input 5: the tensor added, or -1
        fusedOp.inputs.push_back(filter);
        fusedOp.inputs.push_back(expansionBias);
    } else {
        fusedOp.inputs = {x, fusedOp.inputs[1], fusedOp.inputs.size() > 2 ? fusedOp.inputs[2] : -1, filter, expansionBias};
    }
    fusedOp.fusedExpansion = true;
    fusedOp.expansionActivation = activationAfter(expansion, expansion.options->builtin_options_as_Conv2DOptions()->fused_activation_function());
}

int fuseExpansions(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                   std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    TensorUse use = tensorUse(subgraph);
    // How many ops read each tensor, a subgraph output counting as one more.
    std::vector<int> readerCount(subgraph.tensors.size(), 0);
    for (const Op& op : subgraph.ops)
        for (int input : op.inputs)
            if (input >= 0) ++readerCount[static_cast<size_t>(input)];
    for (int output : subgraph.outputs)
        if (output >= 0) ++readerCount[static_cast<size_t>(output)];
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        const Op& depthwise = subgraph.ops[o];
        // A plain depthwise, or one a separable block fusion took.
        const bool block = depthwise.fusedSeparableBlock && !depthwise.fusedExpansion && !depthwise.fused &&
                           model.opCode(depthwise).builtin == BuiltinOperator_DEPTHWISE_CONV_2D && depthwise.inputs.size() >= 5;
        if ((!block && !isUntouched(model, depthwise, BuiltinOperator_DEPTHWISE_CONV_2D)) || depthwise.inputs.size() < 2) continue;
        int c = expansionFeeding(model, subgraph, use, o);
        Op::Epilogue swish = Op::Epilogue::None;
        std::array<int, 2> swishOps{-1, -1};
        const int e = depthwise.inputs[0];
        if (c < 0 && !block && e >= 0 && use.reader[static_cast<size_t>(e)] == static_cast<int>(o) && !depthwise.outputs.empty() &&
            isStaticFloat(subgraph, depthwise.outputs[0])) {
            int p = -1;
            swish = swishMaking(model, subgraph, use, readerCount, e, p, swishOps);
            if (swish != Op::Epilogue::None && isExpansion(model, subgraph, use.producer[static_cast<size_t>(p)], p))
                c = use.producer[static_cast<size_t>(p)];
        }
        if (c < 0) continue;
        Op fusedOp = depthwise;
        takeExpansion(fusedOp, subgraph.ops[static_cast<size_t>(c)]);
        fusedOp.expansionEpilogue = swish;
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[o], assignment[static_cast<size_t>(c)]}, chosen);
        if (!kernel) continue;
        folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment, {c, swishOps[0], swishOps[1]});
    }
    return folded;
}

}  // namespace litestudio

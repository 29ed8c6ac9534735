#include "core/runtime/swish_fusion.h"

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// Op `at` rewritten to write `output` through `epilogue`, placed where it
// is with `absorbed` folded away, when its accelerator has a kernel for
// that: how many ops were folded (0 when none).
int foldEpilogue(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels, std::vector<const Accelerator*>& assignment,
                 TensorUse& use, size_t at, Op::Epilogue epilogue, int output, std::initializer_list<int> absorbed) {
    Op fusedOp = subgraph.ops[at];
    fusedOp.outputs = {output};
    fusedOp.fusedEpilogue = epilogue;
    const Accelerator* chosen = nullptr;
    const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[at]}, chosen);
    if (!kernel) return 0;
    use.producer[static_cast<size_t>(output)] = static_cast<int>(at);
    return placeFusedOp(subgraph, at, std::move(fusedOp), kernel, chosen, kernels, assignment, absorbed);
}

}  // namespace

int fuseSwishes(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels, std::vector<const Accelerator*>& assignment) {
    TensorUse use = tensorUse(subgraph);
    // Readers of each tensor, up to two (the pattern needs exactly LOGISTIC and MUL).
    std::vector<std::vector<int>> readers(subgraph.tensors.size());
    for (size_t o = 0; o < subgraph.ops.size(); ++o)
        for (int input : subgraph.ops[o].inputs)
            if (input >= 0 && readers[static_cast<size_t>(input)].size() < 3) readers[static_cast<size_t>(input)].push_back(static_cast<int>(o));
    std::vector<bool> isOutput(subgraph.tensors.size(), false);
    for (int output : subgraph.outputs)
        if (output >= 0) isOutput[static_cast<size_t>(output)] = true;
    int folded = 0;
    // HARD_SWISH (MobileNetV3's) after a convolution whose result only it reads.
    for (size_t h = 0; h < subgraph.ops.size(); ++h) {
        const Op& hardSwish = subgraph.ops[h];
        if (!isPlainOp(model, hardSwish, schema::BuiltinOperator_HARD_SWISH, 1) || hardSwish.inputs[0] < 0) continue;
        const int p = hardSwish.inputs[0], c = use.producer[static_cast<size_t>(p)];
        if (c < 0 || use.reader[static_cast<size_t>(p)] != static_cast<int>(h) || !isStaticFloat(subgraph, p) ||
            !isStaticFloat(subgraph, hardSwish.outputs[0]) || shapeOf(subgraph, hardSwish.outputs[0]) != shapeOf(subgraph, p) ||
            !takesFusedEpilogue(model, subgraph.ops[static_cast<size_t>(c)]))
            continue;
        folded += foldEpilogue(model, subgraph, kernels, assignment, use, static_cast<size_t>(c), Op::Epilogue::HardSwish,
                               hardSwish.outputs[0], {static_cast<int>(h)});
    }
    for (size_t l = 0; l < subgraph.ops.size(); ++l) {
        const Op& logistic = subgraph.ops[l];
        if (!isPlainOp(model, logistic, schema::BuiltinOperator_LOGISTIC, 1) || logistic.inputs[0] < 0) continue;
        const int p = logistic.inputs[0], s = logistic.outputs[0];
        const int c = use.producer[static_cast<size_t>(p)];
        const int m = use.reader[static_cast<size_t>(s)];
        if (c < 0 || m < 0 || isOutput[static_cast<size_t>(p)] || readers[static_cast<size_t>(p)].size() != 2) continue;
        const Op& mul = subgraph.ops[static_cast<size_t>(m)];
        if (!isPlainOp(model, mul, schema::BuiltinOperator_MUL, 2) || !hasNoActivation(mul) ||
            !((mul.inputs[0] == p && mul.inputs[1] == s) || (mul.inputs[0] == s && mul.inputs[1] == p)))
            continue;
        const auto& pReaders = readers[static_cast<size_t>(p)];
        if (!((pReaders[0] == static_cast<int>(l) && pReaders[1] == m) || (pReaders[0] == m && pReaders[1] == static_cast<int>(l)))) continue;
        if (!isStaticFloat(subgraph, p) || !isStaticFloat(subgraph, s) || !isStaticFloat(subgraph, mul.outputs[0]) ||
            shapeOf(subgraph, s) != shapeOf(subgraph, p) || shapeOf(subgraph, mul.outputs[0]) != shapeOf(subgraph, p))
            continue;
        const int output = mul.outputs[0];
        const int intoProducer = takesFusedEpilogue(model, subgraph.ops[static_cast<size_t>(c)])
                                     ? foldEpilogue(model, subgraph, kernels, assignment, use, static_cast<size_t>(c), Op::Epilogue::Swish,
                                                    output, {static_cast<int>(l), m})
                                     : 0;
        // Its producer cannot apply it (XNNPACK's convolutions): the LOGISTIC
        // computes x * sigmoid(x) in one pass instead, and the MUL goes.
        folded += intoProducer > 0 ? intoProducer
                                   : foldEpilogue(model, subgraph, kernels, assignment, use, l, Op::Epilogue::Swish, output, {m});
    }
    return folded;
}

}  // namespace litestudio

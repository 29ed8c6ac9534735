#include "core/runtime/swish_fusion.h"

#include <array>

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
    const std::vector<int> readerCount = readerCounts(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        const Op& last = subgraph.ops[o];
        if (last.fused || last.outputs.size() != 1) continue;
        const int output = last.outputs[0];
        int p = -1;
        std::array<int, 2> ops{};
        const Op::Epilogue swish = swishMaking(model, subgraph, use, readerCount, output, p, ops);
        if (swish == Op::Epilogue::None) continue;
        const int c = use.producer[static_cast<size_t>(p)];
        if (c < 0) continue;
        const int intoProducer = takesFusedEpilogue(model, subgraph.ops[static_cast<size_t>(c)])
                                     ? foldEpilogue(model, subgraph, kernels, assignment, use, static_cast<size_t>(c), swish, output,
                                                    {ops[0], ops[1]})
                                     : 0;
        // Its producer cannot apply it (XNNPACK's convolutions): the LOGISTIC
        // computes x * sigmoid(x) in one pass instead, and the MUL goes. A
        // HARD_SWISH stays as it is.
        if (intoProducer == 0 && swish == Op::Epilogue::Swish)
            folded += foldEpilogue(model, subgraph, kernels, assignment, use, static_cast<size_t>(ops[0]), Op::Epilogue::Swish, output, {ops[1]});
        folded += intoProducer;
    }
    return folded;
}

}  // namespace litestudio

#include "core/runtime/channel_major_layout.h"

namespace litestudio {

namespace {

// Where a fused separable block takes the tensor it adds (Op::fusedSeparableBlock).
constexpr size_t kBlockResidual = 5;

}  // namespace

void markChannelMajorTensors(const Subgraph& subgraph, const std::vector<const KernelDef*>& kernels, std::vector<RuntimeTensor>& tensors) {
    const size_t count = subgraph.tensors.size();
    std::vector<int> producer(count, -1);
    std::vector<bool> open(count, true);  // no reader or writer has ruled it out
    for (int t : subgraph.inputs) open[static_cast<size_t>(t)] = false;
    for (int t : subgraph.outputs) open[static_cast<size_t>(t)] = false;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        const Op& op = subgraph.ops[o];
        if (op.fused || op.folded) continue;
        const KernelDef* kernel = kernels[o];
        for (size_t i = 0; i < op.inputs.size(); ++i) {
            const int t = op.inputs[i];
            if (t >= 0 && (!kernel || !kernel->readsChannelMajor || !kernel->readsChannelMajor(op, i))) open[static_cast<size_t>(t)] = false;
        }
        for (size_t i = 0; i < op.outputs.size(); ++i) {
            const int t = op.outputs[i];
            if (t < 0) continue;
            producer[static_cast<size_t>(t)] = static_cast<int>(o);
            if (i != 0 || !kernel || !kernel->writesChannelMajor) open[static_cast<size_t>(t)] = false;
        }
    }
    for (size_t t = 0; t < count; ++t) {
        const Tensor& tensor = subgraph.tensors[t];
        if (producer[t] < 0 || tensor.isConstant() || tensor.isVariable || tensor.type != DataType::Float32 || tensor.shape.size() != 4)
            open[t] = false;
    }
    // An op adds its residual in its output's layout: where one of the two
    // could not go channel-major, neither does.
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t o = 0; o < subgraph.ops.size(); ++o) {
            const Op& op = subgraph.ops[o];
            if (op.fused || op.folded || !op.fusedSeparableBlock || !op.fusedResidual || op.inputs.size() <= kBlockResidual ||
                op.outputs.empty())
                continue;
            const int residual = op.inputs[kBlockResidual], output = op.outputs[0];
            if (residual < 0 || output < 0) continue;
            if (open[static_cast<size_t>(residual)] != open[static_cast<size_t>(output)]) {
                open[static_cast<size_t>(residual)] = open[static_cast<size_t>(output)] = false;
                changed = true;
            }
        }
    }
    for (size_t t = 0; t < count; ++t) tensors[t].channelMajor = open[t];
}

}  // namespace litestudio

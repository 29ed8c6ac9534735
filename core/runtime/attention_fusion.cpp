#include "core/runtime/attention_fusion.h"

#include <cstring>

#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

struct TensorUse {
    std::vector<int> producer;  // op index, -1 for inputs and constants
    std::vector<int> reader;    // the only reading op, -1 for none, -2 for several (or a subgraph output)
};

TensorUse tensorUse(const Subgraph& subgraph) {
    TensorUse use{std::vector<int>(subgraph.tensors.size(), -1), std::vector<int>(subgraph.tensors.size(), -1)};
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        for (int input : subgraph.ops[o].inputs)
            if (input >= 0) {
                int& reader = use.reader[static_cast<size_t>(input)];
                reader = reader == -1 ? static_cast<int>(o) : -2;
            }
        for (int output : subgraph.ops[o].outputs)
            if (output >= 0) use.producer[static_cast<size_t>(output)] = static_cast<int>(o);
    }
    for (int output : subgraph.outputs)
        if (output >= 0) use.reader[static_cast<size_t>(output)] = -2;
    return use;
}

bool isFloat(const Subgraph& subgraph, int tensor) {
    if (tensor < 0) return false;
    const Tensor& t = subgraph.tensors[static_cast<size_t>(tensor)];
    return t.type == DataType::Float32 && !t.hasDynamicShape() && t.elementCount() >= 0;
}

bool plainOp(const Model& model, const Op& op, int32_t builtin, size_t inputs) {
    return !op.fused && !op.folded && model.opCode(op).builtin == builtin && op.inputs.size() == inputs &&
           op.outputs.size() == 1 && op.outputs[0] >= 0 && op.fusedActivation < 0;
}

// The single op reading `tensor` if it is a plain `builtin`, else -1.
int onlyReader(const Model& model, const Subgraph& subgraph, const TensorUse& use, int tensor, int32_t builtin, size_t inputs) {
    int reader = use.reader[static_cast<size_t>(tensor)];
    if (reader < 0 || !plainOp(model, subgraph.ops[static_cast<size_t>(reader)], builtin, inputs)) return -1;
    return reader;
}

bool hasNoActivation(const Op& op) {
    return op.options && reference::binaryActivation(*op.options) == schema::ActivationFunctionType_NONE;
}

std::vector<int32_t> batchDims(const Tensor& tensor) {
    return std::vector<int32_t>(tensor.shape.begin(), tensor.shape.end() - 2);
}

}  // namespace

int fuseAttention(const Model& model, Subgraph& subgraph, const std::vector<const KernelDef*>& kernels) {
    TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        Op& scoresOp = subgraph.ops[o];
        if (!kernels[o] || !kernels[o]->fusesAttention || !plainOp(model, scoresOp, schema::BuiltinOperator_BATCH_MATMUL, 2))
            continue;
        const auto* scoresOptions = scoresOp.options ? scoresOp.options->builtin_options_as_BatchMatMulOptions() : nullptr;
        if (!scoresOptions || scoresOptions->adj_x() || !scoresOptions->adj_y()) continue;
        int q = scoresOp.inputs[0], k = scoresOp.inputs[1], scores = scoresOp.outputs[0];
        if (!isFloat(subgraph, q) || !isFloat(subgraph, k) || !isFloat(subgraph, scores)) continue;

        // Optional scale: MUL by a float scalar constant.
        int scale = -1, scaled = scores;
        int mulOp = onlyReader(model, subgraph, use, scores, schema::BuiltinOperator_MUL, 2);
        if (mulOp >= 0) {
            const Op& mul = subgraph.ops[static_cast<size_t>(mulOp)];
            int other = mul.inputs[0] == scores ? mul.inputs[1] : mul.inputs[0];
            if (other < 0 || !hasNoActivation(mul)) continue;
            const Tensor& factor = subgraph.tensors[static_cast<size_t>(other)];
            if (factor.type != DataType::Float32 || !factor.isConstant() || factor.elementCount() != 1 || factor.data.size() < 4)
                continue;
            scale = other;
            scaled = mul.outputs[0];
        }
        int addOp = onlyReader(model, subgraph, use, scaled, schema::BuiltinOperator_ADD, 2);
        if (addOp < 0 || !hasNoActivation(subgraph.ops[static_cast<size_t>(addOp)])) continue;
        const Op& add = subgraph.ops[static_cast<size_t>(addOp)];
        int mask = add.inputs[0] == scaled ? add.inputs[1] : add.inputs[0];
        int masked = add.outputs[0];
        int softmaxOp = onlyReader(model, subgraph, use, masked, schema::BuiltinOperator_SOFTMAX, 1);
        if (softmaxOp < 0) continue;
        const Op& softmax = subgraph.ops[static_cast<size_t>(softmaxOp)];
        const auto* softmaxOptions = softmax.options ? softmax.options->builtin_options_as_SoftmaxOptions() : nullptr;
        if (softmaxOptions && softmaxOptions->beta() != 1.0f) continue;
        int probabilities = softmax.outputs[0];
        int contextOp = onlyReader(model, subgraph, use, probabilities, schema::BuiltinOperator_BATCH_MATMUL, 2);
        if (contextOp < 0) continue;
        const Op& contextMatmul = subgraph.ops[static_cast<size_t>(contextOp)];
        const auto* contextOptions =
            contextMatmul.options ? contextMatmul.options->builtin_options_as_BatchMatMulOptions() : nullptr;
        if (contextMatmul.inputs[0] != probabilities || (contextOptions && (contextOptions->adj_x() || contextOptions->adj_y())))
            continue;
        int v = contextMatmul.inputs[1], context = contextMatmul.outputs[0];
        if (!isFloat(subgraph, mask) || !isFloat(subgraph, v) || !isFloat(subgraph, context) || !isFloat(subgraph, masked) ||
            !isFloat(subgraph, scaled) || !isFloat(subgraph, probabilities))
            continue;

        // Shapes: q [..., M, D], k [..., N, D], v [..., N, Dv] with the same
        // batch dimensions; every intermediate [..., M, N]; one mask matrix.
        const Tensor& qt = subgraph.tensors[static_cast<size_t>(q)];
        const Tensor& kt = subgraph.tensors[static_cast<size_t>(k)];
        const Tensor& vt = subgraph.tensors[static_cast<size_t>(v)];
        const Tensor& st = subgraph.tensors[static_cast<size_t>(scores)];
        if (qt.shape.size() < 2 || kt.shape.size() != qt.shape.size() || vt.shape.size() != qt.shape.size() ||
            batchDims(qt) != batchDims(kt) || batchDims(qt) != batchDims(vt))
            continue;
        int32_t rows = qt.shape[qt.shape.size() - 2], depth = qt.shape.back(), keys = kt.shape[kt.shape.size() - 2];
        if (kt.shape.back() != depth || vt.shape[vt.shape.size() - 2] != keys) continue;
        std::vector<int32_t> scoresShape = batchDims(qt);
        scoresShape.push_back(rows);
        scoresShape.push_back(keys);
        if (st.shape != scoresShape || subgraph.tensors[static_cast<size_t>(scaled)].shape != scoresShape ||
            subgraph.tensors[static_cast<size_t>(masked)].shape != scoresShape ||
            subgraph.tensors[static_cast<size_t>(probabilities)].shape != scoresShape)
            continue;
        const Tensor& maskTensor = subgraph.tensors[static_cast<size_t>(mask)];
        if (maskTensor.shape.size() < 2 || maskTensor.shape.size() > scoresShape.size() ||
            maskTensor.shape[maskTensor.shape.size() - 2] != rows || maskTensor.shape.back() != keys ||
            maskTensor.elementCount() != static_cast<int64_t>(rows) * keys)
            continue;
        // The fused op runs where the first BATCH_MATMUL did: v and the mask
        // must be ready by then.
        if (use.producer[static_cast<size_t>(v)] > static_cast<int>(o) || use.producer[static_cast<size_t>(mask)] > static_cast<int>(o))
            continue;

        scoresOp.inputs = {q, k, v, mask, scale};
        scoresOp.outputs = {context};
        scoresOp.fusedAttention = true;
        for (int absorbed : {mulOp, addOp, softmaxOp, contextOp}) {
            if (absorbed < 0) continue;
            Op& op = subgraph.ops[static_cast<size_t>(absorbed)];
            op.fused = true;
            op.inputs.clear();
            op.outputs.clear();
            ++folded;
        }
        use.producer[static_cast<size_t>(context)] = static_cast<int>(o);
    }
    return folded;
}

}  // namespace litestudio

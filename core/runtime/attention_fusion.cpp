#include "core/runtime/attention_fusion.h"

#include <cstring>

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

std::vector<int32_t> batchDims(const Tensor& tensor) {
    return std::vector<int32_t>(tensor.shape.begin(), tensor.shape.end() - 2);
}

}  // namespace

int fuseAttention(const Model& model, Subgraph& subgraph, const std::vector<const KernelDef*>& kernels) {
    TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        Op& scoresOp = subgraph.ops[o];
        if (!kernels[o] || !kernels[o]->fusesAttention || !isPlainOp(model, scoresOp, schema::BuiltinOperator_BATCH_MATMUL, 2))
            continue;
        const auto* scoresOptions = scoresOp.options ? scoresOp.options->builtin_options_as_BatchMatMulOptions() : nullptr;
        if (!scoresOptions || scoresOptions->adj_x() || !scoresOptions->adj_y()) continue;
        int q = scoresOp.inputs[0], k = scoresOp.inputs[1], scores = scoresOp.outputs[0];
        if (!isStaticFloat(subgraph, q) || !isStaticFloat(subgraph, k) || !isStaticFloat(subgraph, scores)) continue;

        // Optional scale: MUL by a float scalar constant.
        int scale = -1, scaled = scores;
        int mulOp = onlyPlainReader(model, subgraph, use, scores, schema::BuiltinOperator_MUL, 2);
        if (mulOp >= 0) {
            const Op& mul = subgraph.ops[static_cast<size_t>(mulOp)];
            int other = mul.inputs[0] == scores ? mul.inputs[1] : mul.inputs[0];
            if (other < 0 || !hasNoActivation(mul)) continue;
            if (!isConstantFloat(subgraph, other, 1)) continue;
            scale = other;
            scaled = mul.outputs[0];
        }
        int addOp = onlyPlainReader(model, subgraph, use, scaled, schema::BuiltinOperator_ADD, 2);
        if (addOp < 0 || !hasNoActivation(subgraph.ops[static_cast<size_t>(addOp)])) continue;
        const Op& add = subgraph.ops[static_cast<size_t>(addOp)];
        int mask = add.inputs[0] == scaled ? add.inputs[1] : add.inputs[0];
        int masked = add.outputs[0];
        int softmaxOp = onlyPlainReader(model, subgraph, use, masked, schema::BuiltinOperator_SOFTMAX, 1);
        if (softmaxOp < 0) continue;
        const Op& softmax = subgraph.ops[static_cast<size_t>(softmaxOp)];
        const auto* softmaxOptions = softmax.options ? softmax.options->builtin_options_as_SoftmaxOptions() : nullptr;
        if (softmaxOptions && softmaxOptions->beta() != 1.0f) continue;
        int probabilities = softmax.outputs[0];
        int contextOp = onlyPlainReader(model, subgraph, use, probabilities, schema::BuiltinOperator_BATCH_MATMUL, 2);
        if (contextOp < 0) continue;
        const Op& contextMatmul = subgraph.ops[static_cast<size_t>(contextOp)];
        const auto* contextOptions =
            contextMatmul.options ? contextMatmul.options->builtin_options_as_BatchMatMulOptions() : nullptr;
        if (contextMatmul.inputs[0] != probabilities || (contextOptions && (contextOptions->adj_x() || contextOptions->adj_y())))
            continue;
        int v = contextMatmul.inputs[1], context = contextMatmul.outputs[0];
        if (!isStaticFloat(subgraph, mask) || !isStaticFloat(subgraph, v) || !isStaticFloat(subgraph, context) || !isStaticFloat(subgraph, masked) ||
            !isStaticFloat(subgraph, scaled) || !isStaticFloat(subgraph, probabilities))
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
        folded += absorbOps(subgraph, {mulOp, addOp, softmaxOp, contextOp});
        use.producer[static_cast<size_t>(context)] = static_cast<int>(o);
    }
    return folded;
}

}  // namespace litestudio

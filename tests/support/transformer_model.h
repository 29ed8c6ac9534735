#pragma once
// A decoder-only transformer's graph shape (RMS norms, q/k/v projections,
// rope, attention with a mask every layer reads, gated feed-forward,
// residual adds) with tiny tensors: what an LLM's .tflite looks like to the
// graph view, without its weights. About 40 ops per layer.

#include <cstdint>
#include <string>
#include <vector>

#include "core/format/model_builder.h"

namespace litestudio::testing {

inline std::vector<uint8_t> makeTransformerLikeModel(int layers) {
    enum : int32_t { ADD = 0, FULLY_CONNECTED = 9, MUL = 18, RESHAPE = 22, SOFTMAX = 25, TRANSPOSE = 39, MEAN = 40,
                     SLICE = 65, RSQRT = 76, CONCATENATION = 2, BATCH_MATMUL = 126, GELU = 150 };
    ModelBuilder builder;
    builder.addSubgraph("main");
    std::vector<float> small(16, 0.5f);
    auto activation = [&](const std::string& name) { return builder.addTensor({name, DataType::Float32, {1, 16}}); };
    auto weight = [&](const std::string& name) { return builder.addFloatConstant(name, {4, 4}, small); };
    auto op = [&](int32_t code, std::vector<int> inputs, const std::string& name) {
        int out = activation(name);
        builder.addOp({code, {}, std::move(inputs), {out}, {}, {}, {}});
        return out;
    };
    int tokens = activation("serving_default_tokens:0");
    int mask = activation("serving_default_mask:0");
    int positions = activation("serving_default_positions:0");
    int x = op(FULLY_CONNECTED, {tokens, weight("embedder/table")}, "transformer/embedder/lookup");
    auto norm = [&](int input, const std::string& scope) {
        int squared = op(MUL, {input, input}, scope + "/square");
        int mean = op(MEAN, {squared, weight(scope + "/axis")}, scope + "/mean");
        int shifted = op(ADD, {mean, weight(scope + "/epsilon")}, scope + "/add_epsilon");
        int inverse = op(RSQRT, {shifted}, scope + "/rsqrt");
        int scaled = op(MUL, {input, inverse}, scope + "/normalize");
        return op(MUL, {scaled, weight(scope + "/scale")}, scope + "/mul_scale");
    };
    auto rope = [&](int input, const std::string& scope) {
        int first = op(SLICE, {input, weight(scope + "/begin0"), weight(scope + "/size")}, scope + "/slice_first");
        int second = op(SLICE, {input, weight(scope + "/begin1"), weight(scope + "/size")}, scope + "/slice_second");
        int cos = op(MUL, {first, positions}, scope + "/mul_cos");
        int sin = op(MUL, {second, positions}, scope + "/mul_sin");
        return op(CONCATENATION, {cos, sin}, scope + "/concat");
    };
    for (int layer = 0; layer < layers; ++layer) {
        std::string scope = "transformer/layer_" + std::to_string(layer);
        int normed = norm(x, scope + "/pre_attention_norm");
        std::string attention = scope + "/attention";
        int q = op(FULLY_CONNECTED, {normed, weight(attention + "/q_einsum/w")}, attention + "/q_einsum");
        int k = op(FULLY_CONNECTED, {normed, weight(attention + "/k_einsum/w")}, attention + "/k_einsum");
        int v = op(FULLY_CONNECTED, {normed, weight(attention + "/v_einsum/w")}, attention + "/v_einsum");
        q = op(RESHAPE, {q, weight(attention + "/q_shape")}, attention + "/q_reshape");
        k = op(RESHAPE, {k, weight(attention + "/k_shape")}, attention + "/k_reshape");
        v = op(RESHAPE, {v, weight(attention + "/v_shape")}, attention + "/v_reshape");
        q = rope(q, attention + "/q_rope");
        k = rope(k, attention + "/k_rope");
        k = op(TRANSPOSE, {k, weight(attention + "/k_perm")}, attention + "/k_transpose");
        int logits = op(BATCH_MATMUL, {q, k}, attention + "/qk");
        logits = op(MUL, {logits, weight(attention + "/query_scale")}, attention + "/scale");
        logits = op(ADD, {logits, mask}, attention + "/mask");
        int probabilities = op(SOFTMAX, {logits}, attention + "/softmax");
        int context = op(BATCH_MATMUL, {probabilities, v}, attention + "/pv");
        context = op(TRANSPOSE, {context, weight(attention + "/out_perm")}, attention + "/out_transpose");
        context = op(RESHAPE, {context, weight(attention + "/out_shape")}, attention + "/out_reshape");
        int projected = op(FULLY_CONNECTED, {context, weight(attention + "/out_einsum/w")}, attention + "/out_einsum");
        x = op(ADD, {x, projected}, scope + "/attention_residual");
        normed = norm(x, scope + "/pre_ffw_norm");
        std::string mlp = scope + "/mlp";
        int gate = op(FULLY_CONNECTED, {normed, weight(mlp + "/gating_einsum/w0")}, mlp + "/gate");
        int up = op(FULLY_CONNECTED, {normed, weight(mlp + "/gating_einsum/w1")}, mlp + "/up");
        gate = op(GELU, {gate}, mlp + "/gelu");
        int hidden = op(MUL, {gate, up}, mlp + "/gated");
        int down = op(FULLY_CONNECTED, {hidden, weight(mlp + "/linear/w")}, mlp + "/down");
        x = op(ADD, {x, down}, scope + "/ffw_residual");
    }
    x = norm(x, "transformer/final_norm");
    int logits = op(FULLY_CONNECTED, {x, weight("transformer/embedder/decode")}, "transformer/decode");
    builder.setInputs({tokens, mask, positions});
    builder.setOutputs({logits});
    return builder.finish();
}

}  // namespace litestudio::testing

#include "genai/gemma_builder.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include <zip.h>

#include <cstdio>
#include <filesystem>

#include "core/format/litertlm_writer.h"
#include "core/format/model_builder.h"
#include "core/kernels/reference/blockwise_fully_connected.h"
#include "core/kernels/reference/kernel_util.h"
#include "genai/tokenizer.h"
#include "genai/tokenizer_training.h"
#include "tflite_schema_generated.h"

namespace litestudio::genai {

namespace {

using namespace schema;

// Weights both signatures read: the buffer each was written to (and its
// quantization), so the second subgraph points at the first one's bytes.
struct SharedWeights {
    struct Entry {
        int buffer = 0;
        std::vector<float> scales;  // int8 weights: one per output row
        int scalesBuffer = -1;      // int4 weights: the block scales' buffer
    };
    std::map<std::string, Entry> byName;
    std::vector<float> embedding;   // the input embedding's values, for the int8 logits table
    int buffers = 0;                // buffers written so far (the builder numbers them in order)
};

// Builds one signature's subgraph. Weights are created once (by the first
// subgraph) and shared by buffer index with the second.
class GraphWriter {
public:
    GraphWriter(litestudio::ModelBuilder& builder, const GemmaConfig& config, int tokens, SharedWeights& shared)
        : b_(builder), c_(config), t_(tokens), shared_(shared), buffers_(shared.buffers) {}

    int activation(const std::string& name, DataType type, std::vector<int32_t> shape) {
        return b_.addTensor({name, type, std::move(shape)});
    }
    int constant(const std::string& name, DataType type, std::vector<int32_t> shape, std::vector<uint8_t> data) {
        ++buffers_;
        return b_.addTensor({name, type, std::move(shape), {}, std::move(data)});
    }
    int ints(const std::string& name, const std::vector<int32_t>& values) {
        std::vector<uint8_t> bytes(values.size() * 4);
        std::memcpy(bytes.data(), values.data(), bytes.size());
        return constant(name, DataType::Int32, {static_cast<int32_t>(values.size())}, std::move(bytes));
    }
    int floats(const std::string& name, const std::vector<float>& values, std::vector<int32_t> shape = {}) {
        if (shape.empty()) shape = {static_cast<int32_t>(values.size())};
        return constant(name, DataType::Float32, std::move(shape), bytesOf(values));
    }
    // A weight both signatures read: created once, then shared by buffer.
    int weight(const std::string& name, std::vector<int32_t> shape, const std::function<std::vector<float>()>& make) {
        auto found = shared_.byName.find(name);
        if (found != shared_.byName.end()) {
            TensorSpec spec{name, DataType::Float32, std::move(shape)};
            spec.bufferOverride = found->second.buffer;
            return b_.addTensor(std::move(spec));
        }
        int tensor = floats(name, make(), std::move(shape));
        shared_.byName[name] = {buffers_, {}};
        return tensor;
    }
    // The same as int8 with one symmetric scale per output row (axis 0),
    // as LiteRT's dynamic-range quantization writes FC weights.
    int weightInt8(const std::string& name, std::vector<int32_t> shape, const std::function<std::vector<float>()>& make) {
        auto found = shared_.byName.find(name);
        TensorSpec spec{name, DataType::Int8, shape};
        spec.quantizedDimension = 0;
        if (found != shared_.byName.end()) {
            spec.bufferOverride = found->second.buffer;
            spec.scales = found->second.scales;
            spec.zeroPoints.assign(spec.scales.size(), 0);
            return b_.addTensor(std::move(spec));
        }
        std::vector<float> values = make();
        int64_t rows = shape[0], columns = static_cast<int64_t>(values.size()) / std::max(rows, int64_t(1));
        std::vector<uint8_t> bytes(values.size());
        for (int64_t r = 0; r < rows; ++r) {
            float largest = 0;
            for (int64_t c = 0; c < columns; ++c) largest = std::max(largest, std::abs(values[static_cast<size_t>(r * columns + c)]));
            float scale = largest > 0 ? largest / 127.0f : 1.0f;
            spec.scales.push_back(scale);
            for (int64_t c = 0; c < columns; ++c) {
                float q = std::round(values[static_cast<size_t>(r * columns + c)] / scale);
                bytes[static_cast<size_t>(r * columns + c)] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f)));
            }
        }
        spec.zeroPoints.assign(spec.scales.size(), 0);
        spec.data = std::move(bytes);
        ++buffers_;
        shared_.byName[name] = {buffers_, spec.scales};
        return b_.addTensor(std::move(spec));
    }
    // Blockwise int4 (LiteRT's BlockwiseQuantization): blocks of 32 inputs
    // with one symmetric float16 scale each, in a [rows, depth / 32] tensor;
    // values packed two per byte, the first in the low nibble. Scales are
    // chosen bfloat16-exact, since XNNPACK keeps them as bfloat16.
    int weightInt4(const std::string& name, std::vector<int32_t> shape, const std::function<std::vector<float>()>& make) {
        constexpr int kBlock = 32;
        auto found = shared_.byName.find(name);
        int64_t rows = shape[0], columns = shape[1], blocks = columns / kBlock;
        std::vector<int32_t> scaleShape{static_cast<int32_t>(rows), static_cast<int32_t>(blocks)};
        TensorSpec spec{name, DataType::Int4, shape};
        spec.blockSize = kBlock;
        if (found != shared_.byName.end()) {
            TensorSpec scales{name + "/block_scales", DataType::Float16, scaleShape};
            scales.bufferOverride = found->second.scalesBuffer;
            spec.blockScalesTensor = b_.addTensor(std::move(scales));
            spec.bufferOverride = found->second.buffer;
            return b_.addTensor(std::move(spec));
        }
        std::vector<float> values = make();
        std::vector<uint8_t> packed(static_cast<size_t>((rows * columns + 1) / 2), 0);
        std::vector<uint8_t> scaleBytes(static_cast<size_t>(rows * blocks) * 2);
        for (int64_t block = 0; block < rows * blocks; ++block) {
            const float* v = values.data() + block * kBlock;
            float largest = 0;
            for (int i = 0; i < kBlock; ++i) largest = std::max(largest, std::abs(v[i]));
            float scale = largest > 0 ? reference::roundToBfloat16(largest / 7.0f) : 1.0f;
            uint16_t half = reference::floatToHalf(scale);
            std::memcpy(scaleBytes.data() + block * 2, &half, 2);
            scale = reference::halfToFloat(half);
            for (int i = 0; i < kBlock; ++i) {
                int q = static_cast<int>(std::clamp(std::round(v[i] / scale), -8.0f, 7.0f));
                int64_t index = block * kBlock + i;
                packed[static_cast<size_t>(index / 2)] |= static_cast<uint8_t>((q & 0xf) << (index % 2 ? 4 : 0));
            }
        }
        spec.blockScalesTensor = constant(name + "/block_scales", DataType::Float16, scaleShape, std::move(scaleBytes));
        int scalesBuffer = buffers_;
        spec.data = std::move(packed);
        ++buffers_;
        shared_.byName[name] = {buffers_, {}, scalesBuffer};
        return b_.addTensor(std::move(spec));
    }
    int weightOf(GemmaWeights type, const std::string& name, std::vector<int32_t> shape,
                 const std::function<std::vector<float>()>& make) {
        switch (type) {
        case GemmaWeights::Int8: return weightInt8(name, std::move(shape), make);
        case GemmaWeights::Int4: return weightInt4(name, std::move(shape), make);
        default: return weight(name, std::move(shape), make);
        }
    }
    SharedWeights& shared() { return shared_; }
    int op(int32_t code, std::vector<int> inputs, const std::string& name, DataType type, std::vector<int32_t> shape,
           OptionsWriter options = {}) {
        int out = activation(name, type, std::move(shape));
        b_.addOp({code, {}, std::move(inputs), {out}, std::move(options), {}, {}});
        return out;
    }
    int reshape(int input, const std::string& name, const std::vector<int32_t>& shape) {
        return op(BuiltinOperator_RESHAPE, {input, ints(name + "/shape", shape)}, name, DataType::Float32, shape);
    }
    int transpose(int input, const std::string& name, const std::vector<int32_t>& perm, const std::vector<int32_t>& shape) {
        return op(BuiltinOperator_TRANSPOSE, {input, ints(name + "/perm", perm)}, name, DataType::Float32, shape);
    }
    int fullyConnected(int input, int weights, const std::string& name, std::vector<int32_t> shape) {
        return op(BuiltinOperator_FULLY_CONNECTED, {input, weights, -1}, name, DataType::Float32, std::move(shape),
                  [](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::make_pair(static_cast<uint8_t>(BuiltinOptions_FullyConnectedOptions),
                                            CreateFullyConnectedOptions(fbb).o);
                  });
    }
    // Gemma's RMS norm over the last axis: x * rsqrt(mean(x^2) + eps) * (1 + w).
    int rmsNorm(int x, const std::string& name, std::vector<int32_t> shape) {
        int axis = static_cast<int>(shape.size()) - 1;
        std::vector<int32_t> reduced = shape;
        reduced.back() = 1;
        int squared = op(BuiltinOperator_MUL, {x, x}, name + "/square", DataType::Float32, shape);
        int mean = op(BuiltinOperator_MEAN, {squared, ints(name + "/axis", {axis})}, name + "/mean", DataType::Float32,
                      reduced, [](flatbuffers::FlatBufferBuilder& fbb) {
                          return std::make_pair(static_cast<uint8_t>(BuiltinOptions_ReducerOptions),
                                                CreateReducerOptions(fbb, true).o);
                      });
        int shifted = op(BuiltinOperator_ADD, {mean, floats(name + "/epsilon", {1e-6f})}, name + "/add_epsilon",
                         DataType::Float32, reduced);
        int inverse = op(BuiltinOperator_RSQRT, {shifted}, name + "/rsqrt", DataType::Float32, reduced);
        int normed = op(BuiltinOperator_MUL, {x, inverse}, name + "/normalize", DataType::Float32, shape);
        int dim = shape.back();
        int scale = weight(name + "/scale", {dim}, [&] { return values(dim, 0.1f, 1.0f); });
        return op(BuiltinOperator_MUL, {normed, scale}, name + "/mul_scale", DataType::Float32, shape);
    }
    // Deterministic values in [offset - spread, offset + spread).
    std::vector<float> values(int64_t count, float spread, float offset = 0.0f) {
        std::vector<float> out(static_cast<size_t>(count));
        for (float& v : out) {
            state_ ^= state_ << 13;
            state_ ^= state_ >> 17;
            state_ ^= state_ << 5;
            v = offset + spread * (static_cast<float>(state_ >> 8) / 16777216.0f * 2.0f - 1.0f);  // 24 bits to [-1, 1)
        }
        return out;
    }
    void reseed(uint32_t seed) { state_ = seed * 2654435761u + 1; }

    const GemmaConfig& config() const { return c_; }
    int tokens() const { return t_; }

private:
    litestudio::ModelBuilder& b_;
    const GemmaConfig& c_;
    int t_;
    SharedWeights& shared_;
    int& buffers_;
    uint32_t state_ = 1;
};

// Rotary tables: position p, frequency pair i: angle p * base^(-2i/D),
// each half of the head dimension gets the same angles ("rotate half").
std::vector<float> ropeTable(const GemmaConfig& c, float base, bool sine) {
    std::vector<float> table(static_cast<size_t>(c.context) * static_cast<size_t>(c.headDim));
    int half = c.headDim / 2;
    for (int p = 0; p < c.context; ++p)
        for (int i = 0; i < c.headDim; ++i) {
            double frequency = std::pow(static_cast<double>(base), -2.0 * (i % half) / c.headDim);
            double angle = p * frequency;
            table[static_cast<size_t>(p * c.headDim + i)] = static_cast<float>(sine ? std::sin(angle) : std::cos(angle));
        }
    return table;
}

void writeSignature(litestudio::ModelBuilder& builder, const GemmaConfig& c, int tokensPerCall, bool decode,
                    SharedWeights& shared, int subgraphIndex) {
    std::string key = decode ? "decode" : "prefill_" + std::to_string(tokensPerCall);
    builder.addSubgraph(key);
    GraphWriter g(builder, c, tokensPerCall, shared);
    g.reseed(c.seed);
    const int T = tokensPerCall, d = c.modelDim, H = c.heads, KVH = c.kvHeads, D = c.headDim, C = c.context;
    const int G = H / KVH;
    const DataType F = DataType::Float32;

    int tokens = g.activation("tokens", DataType::Int32, {1, T});
    int inputPos = g.activation("input_pos", DataType::Int32, {T});
    std::vector<int> kIn, vIn, kOut, vOut;
    for (int l = 0; l < c.layers; ++l) {
        kIn.push_back(g.activation("kv_cache_k_" + std::to_string(l), F, {1, KVH, C, D}));
        vIn.push_back(g.activation("kv_cache_v_" + std::to_string(l), F, {1, KVH, C, D}));
    }

    auto gatherOptions = [](int axis) {
        return [axis](flatbuffers::FlatBufferBuilder& fbb) {
            return std::make_pair(static_cast<uint8_t>(BuiltinOptions_GatherOptions), CreateGatherOptions(fbb, axis).o);
        };
    };
    int table = g.weight("transformer/embedder/input_embedding", {c.vocabulary, d}, [&] {
        auto values = g.values(static_cast<int64_t>(c.vocabulary) * d, 1.0f / std::sqrt(static_cast<float>(d)));
        if (c.weights != GemmaWeights::Float32) g.shared().embedding = values;
        return values;
    });
    int embedded = g.op(BuiltinOperator_GATHER, {table, tokens}, "transformer/embedder/lookup", F, {1, T, d}, gatherOptions(0));
    int x = g.reshape(embedded, "transformer/embedder/flatten", {T, d});
    x = g.op(BuiltinOperator_MUL, {x, g.floats("transformer/embedder/scale", {std::sqrt(static_cast<float>(d))})},
             "transformer/embedder/scaled", F, {T, d});

    // Positions: rotary angles for each token, the cache slot to write, and
    // which cache slots each query may see.
    // Rotary angles per token for each rope base the layers use.
    auto rotaryTables = [&](float base, const std::string& name) {
        int cosTable = g.floats(name + "/cos", ropeTable(c, base, false), {C, D});
        int sinTable = g.floats(name + "/sin", ropeTable(c, base, true), {C, D});
        int cosRows = g.op(BuiltinOperator_GATHER, {cosTable, inputPos}, name + "/cos_rows", F, {T, D}, gatherOptions(0));
        int sinRows = g.op(BuiltinOperator_GATHER, {sinTable, inputPos}, name + "/sin_rows", F, {T, D}, gatherOptions(0));
        return std::make_pair(g.reshape(cosRows, name + "/cos_per_head", {T, 1, D}),
                              g.reshape(sinRows, name + "/sin_per_head", {T, 1, D}));
    };
    auto localRope = rotaryTables(c.ropeBase, "transformer/rope");
    auto globalRope = c.globalRopeBase == c.ropeBase ? localRope : rotaryTables(c.globalRopeBase, "transformer/global_rope");
    int firstPos = g.op(BuiltinOperator_SLICE, {inputPos, g.ints("transformer/cache/begin", {0}), g.ints("transformer/cache/size", {1})},
                        "transformer/cache/first_position", DataType::Int32, {1});
    int cacheStart = g.op(BuiltinOperator_CONCATENATION,
                          {g.ints("transformer/cache/leading", {0, 0}), firstPos, g.ints("transformer/cache/trailing", {0})},
                          "transformer/cache/start", DataType::Int32, {4}, [](flatbuffers::FlatBufferBuilder& fbb) {
                              return std::make_pair(static_cast<uint8_t>(BuiltinOptions_ConcatenationOptions),
                                                    CreateConcatenationOptions(fbb, 0).o);
                          });
    std::vector<int32_t> slots(static_cast<size_t>(C));
    for (int i = 0; i < C; ++i) slots[static_cast<size_t>(i)] = i;
    int slotRow = g.constant("transformer/mask/slots", DataType::Int32, {1, C},
                             std::vector<uint8_t>(reinterpret_cast<uint8_t*>(slots.data()), reinterpret_cast<uint8_t*>(slots.data()) + 4 * C));
    int posColumn = g.op(BuiltinOperator_RESHAPE, {inputPos, g.ints("transformer/mask/column_shape", {T, 1})},
                         "transformer/mask/positions", DataType::Int32, {T, 1});
    int visible = g.op(BuiltinOperator_LESS_EQUAL, {slotRow, posColumn}, "transformer/mask/visible", DataType::Bool, {T, C});
    auto maskFrom = [&](int allowed, const std::string& name) {
        int values = g.op(BuiltinOperator_SELECT_V2,
                          {allowed, g.floats(name + "/open", {0.0f}), g.floats(name + "/closed", {-1e9f})}, name + "/values", F, {T, C});
        values = g.op(BuiltinOperator_TILE, {values, g.ints(name + "/per_group", {G, 1})}, name + "/tiled", F, {G * T, C});
        return g.reshape(values, name + "/for_heads", {1, 1, G * T, C});
    };
    int globalMask = maskFrom(visible, "transformer/mask");
    int localMask = globalMask;
    if (c.slidingWindow > 0 && c.slidingWindow < C) {
        // Local layers also hide slots more than `slidingWindow` behind.
        int oldest = g.op(BuiltinOperator_SUB, {posColumn, g.ints("transformer/local_mask/window", {c.slidingWindow})},
                          "transformer/local_mask/oldest", DataType::Int32, {T, 1});
        int recent = g.op(BuiltinOperator_GREATER, {slotRow, oldest}, "transformer/local_mask/recent", DataType::Bool, {T, C});
        int allowed = g.op(BuiltinOperator_LOGICAL_AND, {visible, recent}, "transformer/local_mask/visible", DataType::Bool, {T, C});
        localMask = maskFrom(allowed, "transformer/local_mask");
    }

    auto rotateHalf = [&](int input, const std::string& name, int heads, std::pair<int, int> rope) {
        auto [cosines, sines] = rope;
        int half = D / 2;
        int first = g.op(BuiltinOperator_SLICE, {input, g.ints(name + "/begin0", {0, 0, 0}), g.ints(name + "/size0", {T, heads, half})},
                         name + "/first_half", F, {T, heads, half});
        int second = g.op(BuiltinOperator_SLICE, {input, g.ints(name + "/begin1", {0, 0, half}), g.ints(name + "/size1", {T, heads, half})},
                          name + "/second_half", F, {T, heads, half});
        int negated = g.op(BuiltinOperator_NEG, {second}, name + "/negate", F, {T, heads, half});
        int rotated = g.op(BuiltinOperator_CONCATENATION, {negated, first}, name + "/rotated", F, {T, heads, D},
                           [](flatbuffers::FlatBufferBuilder& fbb) {
                               return std::make_pair(static_cast<uint8_t>(BuiltinOptions_ConcatenationOptions),
                                                     CreateConcatenationOptions(fbb, 2).o);
                           });
        int withCos = g.op(BuiltinOperator_MUL, {input, cosines}, name + "/mul_cos", F, {T, heads, D});
        int withSin = g.op(BuiltinOperator_MUL, {rotated, sines}, name + "/mul_sin", F, {T, heads, D});
        return g.op(BuiltinOperator_ADD, {withCos, withSin}, name + "/rotary", F, {T, heads, D});
    };
    auto projection = [&](const std::string& name, int out, int in) {
        auto make = [&] { return g.values(static_cast<int64_t>(out) * in, 1.0f / std::sqrt(static_cast<float>(in))); };
        return g.weightOf(c.weights, name, {out, in}, make);
    };

    for (int l = 0; l < c.layers; ++l) {
        std::string layer = "transformer/layer_" + std::to_string(l);
        bool global = (l + 1) % std::max(c.globalEvery, 1) == 0;
        auto rope = global ? globalRope : localRope;
        int mask = global ? globalMask : localMask;
        std::string attention = layer + "/attention";
        int h = g.rmsNorm(x, layer + "/pre_attention_norm", {T, d});
        int q = g.fullyConnected(h, projection(attention + "/q_einsum/w", H * D, d), attention + "/q", {T, H * D});
        int k = g.fullyConnected(h, projection(attention + "/k_einsum/w", KVH * D, d), attention + "/k", {T, KVH * D});
        int v = g.fullyConnected(h, projection(attention + "/v_einsum/w", KVH * D, d), attention + "/v", {T, KVH * D});
        q = g.reshape(q, attention + "/q_heads", {T, H, D});
        k = g.reshape(k, attention + "/k_heads", {T, KVH, D});
        v = g.reshape(v, attention + "/v_heads", {T, KVH, D});
        q = g.rmsNorm(q, attention + "/query_norm", {T, H, D});
        k = g.rmsNorm(k, attention + "/key_norm", {T, KVH, D});
        q = rotateHalf(q, attention + "/q_rope", H, rope);
        k = rotateHalf(k, attention + "/k_rope", KVH, rope);
        // [T, heads, D] -> [1, heads, T, D], the cache's layout.
        q = g.transpose(q, attention + "/q_by_head", {1, 0, 2}, {H, T, D});
        q = g.reshape(q, attention + "/q_groups", {1, KVH, G * T, D});
        k = g.transpose(k, attention + "/k_by_head", {1, 0, 2}, {KVH, T, D});
        k = g.reshape(k, attention + "/k_block", {1, KVH, T, D});
        v = g.transpose(v, attention + "/v_by_head", {1, 0, 2}, {KVH, T, D});
        v = g.reshape(v, attention + "/v_block", {1, KVH, T, D});
        int kCache = g.op(BuiltinOperator_DYNAMIC_UPDATE_SLICE, {kIn[static_cast<size_t>(l)], k, cacheStart},
                          "kv_cache_k_" + std::to_string(l) + "_updated", F, {1, KVH, C, D});
        int vCache = g.op(BuiltinOperator_DYNAMIC_UPDATE_SLICE, {vIn[static_cast<size_t>(l)], v, cacheStart},
                          "kv_cache_v_" + std::to_string(l) + "_updated", F, {1, KVH, C, D});
        kOut.push_back(kCache);
        vOut.push_back(vCache);
        int scores = g.op(BuiltinOperator_BATCH_MATMUL, {q, kCache}, attention + "/qk", F, {1, KVH, G * T, C},
                          [](flatbuffers::FlatBufferBuilder& fbb) {
                              return std::make_pair(static_cast<uint8_t>(BuiltinOptions_BatchMatMulOptions),
                                                    CreateBatchMatMulOptions(fbb, false, true).o);
                          });
        scores = g.op(BuiltinOperator_MUL, {scores, g.floats(attention + "/query_scale", {1.0f / std::sqrt(static_cast<float>(D))})},
                      attention + "/scaled", F, {1, KVH, G * T, C});
        scores = g.op(BuiltinOperator_ADD, {scores, mask}, attention + "/masked", F, {1, KVH, G * T, C});
        int probabilities = g.op(BuiltinOperator_SOFTMAX, {scores}, attention + "/softmax", F, {1, KVH, G * T, C},
                                 [](flatbuffers::FlatBufferBuilder& fbb) {
                                     return std::make_pair(static_cast<uint8_t>(BuiltinOptions_SoftmaxOptions),
                                                           CreateSoftmaxOptions(fbb, 1.0f).o);
                                 });
        int context = g.op(BuiltinOperator_BATCH_MATMUL, {probabilities, vCache}, attention + "/pv", F, {1, KVH, G * T, D},
                           [](flatbuffers::FlatBufferBuilder& fbb) {
                               return std::make_pair(static_cast<uint8_t>(BuiltinOptions_BatchMatMulOptions),
                                                     CreateBatchMatMulOptions(fbb).o);
                           });
        context = g.reshape(context, attention + "/context_heads", {H, T, D});
        context = g.transpose(context, attention + "/context_by_token", {1, 0, 2}, {T, H, D});
        context = g.reshape(context, attention + "/context", {T, H * D});
        int attended = g.fullyConnected(context, projection(attention + "/attn_vec_einsum/w", d, H * D), attention + "/out", {T, d});
        attended = g.rmsNorm(attended, layer + "/post_attention_norm", {T, d});
        x = g.op(BuiltinOperator_ADD, {x, attended}, layer + "/attention_residual", F, {T, d});

        std::string mlp = layer + "/mlp";
        h = g.rmsNorm(x, layer + "/pre_ffw_norm", {T, d});
        int gate = g.fullyConnected(h, projection(mlp + "/gating_einsum/w0", c.hiddenDim, d), mlp + "/gate", {T, c.hiddenDim});
        int up = g.fullyConnected(h, projection(mlp + "/gating_einsum/w1", c.hiddenDim, d), mlp + "/up", {T, c.hiddenDim});
        gate = g.op(BuiltinOperator_GELU, {gate}, mlp + "/gelu", F, {T, c.hiddenDim}, [](flatbuffers::FlatBufferBuilder& fbb) {
            return std::make_pair(static_cast<uint8_t>(BuiltinOptions_GeluOptions), CreateGeluOptions(fbb, true).o);
        });
        int gated = g.op(BuiltinOperator_MUL, {gate, up}, mlp + "/gated", F, {T, c.hiddenDim});
        int down = g.fullyConnected(gated, projection(mlp + "/linear/w", d, c.hiddenDim), mlp + "/down", {T, d});
        down = g.rmsNorm(down, layer + "/post_ffw_norm", {T, d});
        x = g.op(BuiltinOperator_ADD, {x, down}, layer + "/ffw_residual", F, {T, d});
    }

    std::vector<std::pair<std::string, int>> inputs = {{"tokens", tokens}, {"input_pos", inputPos}};
    std::vector<std::pair<std::string, int>> outputs;
    for (int l = 0; l < c.layers; ++l) {
        inputs.emplace_back("kv_cache_k_" + std::to_string(l), kIn[static_cast<size_t>(l)]);
        inputs.emplace_back("kv_cache_v_" + std::to_string(l), vIn[static_cast<size_t>(l)]);
        outputs.emplace_back("kv_cache_k_" + std::to_string(l), kOut[static_cast<size_t>(l)]);
        outputs.emplace_back("kv_cache_v_" + std::to_string(l), vOut[static_cast<size_t>(l)]);
    }
    if (decode) {
        x = g.rmsNorm(x, "transformer/final_norm", {T, d});
        // Quantized models read the logits from a quantized copy of the embedding
        // (a lookup reads one row; the logits read all of them every token).
        int logitsTable = c.weights == GemmaWeights::Float32
                              ? table
                              : g.weightOf(c.weights, "transformer/embedder/output_embedding", {c.vocabulary, d},
                                           [&] { return g.shared().embedding; });
        int logits = g.fullyConnected(x, logitsTable, "transformer/decode_logits", {T, c.vocabulary});
        logits = g.reshape(logits, "logits", {1, T, c.vocabulary});
        outputs.insert(outputs.begin(), {"logits", logits});
    }
    std::vector<int> inputIndices, outputIndices;
    for (const auto& [name, index] : inputs) inputIndices.push_back(index);
    for (const auto& [name, index] : outputs) outputIndices.push_back(index);
    builder.setInputs(inputIndices);
    builder.setOutputs(outputIndices);
    builder.addSignature({key, subgraphIndex, inputs, outputs});
}

}  // namespace

Expected<GemmaWeights> parseGemmaWeights(const std::string& name) {
    if (name == "float32") return GemmaWeights::Float32;
    if (name == "int8") return GemmaWeights::Int8;
    if (name == "int4") return GemmaWeights::Int4;
    return Status::error("unknown weight type '" + name + "' (float32, int8 or int4)");
}

Expected<GemmaConfig> gemmaPreset(const std::string& name) {
    GemmaConfig config;
    config.preset = name;
    if (name == "tiny") return config;
    if (name == "270m" || name == "1b") {
        bool small = name == "270m";
        config.vocabulary = 262144;
        config.modelDim = small ? 640 : 1152;
        config.layers = small ? 18 : 26;
        config.heads = 4;
        config.kvHeads = 1;
        config.headDim = 256;
        config.hiddenDim = small ? 2048 : 6912;
        config.context = small ? 1024 : 1280;
        config.prefillLength = 128;
        config.ropeBase = 10000.0f;
        config.globalRopeBase = 1000000.0f;
        config.slidingWindow = 512;
        config.globalEvery = 6;
        return config;
    }
    return Status::error("make-model: unknown preset '" + name + "' (this build makes: tiny, 270m, 1b)");
}

namespace {
Expected<GemmaConfig> configWithTokenizer(const std::string& preset, const std::string& tokenizerModel) {
    auto config = gemmaPreset(preset);
    if (!config) return config.status();
    auto tokenizer = Tokenizer::fromSentencePiece(
        {reinterpret_cast<const uint8_t*>(tokenizerModel.data()), tokenizerModel.size()}, "generated tokenizer");
    if (!tokenizer) return tokenizer.status();
    config->vocabulary = std::max(config->vocabulary, (*tokenizer)->vocabularySize());
    return config;
}
}  // namespace

std::vector<uint8_t> buildGemmaModel(const GemmaConfig& config, GemmaSignatures signatures) {
    litestudio::ModelBuilder builder;
    builder.setDescription("LiteStudio generated Gemma 3 architecture, preset " + config.preset + ", random weights");
    SharedWeights shared;
    bool prefill = signatures != GemmaSignatures::DecodeOnly, decode = signatures != GemmaSignatures::PrefillOnly;
    if (prefill) writeSignature(builder, config, config.prefillLength, false, shared, 0);
    if (decode) writeSignature(builder, config, 1, true, shared, prefill ? 1 : 0);
    return builder.finish();
}

namespace {
// What every bundle starts from: the tokenizer, and the preset sized to it.
struct GeneratedParts {
    std::string tokenizerModel;
    GemmaConfig config;
};

Expected<GeneratedParts> generateParts(const std::string& preset, const std::string& tokenizerText, GemmaWeights weights) {
    auto tokenizerModel = trainSentencePiece(tokenizerText, 512);
    if (!tokenizerModel) return tokenizerModel.status();
    auto config = configWithTokenizer(preset, *tokenizerModel);
    if (!config) return config.status();
    config->weights = weights;
    return GeneratedParts{std::move(*tokenizerModel), *config};
}
}  // namespace

Expected<GemmaConfig> gemmaConfigFor(const std::string& preset, const std::string& tokenizerText, GemmaWeights weights) {
    auto parts = generateParts(preset, tokenizerText, weights);
    if (!parts) return parts.status();
    return parts->config;
}

Expected<std::vector<uint8_t>> buildGemmaBundle(const std::string& preset, const std::string& tokenizerText,
                                                GemmaWeights weights) {
    auto parts = generateParts(preset, tokenizerText, weights);
    if (!parts) return parts.status();
    std::vector<uint8_t> model = buildGemmaModel(parts->config);
    std::vector<LitertlmSection> sections;
    sections.push_back({LitertlmSectionType::SentencePieceTokenizer,
                        std::vector<uint8_t>(parts->tokenizerModel.begin(), parts->tokenizerModel.end()), {}});
    sections.push_back({LitertlmSectionType::TFLiteModel, std::move(model), {{"model_type", "tf_lite_prefill_decode"}}});
    return writeLitertlmBundle({{"Authors", "LiteStudio make-model"}, {"preset", preset}}, sections);
}

Status writeGemmaTask(const std::string& path, const std::string& preset, const std::string& tokenizerText,
                      GemmaWeights weights) {
    auto parts = generateParts(preset, tokenizerText, weights);
    if (!parts) return parts.status();
    const std::string& tokenizerModel = parts->tokenizerModel;
    std::vector<uint8_t> model = buildGemmaModel(parts->config);
    // Written next to the target and renamed, so a failure leaves no half bundle.
    std::string temporary = path + ".partial";
    std::remove(temporary.c_str());
    int error = 0;
    zip_t* archive = zip_open(temporary.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (!archive) return Status::error(path + ": cannot create the zip (libzip error " + std::to_string(error) + ")");
    auto add = [&](const char* name, const void* data, size_t size, bool store) {
        zip_source_t* source = zip_source_buffer(archive, data, size, 0);
        if (!source) return false;
        zip_int64_t index = zip_file_add(archive, name, source, ZIP_FL_OVERWRITE);
        if (index < 0) {
            zip_source_free(source);
            return false;
        }
        // The model is stored so that readers could map it in place.
        return !store || zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) == 0;
    };
    bool ok = add("TF_LITE_PREFILL_DECODE", model.data(), model.size(), true) &&
              add("TOKENIZER_MODEL", tokenizerModel.data(), tokenizerModel.size(), false);
    if (!ok || zip_close(archive) != 0) {
        std::string message = zip_strerror(archive);
        zip_discard(archive);
        std::remove(temporary.c_str());
        return Status::error(path + ": cannot write the zip (" + message + ")");
    }
    std::error_code renamed;
    std::filesystem::rename(temporary, path, renamed);
    if (renamed) return Status::error(path + ": cannot write (" + renamed.message() + ")");
    return Status::ok();
}

}  // namespace litestudio::genai

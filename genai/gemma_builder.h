#pragma once
// Writes a Gemma-3-architecture LLM bundle with deterministic random
// weights, so the real loading and generation code is tested end to end
// without downloading Gemma: embedding scaled by sqrt(d), per layer an
// RMS norm (Gemma's 1 + w), grouped-query attention with q/k norms, rotary
// positions and a KV cache updated in place, post-attention norm, a gated
// tanh-GELU MLP with its own pre/post norms, residual adds, a final norm and
// logits from the tied embedding.
//
// The graph keeps the conventions of Google's Gemma 3 LiteRT exports: a
// "prefill_<T>" and a "decode" signature; inputs "tokens" [1,T] int32,
// "input_pos" [T] int32 and "kv_cache_k_<i>"/"kv_cache_v_<i>"
// [1, kv_heads, context, head_dim]; outputs the same caches, and for decode
// "logits" [1,1,vocab]. The attention mask is computed in the graph from
// input_pos.

#include <cstdint>
#include <string>
#include <vector>

#include "core/support/status.h"

namespace litestudio::genai {

// How the projections and the logits table are stored. Int8: one symmetric
// scale per output row (LiteRT's dynamic-range quantization). Int4: blocks
// of 32 inputs with one scale each (float16), LiteRT's blockwise
// quantization as in Google's int4 Gemma exports; 4.5 bits per weight, the
// same as llama.cpp's Q4_0.
enum class GemmaWeights { Float32, Int8, Int4 };
Expected<GemmaWeights> parseGemmaWeights(const std::string& name);

struct GemmaConfig {
    std::string preset;
    int vocabulary = 0;      // logits; at least the tokenizer's pieces (Gemma 3 has 262,144)
    int modelDim = 64;
    int layers = 2;
    int heads = 4;
    int kvHeads = 1;
    int headDim = 16;
    int hiddenDim = 128;
    int context = 128;       // KV cache length
    int prefillLength = 32;  // tokens one prefill call takes
    float ropeBase = 10000.0f;        // local (sliding-window) layers
    float globalRopeBase = 10000.0f;  // global layers (Gemma 3: 1e6)
    int slidingWindow = 0;            // 0: every layer sees the whole cache
    int globalEvery = 1;              // layer l is global when (l + 1) % globalEvery == 0
    GemmaWeights weights = GemmaWeights::Float32;
    uint32_t seed = 1;
};

// "tiny": 2 layers, d 64, 4 heads / 1 KV head of 16, context 128, the
// tokenizer's 512 pieces. "270m" and "1b": Gemma 3's shapes (262,144
// logits, 5 sliding-window layers of 512 to each global one, rope bases 10k
// and 1M), float32 weights, context 1024 / 1280.
Expected<GemmaConfig> gemmaPreset(const std::string& name);

// The .tflite: both signatures with their weights shared, or one of them
// alone (the golden cases run one signature each through LiteRT.js).
enum class GemmaSignatures { Both, PrefillOnly, DecodeOnly };
std::vector<uint8_t> buildGemmaModel(const GemmaConfig& config, GemmaSignatures signatures = GemmaSignatures::Both);

// The preset with the vocabulary of the tokenizer trained on `tokenizerText`
// (what buildGemmaBundle puts in the bundle).
Expected<GemmaConfig> gemmaConfigFor(const std::string& preset, const std::string& tokenizerText, GemmaWeights weights = GemmaWeights::Float32);

// A complete .litertlm: tokenizer trained on `tokenizerText`, the model,
// and the bundle's metadata.
Expected<std::vector<uint8_t>> buildGemmaBundle(const std::string& preset, const std::string& tokenizerText,
                                                GemmaWeights weights = GemmaWeights::Float32);

// The same model and tokenizer as a MediaPipe .task bundle (a zip with
// TF_LITE_PREFILL_DECODE and TOKENIZER_MODEL), written to `path`.
Status writeGemmaTask(const std::string& path, const std::string& preset, const std::string& tokenizerText,
                      GemmaWeights weights = GemmaWeights::Float32);

}  // namespace litestudio::genai

#pragma once
// Picks the next token from a row of logits: greedy, or sampled with
// temperature, top-k and top-p (nucleus). The random stream is our own
// (splitmix64), not <random>'s distributions, whose output differs between
// standard libraries: a seed gives the same text everywhere.

#include <cstdint>
#include <span>
#include <vector>

namespace litestudio::genai {

struct SamplerOptions {
    float temperature = 1.0f;  // <= 0: greedy
    int topK = 0;              // 0: no limit
    float topP = 1.0f;         // 1: no limit
    uint64_t seed = 0;
};

class Sampler {
public:
    explicit Sampler(SamplerOptions options);
    // Index of the chosen logit; -1 for an empty row. NaN logits never win.
    int sample(std::span<const float> logits);
    const SamplerOptions& options() const { return options_; }

private:
    double uniform();  // [0, 1)
    SamplerOptions options_;
    uint64_t state_;
    std::vector<std::pair<float, int>> candidates_;
};

}  // namespace litestudio::genai

#include "genai/sampler.h"

#include <algorithm>
#include <cmath>

namespace litestudio::genai {

Sampler::Sampler(SamplerOptions options) : options_(options), state_(options.seed) {}

double Sampler::uniform() {
    // splitmix64
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

int Sampler::sample(std::span<const float> logits) {
    if (logits.empty()) return -1;
    bool greedy = options_.temperature <= 0 || options_.topK == 1;
    if (greedy) {
        int best = -1;
        for (size_t i = 0; i < logits.size(); ++i)
            if (!std::isnan(logits[i]) && (best < 0 || logits[i] > logits[static_cast<size_t>(best)])) best = static_cast<int>(i);
        return best;
    }
    candidates_.clear();
    for (size_t i = 0; i < logits.size(); ++i)
        if (!std::isnan(logits[i])) candidates_.emplace_back(logits[i], static_cast<int>(i));
    if (candidates_.empty()) return -1;
    // Highest first; ties keep the lower id first so order never depends on the sort.
    auto higher = [](const std::pair<float, int>& a, const std::pair<float, int>& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    };
    size_t keep = candidates_.size();
    if (options_.topK > 0) keep = std::min(keep, static_cast<size_t>(options_.topK));
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<long>(keep), candidates_.end(), higher);
    candidates_.resize(keep);
    // Softmax with temperature, from the largest logit for stability.
    double top = candidates_.front().first;
    std::vector<double> weights(keep);
    double total = 0;
    for (size_t i = 0; i < keep; ++i) {
        weights[i] = std::exp((candidates_[i].first - top) / options_.temperature);
        total += weights[i];
    }
    if (options_.topP < 1.0f) {
        double cumulative = 0;
        size_t nucleus = keep;
        for (size_t i = 0; i < keep; ++i) {
            cumulative += weights[i] / total;
            if (cumulative >= options_.topP) {
                nucleus = i + 1;
                break;
            }
        }
        keep = std::max<size_t>(nucleus, 1);
        total = 0;
        for (size_t i = 0; i < keep; ++i) total += weights[i];
    }
    double target = uniform() * total;
    for (size_t i = 0; i < keep; ++i) {
        target -= weights[i];
        if (target < 0) return candidates_[i].second;
    }
    return candidates_[keep - 1].second;
}

}  // namespace litestudio::genai

// Sampling: greedy takes the largest logit, a seed repeats itself, top-k
// and top-p keep only what they should, temperature sharpens or flattens.

#include "genai/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace litestudio::genai;

TEST(Sampler, GreedyTakesTheLargestAndSkipsNaN) {
    Sampler greedy({0.0f});
    std::vector<float> logits = {0.5f, 3.0f, NAN, 2.9f};
    EXPECT_EQ(greedy.sample(logits), 1);
    Sampler topOne({1.0f, 1});
    EXPECT_EQ(topOne.sample(logits), 1);
    EXPECT_EQ(greedy.sample({}), -1);
}

TEST(Sampler, TheSameSeedGivesTheSameTokens) {
    std::vector<float> logits = {1.0f, 1.2f, 0.8f, 1.1f, 0.9f};
    auto draw = [&](uint64_t seed) {
        Sampler sampler({1.0f, 0, 1.0f, seed});
        std::vector<int> picks;
        for (int i = 0; i < 50; ++i) picks.push_back(sampler.sample(logits));
        return picks;
    };
    EXPECT_EQ(draw(7), draw(7));
    EXPECT_NE(draw(7), draw(8));
}

TEST(Sampler, TopKAndTopPKeepOnlyTheHead) {
    // Probabilities at temperature 1: softmax(log(0.5), log(0.3), log(0.15), log(0.05)).
    std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
    std::map<int, int> topK, topP;
    Sampler k({1.0f, 2, 1.0f, 1}), p({1.0f, 0, 0.75f, 1});
    for (int i = 0; i < 4000; ++i) {
        ++topK[k.sample(logits)];
        ++topP[p.sample(logits)];
    }
    std::printf("top-k 2: %d %d %d %d; top-p 0.75: %d %d %d %d\n", topK[0], topK[1], topK[2], topK[3], topP[0], topP[1],
                topP[2], topP[3]);
    EXPECT_EQ(topK[2] + topK[3], 0);
    EXPECT_EQ(topP[2] + topP[3], 0);  // 0.5 + 0.3 reaches 0.75
    // Within the head, the odds stay 5:3.
    EXPECT_NEAR(static_cast<double>(topK[0]) / 4000, 0.625, 0.03);
    EXPECT_NEAR(static_cast<double>(topP[0]) / 4000, 0.625, 0.03);
}

TEST(Sampler, TemperatureSharpensAndFlattens) {
    std::vector<float> logits = {1.0f, 0.0f};
    auto shareOfFirst = [&](float temperature) {
        Sampler sampler({temperature, 0, 1.0f, 3});
        int first = 0;
        for (int i = 0; i < 4000; ++i) first += sampler.sample(logits) == 0;
        return first / 4000.0;
    };
    double cold = shareOfFirst(0.25f), normal = shareOfFirst(1.0f), hot = shareOfFirst(4.0f);
    std::printf("share of the larger logit: T=0.25 %.3f, T=1 %.3f, T=4 %.3f\n", cold, normal, hot);
    EXPECT_NEAR(normal, 1 / (1 + std::exp(-1.0)), 0.03);  // 0.731
    EXPECT_NEAR(cold, 1 / (1 + std::exp(-4.0)), 0.02);    // 0.982
    EXPECT_NEAR(hot, 1 / (1 + std::exp(-0.25)), 0.03);    // 0.562
}

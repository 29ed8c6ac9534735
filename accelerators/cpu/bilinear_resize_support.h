#pragma once
// What the two bilinear resize kernels (float, and 8-bit of one
// quantization) share: the samples of every output column, and per thread
// the last two input rows resampled to the output's width.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/kernels/kernel.h"
#include "core/kernels/reference/bilinear_sampling.h"

namespace litestudio::cpu {

// Output column o's sample at [o], worked out once: every input row a
// thread resamples reads them all (the sampler's float steps and rounding
// cost more than blending a pixel of 8 channels). Empty for an empty output,
// or one too large for memory, which never runs: a hostile size of 2^30
// columns must not allocate a table for them.
std::vector<reference::BilinearSample> columnSamples(const RuntimeTensor& output, const reference::BilinearSampler& sampler);

// The last two input rows one thread resampled, kept while the output rows
// it works through (in order) read them again.
template <typename Value>
struct ResampledRows {
    std::vector<Value> rows[2];
    int64_t source[2] = {-1, -1};  // image * inH + y of each, -1: none

    // Another op or another run: other data.
    void forget() { source[0] = source[1] = -1; }

    // Input row `key` resampled (`length` values), by resample(Value*) unless
    // one slot holds it; the slot holding `keep` is not reused.
    template <typename Resample>
    const Value* get(int64_t key, int64_t keep, size_t length, Resample resample) {
        for (int i = 0; i < 2; ++i)
            if (source[i] == key) return rows[i].data();
        const int slot = source[0] == keep ? 1 : 0;
        if (rows[slot].size() < length) rows[slot].resize(length);
        resample(rows[slot].data());
        source[slot] = key;
        return rows[slot].data();
    }
};

}  // namespace litestudio::cpu

#pragma once
// Plans one memory arena for the activations of a compiled model: every
// tensor gets an offset, and tensors whose lifetimes overlap never overlap in
// memory. Greedy by size (largest first, lowest offset that fits), which is
// within a few percent of the lower bound on real graphs.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace litestudio {

struct ArenaRequest {
    size_t bytes = 0;
    int firstStep = 0;  // the step that writes it (0 for model inputs)
    int lastStep = 0;   // the last step that reads it (inclusive)
};

struct ArenaPlan {
    std::vector<size_t> offsets;  // one per request, in request order
    size_t totalBytes = 0;
    // The largest sum of simultaneously live tensors: no plan can be smaller.
    size_t lowerBoundBytes = 0;
};

constexpr size_t kArenaAlignment = 64;

ArenaPlan planArena(const std::vector<ArenaRequest>& requests);

}  // namespace litestudio

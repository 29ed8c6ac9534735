#include "core/runtime/arena_planner.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace litestudio {

namespace {
size_t alignUp(size_t value) { return (value + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }
bool overlapInTime(const ArenaRequest& a, const ArenaRequest& b) {
    return a.firstStep <= b.lastStep && b.firstStep <= a.lastStep;
}
}  // namespace

ArenaPlan planArena(const std::vector<ArenaRequest>& requests) {
    ArenaPlan plan;
    plan.offsets.assign(requests.size(), 0);
    std::vector<size_t> order(requests.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });

    std::vector<size_t> placed;
    for (size_t index : order) {
        const ArenaRequest& request = requests[index];
        size_t size = alignUp(request.bytes);
        if (size == 0) continue;
        // Busy ranges of already placed tensors alive at the same time.
        std::vector<std::pair<size_t, size_t>> busy;
        for (size_t other : placed)
            if (overlapInTime(request, requests[other]))
                busy.emplace_back(plan.offsets[other], plan.offsets[other] + alignUp(requests[other].bytes));
        std::sort(busy.begin(), busy.end());
        size_t offset = 0;
        for (const auto& [begin, end] : busy) {
            if (offset + size <= begin) break;
            offset = std::max(offset, end);
        }
        plan.offsets[index] = offset;
        plan.totalBytes = std::max(plan.totalBytes, offset + size);
        placed.push_back(index);
    }

    std::map<int, long long> delta;  // sweep over steps for the live-bytes peak
    for (const ArenaRequest& request : requests) {
        delta[request.firstStep] += static_cast<long long>(alignUp(request.bytes));
        delta[request.lastStep + 1] -= static_cast<long long>(alignUp(request.bytes));
    }
    long long live = 0;
    for (const auto& [step, change] : delta) {
        live += change;
        plan.lowerBoundBytes = std::max(plan.lowerBoundBytes, static_cast<size_t>(std::max(0LL, live)));
    }
    return plan;
}

}  // namespace litestudio

// The arena planner: no two tensors alive at once overlap, and the plan is
// near the lower bound.

#include "core/runtime/arena_planner.h"

#include <gtest/gtest.h>

namespace litestudio {
namespace {

void expectNoOverlap(const std::vector<ArenaRequest>& requests, const ArenaPlan& plan) {
    for (size_t a = 0; a < requests.size(); ++a)
        for (size_t b = a + 1; b < requests.size(); ++b) {
            bool together = requests[a].firstStep <= requests[b].lastStep && requests[b].firstStep <= requests[a].lastStep;
            bool overlap = plan.offsets[a] < plan.offsets[b] + requests[b].bytes &&
                           plan.offsets[b] < plan.offsets[a] + requests[a].bytes;
            EXPECT_FALSE(together && overlap && requests[a].bytes && requests[b].bytes) << a << " and " << b;
        }
}

TEST(ArenaPlanner, ChainReusesMemory) {
    // a -> b -> c -> d: only two tensors live at any step.
    std::vector<ArenaRequest> requests = {{1024, 0, 1}, {1024, 1, 2}, {1024, 2, 3}, {1024, 3, 4}};
    ArenaPlan plan = planArena(requests);
    expectNoOverlap(requests, plan);
    EXPECT_EQ(plan.lowerBoundBytes, 2048u);
    EXPECT_EQ(plan.totalBytes, 2048u);
    std::cout << "  planned " << plan.totalBytes << " bytes, lower bound " << plan.lowerBoundBytes << "\n";
}

TEST(ArenaPlanner, RandomGraphsStayCloseToTheBound) {
    uint32_t state = 7;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    };
    size_t planned = 0, bound = 0;
    for (int graph = 0; graph < 20; ++graph) {
        std::vector<ArenaRequest> requests;
        for (int t = 0; t < 60; ++t) {
            int first = static_cast<int>(next() % 50);
            requests.push_back({(next() % 64 + 1) * 1024, first, first + static_cast<int>(next() % 6)});
        }
        ArenaPlan plan = planArena(requests);
        expectNoOverlap(requests, plan);
        EXPECT_GE(plan.totalBytes, plan.lowerBoundBytes);
        planned += plan.totalBytes;
        bound += plan.lowerBoundBytes;
    }
    double ratio = double(planned) / double(bound);
    std::cout << "  20 random graphs: planned/lower bound = " << ratio << "\n";
    EXPECT_LT(ratio, 1.25);
}

}  // namespace
}  // namespace litestudio

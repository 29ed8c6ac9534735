// Latency statistics on lists whose answers are known.

#include <gtest/gtest.h>

#include "core/bench/statistics.h"

namespace litestudio {
namespace {

TEST(Statistics, TenKnownLatencies) {
    // 1..10 ms in shuffled order: mean 5.5, population std sqrt(8.25),
    // p50 between 5 and 6, p90 at rank 8.1 -> 9.1, p99 at 8.91 -> 9.91.
    LatencyStatistics s = computeStatistics({7, 3, 10, 1, 5, 9, 2, 8, 6, 4});
    std::cout << "  avg " << s.averageMs << " std " << s.deviationMs << " p50 " << s.p50Ms << " p90 " << s.p90Ms
              << " p99 " << s.p99Ms << "\n";
    EXPECT_EQ(s.runs, 10);
    EXPECT_DOUBLE_EQ(s.averageMs, 5.5);
    EXPECT_NEAR(s.deviationMs, 2.8722813, 1e-6);
    EXPECT_DOUBLE_EQ(s.minMs, 1);
    EXPECT_DOUBLE_EQ(s.maxMs, 10);
    EXPECT_DOUBLE_EQ(s.p50Ms, 5.5);
    EXPECT_NEAR(s.p90Ms, 9.1, 1e-12);
    EXPECT_NEAR(s.p99Ms, 9.91, 1e-12);
}

TEST(Statistics, OneRunAndNone) {
    LatencyStatistics one = computeStatistics({4.25});
    EXPECT_EQ(one.runs, 1);
    EXPECT_DOUBLE_EQ(one.p99Ms, 4.25);
    EXPECT_DOUBLE_EQ(one.deviationMs, 0);
    EXPECT_EQ(computeStatistics({}).runs, 0);
}

}  // namespace
}  // namespace litestudio

#pragma once
// Summary statistics of a list of latencies, as benchmark reports quote them.

#include <vector>

namespace litestudio {

struct LatencyStatistics {
    int runs = 0;
    double averageMs = 0, deviationMs = 0, minMs = 0, maxMs = 0;
    double p50Ms = 0, p90Ms = 0, p99Ms = 0;
};

// Standard deviation is the population one (over the runs measured);
// percentiles interpolate linearly between the two nearest ranks, so the
// p50 of an even count is the mean of the middle two.
LatencyStatistics computeStatistics(std::vector<double> milliseconds);

}  // namespace litestudio

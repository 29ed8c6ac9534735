#include "core/bench/statistics.h"

#include <algorithm>
#include <cmath>

namespace litestudio {

namespace {

double percentile(const std::vector<double>& sorted, double fraction) {
    double position = fraction * static_cast<double>(sorted.size() - 1);
    size_t below = static_cast<size_t>(std::floor(position));
    size_t above = std::min(below + 1, sorted.size() - 1);
    double weight = position - static_cast<double>(below);
    return sorted[below] * (1 - weight) + sorted[above] * weight;
}

}  // namespace

LatencyStatistics computeStatistics(std::vector<double> milliseconds) {
    LatencyStatistics result;
    if (milliseconds.empty()) return result;
    std::sort(milliseconds.begin(), milliseconds.end());
    result.runs = static_cast<int>(milliseconds.size());
    double sum = 0;
    for (double value : milliseconds) sum += value;
    result.averageMs = sum / result.runs;
    double squares = 0;
    for (double value : milliseconds) squares += (value - result.averageMs) * (value - result.averageMs);
    result.deviationMs = std::sqrt(squares / result.runs);
    result.minMs = milliseconds.front();
    result.maxMs = milliseconds.back();
    result.p50Ms = percentile(milliseconds, 0.50);
    result.p90Ms = percentile(milliseconds, 0.90);
    result.p99Ms = percentile(milliseconds, 0.99);
    return result;
}

}  // namespace litestudio

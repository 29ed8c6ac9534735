#pragma once
// What the properties panel shows about a weight tensor: min, max, mean,
// standard deviation and a histogram of its values, dequantized where the
// tensor carries per-tensor or per-channel scales.

#include <cstdint>
#include <vector>

#include "core/graph/model.h"
#include "core/support/status.h"

namespace litestudio {

struct TensorStatistics {
    int64_t count = 0;
    double min = 0;
    double max = 0;
    double mean = 0;
    double std = 0;
    int64_t zeros = 0;
    int64_t nonFinite = 0;   // NaN and infinities, left out of the rest
    bool dequantized = false;
    std::vector<int64_t> histogram;  // equal-width bins from min to max
};

// Fails for tensors without constant data and for element types without
// numbers (strings, resources, complex).
Expected<TensorStatistics> constantStatistics(const Tensor& tensor, int bins = 32);

}  // namespace litestudio

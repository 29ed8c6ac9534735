#pragma once
// Numbers from a file's flexbuffer. flexbuffers' AsInt64, AsUInt64 and
// AsFloat convert a stored double with a plain cast, undefined where it
// does not fit (a fuzzed NPU dispatch op's bytecode_offset of -7.8e274);
// these return `outOfRange` for such a double, or infinity for a float.

#include <cmath>
#include <cstdint>

#include "flatbuffers/flexbuffers.h"

namespace litestudio {

inline int64_t flexbufferInt64(const flexbuffers::Reference& value, int64_t outOfRange) {
    if (!value.IsFloat()) return value.AsInt64();
    const double number = value.AsDouble();
    return std::isfinite(number) && number >= -9.2e18 && number <= 9.2e18 ? static_cast<int64_t>(number) : outOfRange;
}

inline uint64_t flexbufferUInt64(const flexbuffers::Reference& value, uint64_t outOfRange) {
    if (!value.IsFloat()) return value.AsUInt64();
    const double number = value.AsDouble();
    return std::isfinite(number) && number > -1.0 && number <= 1.8e19 ? static_cast<uint64_t>(number) : outOfRange;
}

inline float flexbufferFloat(const flexbuffers::Reference& value) {
    const double number = value.AsDouble();
    if (std::isnan(number) || std::fabs(number) <= 3.4e38) return static_cast<float>(number);
    return number > 0 ? INFINITY : -INFINITY;
}

}  // namespace litestudio

#pragma once
// Compile-time work on weights, as LiteRT does at prepare: DENSIFY of
// sparse constants and DEQUANTIZE of float16 constants are computed once,
// their ops marked `folded`, and the results kept in `foldedData`.

#include <cstdint>
#include <vector>

#include "core/graph/model.h"

namespace litestudio {

void foldConstantWeights(Model& model, std::vector<std::vector<uint8_t>>& foldedData);

}  // namespace litestudio

#pragma once
// Compile-time work on weights, as LiteRT does at prepare: DENSIFY of
// sparse constants and DEQUANTIZE of float16 constants are computed once,
// their ops marked `folded`, and the results kept in `foldedData`.

#include <cstdint>
#include <vector>

#include "core/graph/model.h"

namespace litestudio {

void foldConstantWeights(Model& model, std::vector<std::vector<uint8_t>>& foldedData);

// Copies constants whose bytes are not 16-byte aligned in the file (a
// hostile or careless writer) into `storage`, so that kernels may read them
// as the element type they are.
void alignConstants(Model& model, std::vector<std::vector<uint8_t>>& storage);

}  // namespace litestudio

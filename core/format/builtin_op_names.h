#pragma once
#include <cstdint>
#include <string>

namespace litestudio {
// "CONV_2D" for 3, "BUILTIN_250" for codes newer than our schema.
std::string builtinOpName(int32_t builtinCode);
}  // namespace litestudio

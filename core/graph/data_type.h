#pragma once
// Element types of tensors, numbered as in the TFLite format so that a value
// read from a file converts without a table.

#include <cstdint>
#include <optional>
#include <string_view>

namespace litestudio {

enum class DataType : int8_t {
    Float32 = 0, Float16 = 1, Int32 = 2, UInt8 = 3, Int64 = 4, String = 5,
    Bool = 6, Int16 = 7, Complex64 = 8, Int8 = 9, Float64 = 10,
    Complex128 = 11, UInt64 = 12, Resource = 13, Variant = 14, UInt32 = 15,
    UInt16 = 16, Int4 = 17, BFloat16 = 18, Int2 = 19, UInt4 = 20,
    Float8E4M3 = 21, Float8E5M2 = 22,
};

constexpr int kDataTypeCount = 23;

std::optional<DataType> dataTypeFromFormat(int value);
// Lower-case names as LiteRT prints them: "float32", "int8", ...
std::string_view dataTypeName(DataType type);
// Bits one element occupies in a packed buffer; 0 for types without a fixed
// size (string, resource, variant).
int dataTypeBits(DataType type);

}  // namespace litestudio

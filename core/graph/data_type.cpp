#include "core/graph/data_type.h"

namespace litestudio {

namespace {
struct DataTypeInfo {
    std::string_view name;
    int bits;
};
constexpr DataTypeInfo kInfo[kDataTypeCount] = {
    {"float32", 32}, {"float16", 16}, {"int32", 32}, {"uint8", 8},
    {"int64", 64},   {"string", 0},   {"bool", 8},   {"int16", 16},
    {"complex64", 64}, {"int8", 8},   {"float64", 64}, {"complex128", 128},
    {"uint64", 64},  {"resource", 0}, {"variant", 0}, {"uint32", 32},
    {"uint16", 16},  {"int4", 4},     {"bfloat16", 16}, {"int2", 2},
    {"uint4", 4},    {"float8_e4m3fn", 8}, {"float8_e5m2", 8},
};
}  // namespace

std::optional<DataType> dataTypeFromFormat(int value) {
    if (value < 0 || value >= kDataTypeCount) return std::nullopt;
    return static_cast<DataType>(value);
}

std::string_view dataTypeName(DataType type) { return kInfo[static_cast<int>(type)].name; }

int dataTypeBits(DataType type) { return kInfo[static_cast<int>(type)].bits; }

}  // namespace litestudio

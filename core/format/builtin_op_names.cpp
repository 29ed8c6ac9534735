#include "core/format/builtin_op_names.h"

#include "tflite_schema_generated.h"

namespace litestudio {

std::string builtinOpName(int32_t builtinCode) {
    if (builtinCode >= static_cast<int32_t>(schema::BuiltinOperator_MIN) &&
        builtinCode <= static_cast<int32_t>(schema::BuiltinOperator_MAX)) {
        const char* name = schema::EnumNameBuiltinOperator(static_cast<schema::BuiltinOperator>(builtinCode));
        if (name && *name) return name;
    }
    return "BUILTIN_" + std::to_string(builtinCode);
}

}  // namespace litestudio

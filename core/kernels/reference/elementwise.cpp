// Binary elementwise ops with numpy broadcasting: arithmetic and comparisons.

#include <algorithm>
#include <cmath>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

using schema::BuiltinOperator;

Status prepareBinary(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 1));
    auto shape = broadcastShape(context, context.input(0).shape, context.input(1).shape);
    if (!shape) return shape.status();
    context.output(0).shape = *shape;
    return Status::ok();
}

bool isIntegerType(DataType type) {
    return type == DataType::Int32 || type == DataType::Int64 || type == DataType::Int16 ||
           ((type == DataType::UInt8 || type == DataType::Int8));
}

template <typename Function>
Status evalBinary(KernelContext& context, Function function) {
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    RuntimeTensor& out = context.output(0);
    ValueReader readA(a), readB(b);
    ValueWriter write(out);
    schema::ActivationFunctionType activation = binaryActivation(*context.op->options);
    Broadcast broadcast = makeBroadcast(out.shape, {a.shape, b.shape});
    int64_t count = out.elementCount();
    int64_t offsets[2];
    for (int64_t i = 0; i < count; ++i) {
        broadcast.offsets(i, offsets);
        write(i, applyActivation(function(readA(offsets[0]), readB(offsets[1])), activation));
    }
    return Status::ok();
}

template <BuiltinOperator Code>
Status evalArithmetic(KernelContext& context) {
    // Integer tensors without quantization compute as integers (exact, with
    // C-style truncating division where TFLite truncates).
    bool integer = isIntegerType(context.output(0).type) && !context.output(0).isQuantized();
    bool divisionByZero = false;
    Status status = evalBinary(context, [integer, &divisionByZero](double x, double y) -> double {
        bool dividing = Code == schema::BuiltinOperator_DIV || Code == schema::BuiltinOperator_FLOOR_DIV ||
                        Code == schema::BuiltinOperator_FLOOR_MOD;
        if (dividing && integer && y == 0) {
            divisionByZero = true;
            return 0;
        }
        switch (Code) {
        case schema::BuiltinOperator_ADD: return x + y;
        case schema::BuiltinOperator_SUB: return x - y;
        case schema::BuiltinOperator_MUL: return x * y;
        case schema::BuiltinOperator_DIV:
            if (integer) return y == 0 ? 0 : std::trunc(x / y);
            return x / y;
        case schema::BuiltinOperator_MAXIMUM: return std::max(x, y);
        case schema::BuiltinOperator_MINIMUM: return std::min(x, y);
        case schema::BuiltinOperator_SQUARED_DIFFERENCE: return (x - y) * (x - y);
        case schema::BuiltinOperator_POW: return std::pow(x, y);
        case schema::BuiltinOperator_FLOOR_DIV: return y == 0 ? 0 : std::floor(x / y);
        case schema::BuiltinOperator_FLOOR_MOD: {
            if (y == 0) return 0;
            double r = std::fmod(x, y);
            return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r;
        }
        case schema::BuiltinOperator_ATAN2: return std::atan2(x, y);
        case schema::BuiltinOperator_LESS: return x < y;
        case schema::BuiltinOperator_LESS_EQUAL: return x <= y;
        case schema::BuiltinOperator_GREATER: return x > y;
        case schema::BuiltinOperator_GREATER_EQUAL: return x >= y;
        case schema::BuiltinOperator_EQUAL: return x == y;
        case schema::BuiltinOperator_NOT_EQUAL: return x != y;
        case schema::BuiltinOperator_LOGICAL_AND: return (x != 0) && (y != 0);
        case schema::BuiltinOperator_LOGICAL_OR: return (x != 0) || (y != 0);
        default: return 0;
        }
    });
    LS_RETURN_IF_ERROR(status);
    // As TFLite does: integer division by zero is an error, not a value.
    if (divisionByZero) return context.error("integer division by zero");
    return Status::ok();
}

template <BuiltinOperator Code>
void add(KernelTable& table) {
    table[Code] = {prepareBinary, evalArithmetic<Code>};
}

}  // namespace

void addElementwiseKernels(KernelTable& table) {
    add<schema::BuiltinOperator_ADD>(table);
    add<schema::BuiltinOperator_SUB>(table);
    add<schema::BuiltinOperator_MUL>(table);
    add<schema::BuiltinOperator_DIV>(table);
    add<schema::BuiltinOperator_MAXIMUM>(table);
    add<schema::BuiltinOperator_MINIMUM>(table);
    add<schema::BuiltinOperator_SQUARED_DIFFERENCE>(table);
    add<schema::BuiltinOperator_POW>(table);
    add<schema::BuiltinOperator_FLOOR_DIV>(table);
    add<schema::BuiltinOperator_FLOOR_MOD>(table);
    add<schema::BuiltinOperator_ATAN2>(table);
    add<schema::BuiltinOperator_LESS>(table);
    add<schema::BuiltinOperator_LESS_EQUAL>(table);
    add<schema::BuiltinOperator_GREATER>(table);
    add<schema::BuiltinOperator_GREATER_EQUAL>(table);
    add<schema::BuiltinOperator_EQUAL>(table);
    add<schema::BuiltinOperator_NOT_EQUAL>(table);
    add<schema::BuiltinOperator_LOGICAL_AND>(table);
    add<schema::BuiltinOperator_LOGICAL_OR>(table);
}

}  // namespace litestudio::reference

// Binary elementwise ops with numpy broadcasting: arithmetic and comparisons.

#include <algorithm>
#include <cmath>
#include <cstring>

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
    makeBroadcast(out.shape, {a.shape, b.shape}).forEachRow([&](int64_t start, const int64_t* from, int64_t length, const int64_t* step) {
        for (int64_t i = 0; i < length; ++i)
            write(start + i, applyActivation(function(readA(from[0] + i * step[0]), readB(from[1] + i * step[1])), activation));
    });
    return Status::ok();
}

bool sameQuantizedType(const KernelContext& context) {
    const RuntimeTensor* tensors[3] = {&context.input(0), &context.input(1), &context.output(0)};
    DataType type = tensors[2]->type;
    if (type != DataType::Int8 && type != DataType::UInt8) return false;
    for (const RuntimeTensor* tensor : tensors)
        if (tensor->type != type || !tensor->isQuantized() || tensor->quantization->scales.size() != 1) return false;
    return true;
}

// The fixed-point sum of int8 or uint8 tensors with one scale and zero point
// each, where XNNPACK (and so LiteRT) adds and subtracts in fixed point.
std::optional<FixedPointSum> fixedPointAddSub(const KernelContext& context, bool subtract) {
    if (!sameQuantizedType(context)) return std::nullopt;
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    return fixedPointSum(a.scale(), a.zeroPoint(), b.scale(), b.zeroPoint(), context.output(0).scale(), subtract);
}

// Bit for bit what XNNPACK's quantized add computes (kernel_util.h).
template <typename Stored>
Status evalFixedPointAddSub(KernelContext& context, const FixedPointSum& sum) {
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    RuntimeTensor& out = context.output(0);
    const int32_t multiplierA = sum.multiplierA, multiplierB = sum.multiplierB, bias = sum.bias;
    const int shift = sum.shift;
    QuantizedRange range = quantizedActivationRange(out, binaryActivation(*context.op->options));
    const Stored* x = a.as<const Stored>();
    const Stored* y = b.as<const Stored>();
    Stored* target = out.as<Stored>();
    const int32_t zeroPoint = out.zeroPoint();
    auto compute = [&](int32_t left, int32_t right) {
        int32_t value = ((bias + multiplierA * left + multiplierB * right) >> shift) + zeroPoint;
        return static_cast<Stored>(std::clamp(value, range.low, range.high));
    };
    const int64_t count = out.elementCount();
    if (a.shape == out.shape && b.shape == out.shape) {  // the common residual add: one straight loop
        for (int64_t i = 0; i < count; ++i) target[i] = compute(x[i], y[i]);
        return Status::ok();
    }
    makeBroadcast(out.shape, {a.shape, b.shape}).forEachRow([&](int64_t start, const int64_t* from, int64_t length, const int64_t* step) {
        for (int64_t i = 0; i < length; ++i) target[start + i] = compute(x[from[0] + i * step[0]], y[from[1] + i * step[1]]);
    });
    return Status::ok();
}

// Quantized MUL as XNNPACK computes it: the exact integer product of the
// zero-point-free values, scaled in float32 by (a_scale * b_scale) /
// out_scale, clamped, rounded half to even.
template <typename Stored>
Status evalQuantizedMultiply(KernelContext& context) {
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    RuntimeTensor& out = context.output(0);
    const float scale = (a.scale() * b.scale()) / out.scale();
    const int32_t zeroA = a.zeroPoint(), zeroB = b.zeroPoint(), zeroOut = out.zeroPoint();
    QuantizedRange range = quantizedActivationRange(out, binaryActivation(*context.op->options));
    const float low = static_cast<float>(range.low - zeroOut), high = static_cast<float>(range.high - zeroOut);
    const Stored* x = a.as<const Stored>();
    const Stored* y = b.as<const Stored>();
    Stored* target = out.as<Stored>();
    makeBroadcast(out.shape, {a.shape, b.shape}).forEachRow([&](int64_t start, const int64_t* from, int64_t length, const int64_t* step) {
        for (int64_t i = 0; i < length; ++i) {
            int32_t product = (x[from[0] + i * step[0]] - zeroA) * (y[from[1] + i * step[1]] - zeroB);
            float value = std::clamp(static_cast<float>(product) * scale, low, high);
            target[start + i] = static_cast<Stored>(static_cast<int32_t>(std::nearbyint(value)) + zeroOut);
        }
    });
    return Status::ok();
}

// float32 in and out: the same arithmetic without the value view's type switch.
template <typename Function>
bool evalFloatBinary(KernelContext& context, Function function) {
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    RuntimeTensor& out = context.output(0);
    if (a.type != DataType::Float32 || b.type != DataType::Float32 || out.type != DataType::Float32) return false;
    schema::ActivationFunctionType activation = binaryActivation(*context.op->options);
    const float* x = a.as<const float>();
    const float* y = b.as<const float>();
    float* target = out.as<float>();
    makeBroadcast(out.shape, {a.shape, b.shape}).forEachRow([&](int64_t start, const int64_t* from, int64_t length, const int64_t* step) {
        for (int64_t i = 0; i < length; ++i)
            target[start + i] = static_cast<float>(
                applyActivation(function(x[from[0] + i * step[0]], y[from[1] + i * step[1]]), activation));
    });
    return true;
}

template <BuiltinOperator Code>
Status evalArithmetic(KernelContext& context) {
    if constexpr (Code == schema::BuiltinOperator_MUL) {
        if (sameQuantizedType(context))
            return context.output(0).type == DataType::Int8 ? evalQuantizedMultiply<int8_t>(context)
                                                            : evalQuantizedMultiply<uint8_t>(context);
    }
    if constexpr (Code == schema::BuiltinOperator_ADD || Code == schema::BuiltinOperator_SUB ||
                  Code == schema::BuiltinOperator_MUL || Code == schema::BuiltinOperator_DIV ||
                  Code == schema::BuiltinOperator_MAXIMUM || Code == schema::BuiltinOperator_MINIMUM ||
                  Code == schema::BuiltinOperator_SQUARED_DIFFERENCE) {
        bool done = evalFloatBinary(context, [](double x, double y) -> double {
            switch (Code) {
            case schema::BuiltinOperator_ADD: return x + y;
            case schema::BuiltinOperator_SUB: return x - y;
            case schema::BuiltinOperator_MUL: return x * y;
            case schema::BuiltinOperator_DIV: return x / y;
            case schema::BuiltinOperator_MAXIMUM: return std::max(x, y);
            case schema::BuiltinOperator_MINIMUM: return std::min(x, y);
            default: return (x - y) * (x - y);
            }
        });
        if (done) return Status::ok();
    }
    if constexpr (Code == schema::BuiltinOperator_ADD || Code == schema::BuiltinOperator_SUB) {
        if (auto sum = fixedPointAddSub(context, Code == schema::BuiltinOperator_SUB)) {
            return context.output(0).type == DataType::Int8 ? evalFixedPointAddSub<int8_t>(context, *sum)
                                                            : evalFixedPointAddSub<uint8_t>(context, *sum);
        }
    }
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

// ---- 8-bit operands against a small one (a per-channel constant, say) ----
// The op is run once on every byte value of the large operand against each
// element of the small one; the output is then looked up. Exact by
// construction; MoveNet's input normalisation (SUB of a [1,1,1,3] tensor
// with a 1e-6 scale, off XNNPACK's fixed-point range) goes 0.96 -> 0.1 ms.
struct SmallOperandPlan {
    int small = -1;      // which input is small; -1: no table
    int64_t count = 0;   // its elements
};

bool isByteType(DataType type) { return type == DataType::Int8 || type == DataType::UInt8; }

SmallOperandPlan planSmallOperand(const KernelContext& context) {
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    const RuntimeTensor& out = context.output(0);
    SmallOperandPlan plan;
    if (!isByteType(a.type) || !isByteType(b.type) || (!isByteType(out.type) && out.type != DataType::Bool)) return plan;
    plan.small = smallOperandIndex(a.shape, b.shape, out.shape);
    if (plan.small >= 0) plan.count = context.input(static_cast<size_t>(plan.small)).elementCount();
    return plan;
}

template <BuiltinOperator Code>
Status prepareArithmetic(KernelContext& context) {
    LS_RETURN_IF_ERROR(prepareBinary(context));
    SmallOperandPlan plan = planSmallOperand(context);
    context.scratchBytes = plan.small < 0 ? 0 : static_cast<size_t>(256 + plan.count + plan.count * 256);
    return Status::ok();
}

template <BuiltinOperator Code>
Status evalArithmetic(KernelContext& context);

template <BuiltinOperator Code>
Status evalWithSmallOperandTable(KernelContext& context, const SmallOperandPlan& plan) {
    const RuntimeTensor& little = context.input(static_cast<size_t>(plan.small));
    const RuntimeTensor& large = context.input(static_cast<size_t>(1 - plan.small));
    RuntimeTensor& out = context.output(0);
    uint8_t* everyByte = context.scratch;
    uint8_t* smallValues = everyByte + 256;
    uint8_t* table = smallValues + plan.count;
    for (int v = 0; v < 256; ++v) everyByte[v] = static_cast<uint8_t>(v);
    std::memcpy(smallValues, little.data, static_cast<size_t>(plan.count));
    RuntimeTensor allLarge = large, allSmall = little, allOut = out;
    allLarge.shape = {1, 256}, allLarge.data = everyByte, allLarge.bytes = 256;
    allSmall.shape = {static_cast<int32_t>(plan.count), 1}, allSmall.data = smallValues, allSmall.bytes = static_cast<size_t>(plan.count);
    allOut.shape = {static_cast<int32_t>(plan.count), 256}, allOut.data = table, allOut.bytes = static_cast<size_t>(plan.count * 256);
    KernelContext tableContext = context;
    tableContext.inputs = plan.small == 0 ? std::vector<RuntimeTensor*>{&allSmall, &allLarge} : std::vector<RuntimeTensor*>{&allLarge, &allSmall};
    tableContext.outputs = {&allOut};
    tableContext.scratch = nullptr;
    tableContext.scratchBytes = 0;
    LS_RETURN_IF_ERROR(evalArithmetic<Code>(tableContext));
    const uint8_t* x = large.as<const uint8_t>();
    uint8_t* target = out.as<uint8_t>();
    const int64_t total = out.elementCount();
    // The common layouts get straight loops: a scalar, or one value per channel.
    bool perChannel = !little.shape.empty() && !out.shape.empty() && little.shape.back() == out.shape.back() &&
                      little.elementCount() == little.shape.back();
    if (plan.count == 1) {
        for (int64_t i = 0; i < total; ++i) target[i] = table[x[i]];
        return Status::ok();
    }
    if (perChannel) {
        const int64_t channels = plan.count;
        for (int64_t row = 0; row < total; row += channels)
            for (int64_t c = 0; c < channels; ++c) target[row + c] = table[c * 256 + x[row + c]];
        return Status::ok();
    }
    const int s = plan.small;
    makeBroadcast(out.shape, {context.input(0).shape, context.input(1).shape})
        .forEachRow([&](int64_t start, const int64_t* from, int64_t length, const int64_t* step) {
            for (int64_t i = 0; i < length; ++i) target[start + i] = table[(from[s] + i * step[s]) * 256 + x[start + i]];
        });
    return Status::ok();
}

template <BuiltinOperator Code>
Status evalArithmeticOrTable(KernelContext& context) {
    if (context.scratchBytes > 0) {
        SmallOperandPlan plan = planSmallOperand(context);
        if (plan.small >= 0) return evalWithSmallOperandTable<Code>(context, plan);
    }
    return evalArithmetic<Code>(context);
}

template <BuiltinOperator Code>
void add(KernelTable& table) {
    // Division can fail on table entries the data never reaches: no table.
    constexpr bool pure = Code != schema::BuiltinOperator_DIV && Code != schema::BuiltinOperator_FLOOR_DIV &&
                          Code != schema::BuiltinOperator_FLOOR_MOD && Code != schema::BuiltinOperator_POW;
    if constexpr (pure) table[Code] = {prepareArithmetic<Code>, evalArithmeticOrTable<Code>};
    else table[Code] = {prepareBinary, evalArithmetic<Code>};
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

// Unary elementwise ops: activations, math functions, casts and
// (de)quantization. All read and write through the value view, so one
// implementation serves float, float16 and quantized tensors.

#include <algorithm>
#include <cmath>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

Status prepareUnary(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 1, 1, 1));
    context.output(0).shape = context.input(0).shape;
    return Status::ok();
}

template <typename Function>
Status evalUnary(KernelContext& context, Function function) {
    if (context.input(0).type == DataType::Float32 && context.output(0).type == DataType::Float32) {
        const float* x = context.input(0).as<const float>();
        float* y = context.output(0).as<float>();
        int64_t count = context.output(0).elementCount();
        for (int64_t i = 0; i < count; ++i) y[i] = static_cast<float>(function(x[i]));
        return Status::ok();
    }
    ValueReader read(context.input(0));
    ValueWriter write(context.output(0));
    int64_t count = context.output(0).elementCount();
    for (int64_t i = 0; i < count; ++i) write(i, function(read(i)));
    return Status::ok();
}

double roundHalfToEven(double value) { return std::nearbyint(value); }

template <schema::BuiltinOperator Code>
Status evalMath(KernelContext& context) {
    float leakyAlpha = 0.2f;
    bool geluApproximate = false;
    if (const auto* options = context.op->options->builtin_options_as_LeakyReluOptions()) leakyAlpha = options->alpha();
    if (const auto* options = context.op->options->builtin_options_as_GeluOptions()) geluApproximate = options->approximate();
    bool integerCast = Code == schema::BuiltinOperator_CAST && context.output(0).type != DataType::Float32 &&
                       context.output(0).type != DataType::Float16 && context.output(0).type != DataType::Float64;
    return evalUnary(context, [&](double x) -> double {
        switch (Code) {
        case schema::BuiltinOperator_ABS: return std::abs(x);
        case schema::BuiltinOperator_NEG: return -x;
        case schema::BuiltinOperator_EXP: return std::exp(x);
        case schema::BuiltinOperator_LOG: return std::log(x);
        case schema::BuiltinOperator_SQRT: return std::sqrt(x);
        case schema::BuiltinOperator_RSQRT: return 1.0 / std::sqrt(x);
        case schema::BuiltinOperator_SIN: return std::sin(x);
        case schema::BuiltinOperator_COS: return std::cos(x);
        case schema::BuiltinOperator_FLOOR: return std::floor(x);
        case schema::BuiltinOperator_CEIL: return std::ceil(x);
        case schema::BuiltinOperator_ROUND: return roundHalfToEven(x);
        case schema::BuiltinOperator_SIGN: return (x > 0) - (x < 0);
        case schema::BuiltinOperator_SQUARE: return x * x;
        case schema::BuiltinOperator_LOGISTIC: return 1.0 / (1.0 + std::exp(-x));
        case schema::BuiltinOperator_TANH: return std::tanh(x);
        case schema::BuiltinOperator_RELU: return std::max(0.0, x);
        case schema::BuiltinOperator_RELU6: return std::clamp(x, 0.0, 6.0);
        case schema::BuiltinOperator_RELU_N1_TO_1: return std::clamp(x, -1.0, 1.0);
        case schema::BuiltinOperator_RELU_0_TO_1: return std::clamp(x, 0.0, 1.0);
        case schema::BuiltinOperator_ELU: return x < 0 ? std::expm1(x) : x;
        case schema::BuiltinOperator_HARD_SWISH: return x * std::clamp(x + 3.0, 0.0, 6.0) / 6.0;
        case schema::BuiltinOperator_LEAKY_RELU: return x < 0 ? x * leakyAlpha : x;
        case schema::BuiltinOperator_GELU:
            if (geluApproximate)
                return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
            return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
        case schema::BuiltinOperator_LOGICAL_NOT: return x == 0;
        case schema::BuiltinOperator_ZEROS_LIKE: return 0;
        case schema::BuiltinOperator_CAST: return integerCast ? std::trunc(x) : x;
        default: return x;  // QUANTIZE, DEQUANTIZE: the value view does the work
        }
    });
}

// CAST between integer types keeps raw values; the value view must not
// apply quantization parameters to them.
Status prepareCast(KernelContext& context) { return prepareUnary(context); }

Status preparePrelu(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 1));
    auto shape = broadcastShape(context, context.input(0).shape, context.input(1).shape);
    if (!shape) return shape.status();
    context.output(0).shape = *shape;
    return Status::ok();
}

Status evalPrelu(KernelContext& context) {
    ValueReader input(context.input(0)), alpha(context.input(1));
    ValueWriter write(context.output(0));
    Broadcast broadcast = makeBroadcast(context.output(0).shape, {context.input(0).shape, context.input(1).shape});
    int64_t offsets[2];
    for (int64_t i = 0; i < context.output(0).elementCount(); ++i) {
        broadcast.offsets(i, offsets);
        double x = input(offsets[0]);
        write(i, x >= 0 ? x : x * alpha(offsets[1]));
    }
    return Status::ok();
}

template <schema::BuiltinOperator Code>
void add(KernelTable& table) {
    table[Code] = {prepareUnary, evalMath<Code>};
}

}  // namespace

void addActivationKernels(KernelTable& table) {
    add<schema::BuiltinOperator_ABS>(table);
    add<schema::BuiltinOperator_NEG>(table);
    add<schema::BuiltinOperator_EXP>(table);
    add<schema::BuiltinOperator_LOG>(table);
    add<schema::BuiltinOperator_SQRT>(table);
    add<schema::BuiltinOperator_RSQRT>(table);
    add<schema::BuiltinOperator_SIN>(table);
    add<schema::BuiltinOperator_COS>(table);
    add<schema::BuiltinOperator_FLOOR>(table);
    add<schema::BuiltinOperator_CEIL>(table);
    add<schema::BuiltinOperator_ROUND>(table);
    add<schema::BuiltinOperator_SIGN>(table);
    add<schema::BuiltinOperator_SQUARE>(table);
    add<schema::BuiltinOperator_LOGISTIC>(table);
    add<schema::BuiltinOperator_TANH>(table);
    add<schema::BuiltinOperator_RELU>(table);
    add<schema::BuiltinOperator_RELU6>(table);
    add<schema::BuiltinOperator_RELU_N1_TO_1>(table);
    add<schema::BuiltinOperator_RELU_0_TO_1>(table);
    add<schema::BuiltinOperator_ELU>(table);
    add<schema::BuiltinOperator_HARD_SWISH>(table);
    add<schema::BuiltinOperator_LEAKY_RELU>(table);
    add<schema::BuiltinOperator_GELU>(table);
    add<schema::BuiltinOperator_LOGICAL_NOT>(table);
    add<schema::BuiltinOperator_ZEROS_LIKE>(table);
    add<schema::BuiltinOperator_QUANTIZE>(table);
    add<schema::BuiltinOperator_DEQUANTIZE>(table);
    table[schema::BuiltinOperator_CAST] = {prepareCast, evalMath<schema::BuiltinOperator_CAST>};
    table[schema::BuiltinOperator_PRELU] = {preparePrelu, evalPrelu};
}

}  // namespace litestudio::reference

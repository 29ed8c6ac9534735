// Unary elementwise ops: activations, math functions, casts and
// (de)quantization. All read and write through the value view, so one
// implementation serves float, float16 and quantized tensors.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

Status prepareUnary(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 1, 1, 1));
    context.output(0).shape = context.input(0).shape;
    return Status::ok();
}

// An 8-bit input has only 256 possible values: prepare runs the op once on
// all of them and eval looks the answers up. Exact by construction, and
// what makes int8 LOGISTIC, DEQUANTIZE or a uint8 CAST cheap.
struct ByteTable {
    size_t outputBytes = 0;
    std::vector<uint8_t> values;  // 256 entries of outputBytes each
};

bool applyByteTable(KernelContext& context) {
    if (!context.state) return false;
    const auto& table = *static_cast<const ByteTable*>(context.state.get());
    const uint8_t* x = context.input(0).as<const uint8_t>();
    uint8_t* y = context.output(0).data;
    int64_t count = context.output(0).elementCount();
    if (table.outputBytes == 1) {
        for (int64_t i = 0; i < count; ++i) y[i] = table.values[x[i]];
    } else if (table.outputBytes == 4) {
        const auto* entries = reinterpret_cast<const uint32_t*>(table.values.data());
        auto* out = reinterpret_cast<uint32_t*>(y);
        for (int64_t i = 0; i < count; ++i) out[i] = entries[x[i]];
    } else {
        for (int64_t i = 0; i < count; ++i)
            std::memcpy(y + i * table.outputBytes, table.values.data() + x[i] * table.outputBytes, table.outputBytes);
    }
    return true;
}

template <typename Function>
Status evalUnary(KernelContext& context, Function function) {
    if (applyByteTable(context)) return Status::ok();
    if (context.input(0).type == DataType::Float32 && context.output(0).type == DataType::Float32) {
        const float* x = context.input(0).as<const float>();
        float* y = context.output(0).as<float>();
        int64_t count = context.output(0).elementCount();
        for (int64_t i = 0; i < count; ++i) y[i] = static_cast<float>(function(x[i]));
        return Status::ok();
    }
    const RuntimeTensor& out = context.output(0);
    if (context.input(0).type == DataType::Float32 && out.isQuantized() && out.type != DataType::Int16 &&
        out.quantization->scheme == Quantization::Scheme::PerTensor) {
        // float32 -> int8/uint8 (QUANTIZE, or an activation that ends quantized):
        // the value view's arithmetic inlined, as XNNPACK quantizes.
        const float* x = context.input(0).as<const float>();
        const float inverse = 1.0f / out.scale();
        const double zeroPoint = out.zeroPoint();
        const double low = out.type == DataType::Int8 ? -128.0 : 0.0, high = out.type == DataType::Int8 ? 127.0 : 255.0;
        int64_t count = out.elementCount();
        for (int64_t i = 0; i < count; ++i) {
            double value = std::nearbyint(static_cast<float>(function(x[i])) * inverse) + zeroPoint;
            value = std::isnan(value) ? 0.0 : std::clamp(value, low, high);
            if (out.type == DataType::Int8) out.as<int8_t>()[i] = static_cast<int8_t>(value);
            else out.as<uint8_t>()[i] = static_cast<uint8_t>(value);
        }
        return Status::ok();
    }
    if (context.input(0).type == DataType::Float32) {  // QUANTIZE and the like: no value view on the way in
        const float* x = context.input(0).as<const float>();
        ValueWriter write(context.output(0));
        int64_t count = context.output(0).elementCount();
        for (int64_t i = 0; i < count; ++i) write(i, function(x[i]));
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

// prepareUnary, plus the lookup table for large 8-bit inputs.
template <schema::BuiltinOperator Code>
Status prepareMath(KernelContext& context) {
    LS_RETURN_IF_ERROR(prepareUnary(context));
    context.state.reset();
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& output = context.output(0);
    int outputBits = dataTypeBits(output.type);
    if ((input.type != DataType::Int8 && input.type != DataType::UInt8) || input.elementCount() < 1024 ||
        outputBits < 8 || outputBits % 8 != 0 || output.type == DataType::String)
        return Status::ok();
    auto table = std::make_shared<ByteTable>();
    table->outputBytes = static_cast<size_t>(outputBits / 8);
    table->values.resize(256 * table->outputBytes);
    uint8_t everyByte[256];
    for (int i = 0; i < 256; ++i) everyByte[i] = static_cast<uint8_t>(i);
    RuntimeTensor allInputs = input, allOutputs = output;
    allInputs.shape = allOutputs.shape = {256};
    allInputs.data = everyByte;
    allInputs.bytes = 256;
    allOutputs.data = table->values.data();
    allOutputs.bytes = table->values.size();
    KernelContext small = context;
    small.inputs = {&allInputs};
    small.outputs = {&allOutputs};
    LS_RETURN_IF_ERROR(evalMath<Code>(small));
    context.state = table;
    return Status::ok();
}

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
    table[Code] = {prepareMath<Code>, evalMath<Code>};
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
    table[schema::BuiltinOperator_CAST] = {prepareMath<schema::BuiltinOperator_CAST>, evalMath<schema::BuiltinOperator_CAST>};
    table[schema::BuiltinOperator_PRELU] = {preparePrelu, evalPrelu};
}

}  // namespace litestudio::reference

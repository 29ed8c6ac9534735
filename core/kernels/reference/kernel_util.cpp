#include "core/kernels/reference/kernel_util.h"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace litestudio::reference {

uint16_t floatToHalf(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    uint32_t sign = (bits >> 16) & 0x8000;
    int32_t exponent = static_cast<int32_t>((bits >> 23) & 0xff) - 127 + 15;
    uint32_t mantissa = bits & 0x7fffff;
    if (((bits >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mantissa ? 0x200 : 0));
    if (exponent >= 31) return static_cast<uint16_t>(sign | 0x7c00);
    if (exponent <= 0) {
        if (exponent < -10) return static_cast<uint16_t>(sign);
        mantissa |= 0x800000;
        uint32_t shift = static_cast<uint32_t>(14 - exponent);
        uint32_t half = mantissa >> shift;
        uint32_t rest = mantissa & ((1u << shift) - 1);
        uint32_t halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1))) ++half;
        return static_cast<uint16_t>(sign | half);
    }
    uint32_t half = sign | (static_cast<uint32_t>(exponent) << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
    return static_cast<uint16_t>(half);
}

ValueReader::ValueReader(const RuntimeTensor& source) : tensor(&source) {
    const Quantization* q = source.quantization;
    if (q && q->scheme == Quantization::Scheme::PerChannel && source.rank() > 0) {
        perChannel = true;
        int axis = std::min(q->axis, source.rank() - 1);
        channels = source.dim(axis);
        for (int d = axis + 1; d < source.rank(); ++d) channelStride *= source.dim(d);
    }
}

double ValueReader::operator()(int64_t index) const {
    const RuntimeTensor& t = *tensor;
    double raw = 0;
    switch (t.type) {
    case DataType::Float32: return t.as<float>()[index];
    case DataType::Float16: return halfToFloat(t.as<uint16_t>()[index]);
    case DataType::Float64: return t.as<double>()[index];
    case DataType::Int32: raw = t.as<int32_t>()[index]; break;
    case DataType::Int64: raw = static_cast<double>(t.as<int64_t>()[index]); break;
    case DataType::UInt8: raw = t.as<uint8_t>()[index]; break;
    case DataType::Int8: raw = t.as<int8_t>()[index]; break;
    case DataType::Int16: raw = t.as<int16_t>()[index]; break;
    case DataType::UInt16: raw = t.as<uint16_t>()[index]; break;
    case DataType::UInt32: raw = t.as<uint32_t>()[index]; break;
    case DataType::Bool: return t.as<uint8_t>()[index] ? 1.0 : 0.0;
    case DataType::Int4: raw = int4At(t.data, index); break;
    default: return 0;
    }
    const Quantization* q = t.quantization;
    if (!q || q->scales.empty() || t.type == DataType::Int64) return raw;
    // int32 tensors with a scale are biases of quantized ops: dequantize them too.
    size_t channel = perChannel ? static_cast<size_t>((index / channelStride) % channels) : 0;
    channel = std::min(channel, q->scales.size() - 1);
    double zeroPoint = q->zeroPoints.empty() ? 0.0 : static_cast<double>(q->zeroPoints[std::min(channel, q->zeroPoints.size() - 1)]);
    return (raw - zeroPoint) * q->scales[channel];
}

namespace {
template <typename T>
T saturate(double value) {
    double low = static_cast<double>(std::numeric_limits<T>::lowest());
    double high = static_cast<double>(std::numeric_limits<T>::max());
    if (std::isnan(value)) return T(0);
    // double(INT64_MAX) rounds up to 2^63, which does not convert back.
    if (value >= high) return std::numeric_limits<T>::max();
    if (value <= low) return std::numeric_limits<T>::lowest();
    return static_cast<T>(value);
}
}  // namespace

void ValueWriter::operator()(int64_t index, double value) const {
    RuntimeTensor& t = *tensor;
    const Quantization* q = t.quantization;
    bool quantized = q && !q->scales.empty() &&
                     (t.type == DataType::UInt8 || t.type == DataType::Int8 || t.type == DataType::Int16);
    // As XNNPACK quantizes: multiply by the float reciprocal of the scale,
    // round half to even, add the zero point.
    if (quantized)
        value = std::nearbyint(static_cast<float>(value) * (1.0f / q->scales[0])) +
                (q->zeroPoints.empty() ? 0.0 : double(q->zeroPoints[0]));
    switch (t.type) {
    case DataType::Float32: t.as<float>()[index] = static_cast<float>(value); break;
    case DataType::Float16: t.as<uint16_t>()[index] = floatToHalf(static_cast<float>(value)); break;
    case DataType::Float64: t.as<double>()[index] = value; break;
    case DataType::Int32: t.as<int32_t>()[index] = saturate<int32_t>(value); break;
    case DataType::Int64: t.as<int64_t>()[index] = saturate<int64_t>(value); break;
    case DataType::UInt8: t.as<uint8_t>()[index] = saturate<uint8_t>(value); break;
    case DataType::Int8: t.as<int8_t>()[index] = saturate<int8_t>(value); break;
    case DataType::Int16: t.as<int16_t>()[index] = saturate<int16_t>(value); break;
    case DataType::UInt16: t.as<uint16_t>()[index] = saturate<uint16_t>(value); break;
    case DataType::UInt32: t.as<uint32_t>()[index] = saturate<uint32_t>(value); break;
    case DataType::Bool: t.as<uint8_t>()[index] = value != 0 ? 1 : 0; break;
    default: break;
    }
}

std::vector<int64_t> stridesOf(const std::vector<int32_t>& shape) {
    std::vector<int64_t> strides(shape.size(), 1);
    for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d)
        strides[static_cast<size_t>(d)] = strides[static_cast<size_t>(d) + 1] * shape[static_cast<size_t>(d) + 1];
    return strides;
}

Expected<std::vector<int32_t>> shapeOperand(const KernelContext& context, const RuntimeTensor& tensor) {
    const std::vector<int64_t> values = readIntegers(tensor);
    std::vector<int32_t> shape;
    int64_t elements = 1;
    for (int64_t value : values) {
        if (value < 0 || value > INT32_MAX || __builtin_mul_overflow(elements, value, &elements) || elements > INT64_MAX / 16)
            return context.error("shape operand '" + tensor.name + "' holds " + std::to_string(value) +
                                 ": a dimension must be 0 to 2^31 - 1, and the shape's elements countable in int64 bytes");
        shape.push_back(static_cast<int32_t>(value));
    }
    return shape;
}

Expected<std::vector<int32_t>> broadcastShape(const KernelContext& context, const std::vector<int32_t>& a,
                                              const std::vector<int32_t>& b) {
    size_t rank = std::max(a.size(), b.size());
    std::vector<int32_t> out(rank);
    for (size_t i = 0; i < rank; ++i) {
        int32_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        int32_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da != db && da != 1 && db != 1) {
            std::string text;
            for (const auto* shape : {&a, &b}) {
                text += text.empty() ? "[" : " and [";
                for (size_t k = 0; k < shape->size(); ++k) {
                    if (k) text += ",";
                    text += std::to_string((*shape)[k]);
                }
                text += "]";
            }
            return context.error("shapes " + text + " do not broadcast");
        }
        out[i] = da == 1 ? db : da;
    }
    return out;
}

Broadcast makeBroadcast(const std::vector<int32_t>& outputShape, const std::vector<std::vector<int32_t>>& inputs) {
    Broadcast broadcast;
    broadcast.outputShape = outputShape;
    size_t rank = outputShape.size();
    for (const auto& shape : inputs) {
        std::vector<int64_t> own = stridesOf(shape);
        std::vector<int64_t> strides(rank, 0);
        for (size_t i = 0; i < shape.size(); ++i) {
            size_t axis = rank - shape.size() + i;
            strides[axis] = shape[i] == 1 ? 0 : own[i];
        }
        broadcast.inputStrides.push_back(std::move(strides));
    }
    return broadcast;
}

Broadcast::Rows Broadcast::rows() const {
    for (int32_t dim : outputShape)
        if (dim <= 0) return {};
    Rows rows{outputShape.empty() ? 1 : outputShape.back(), std::max(static_cast<int>(outputShape.size()) - 1, 0)};
    for (; rows.outer > 0; --rows.outer) {
        const auto axis = static_cast<size_t>(rows.outer - 1);
        for (const auto& strides : inputStrides)
            if (strides[axis] != strides.back() * rows.length) return rows;
        rows.length *= outputShape[axis];
    }
    return rows;
}

int64_t Broadcast::rowLength() const { return rows().length; }

int64_t Broadcast::rowCount() const {
    const int64_t length = rowLength();
    if (length == 0) return 0;
    int64_t total = 1;
    for (int32_t dim : outputShape) total *= dim;
    return total / length;
}

void Broadcast::offsets(int64_t outputIndex, int64_t* inputOffsets) const {
    for (size_t i = 0; i < inputStrides.size(); ++i) inputOffsets[i] = 0;
    for (int d = static_cast<int>(outputShape.size()) - 1; d >= 0; --d) {
        int64_t coordinate = outputIndex % outputShape[static_cast<size_t>(d)];
        outputIndex /= outputShape[static_cast<size_t>(d)];
        for (size_t i = 0; i < inputStrides.size(); ++i) inputOffsets[i] += coordinate * inputStrides[i][static_cast<size_t>(d)];
    }
}

double applyActivation(double value, schema::ActivationFunctionType activation) {
    switch (activation) {
    case schema::ActivationFunctionType_RELU: return std::max(0.0, value);
    case schema::ActivationFunctionType_RELU_N1_TO_1: return std::clamp(value, -1.0, 1.0);
    case schema::ActivationFunctionType_RELU6: return std::clamp(value, 0.0, 6.0);
    case schema::ActivationFunctionType_TANH: return std::tanh(value);
    case schema::ActivationFunctionType_SIGN_BIT: return std::signbit(value) ? 1.0 : 0.0;
    default: return value;
    }
}

Expected<int64_t> firstInteger(const KernelContext& context, const RuntimeTensor& tensor) {
    std::vector<int64_t> values = readIntegers(tensor);
    if (values.empty()) return context.error("'" + tensor.name + "' " + shapeText(tensor.shape) + " holds no value");
    return values[0];
}

std::vector<int64_t> readIntegers(const RuntimeTensor& tensor) {
    // Shape and index operands are int32 or int64; a hostile file may give
    // any type, which is read at its own width (floats truncated), never past
    // the tensor's bytes.
    size_t count = static_cast<size_t>(std::max<int64_t>(tensor.elementCount(), 0));
    int bits = dataTypeBits(tensor.type);
    if (bits < 8 || tensor.data == nullptr || count * static_cast<size_t>(bits / 8) > tensor.bytes) return {};
    std::vector<int64_t> values(count);
    for (size_t i = 0; i < count; ++i) {
        switch (tensor.type) {
        case DataType::Int64: values[i] = tensor.as<int64_t>()[i]; break;
        case DataType::Int32: values[i] = tensor.as<int32_t>()[i]; break;
        case DataType::Int16: values[i] = tensor.as<int16_t>()[i]; break;
        case DataType::Int8: values[i] = tensor.as<int8_t>()[i]; break;
        case DataType::UInt8: case DataType::Bool: values[i] = tensor.as<uint8_t>()[i]; break;
        default: {
            double value = ValueReader(tensor)(static_cast<int64_t>(i));
            values[i] = std::isfinite(value) && std::abs(value) < 9e18 ? static_cast<int64_t>(value) : 0;
        }
        }
    }
    return values;
}

}  // namespace litestudio::reference

namespace litestudio::reference {

float* toFloats(const RuntimeTensor& tensor, float* destination) {
    int64_t count = tensor.elementCount();
    if (tensor.type == DataType::Float32) {
        std::memcpy(destination, tensor.data, static_cast<size_t>(count) * 4);
        return destination + count;
    }
    if ((tensor.type == DataType::Int8 || tensor.type == DataType::UInt8) && tensor.quantization &&
        tensor.quantization->scales.size() == 1 && count >= 256) {
        // One scale and zero point: each byte's value worked out once,
        // through the same value view (an SSD's 174K scores 1.7 -> 0.1 ms).
        uint8_t bytes[256];
        for (int b = 0; b < 256; ++b) bytes[b] = static_cast<uint8_t>(b);
        RuntimeTensor everyByte = tensor;
        everyByte.data = bytes, everyByte.shape = {256}, everyByte.bytes = 256;
        ValueReader readByte(everyByte);
        float table[256];
        for (int b = 0; b < 256; ++b) table[b] = static_cast<float>(readByte(b));
        for (int64_t i = 0; i < count; ++i) destination[i] = table[tensor.data[i]];
        return destination + count;
    }
    ValueReader read(tensor);
    for (int64_t i = 0; i < count; ++i) destination[i] = static_cast<float>(read(i));
    return destination + count;
}

size_t floatScratchBytes(const RuntimeTensor& tensor) {
    // Rounded to the arena alignment so consecutive buffers stay aligned. A
    // hostile shape whose product passes kMostBytes (or int64, where
    // elementCount() would overflow) takes kMostBytes, more than any machine
    // holds: the memory check refuses it, and a kernel's sum of four such
    // sizes cannot wrap.
    constexpr size_t kMostBytes = SIZE_MAX / 8;
    uint64_t count = 1;
    for (int32_t dim : tensor.shape) {
        if (dim < 0 || (dim != 0 && count > kMostBytes / 4 / static_cast<uint64_t>(dim))) return kMostBytes;
        count *= static_cast<uint64_t>(dim);
    }
    return (static_cast<size_t>(count) * 4 + 63) / 64 * 64;
}

}  // namespace litestudio::reference

namespace litestudio::reference {

bool isQuantizedInteger(const RuntimeTensor& tensor) {
    return (tensor.type == DataType::Int8 || tensor.type == DataType::UInt8) && tensor.quantization &&
           !tensor.quantization->scales.empty();
}

int32_t QuantizedOperand::zeroPoint(int64_t channel) const {
    const auto& points = tensor->quantization->zeroPoints;
    if (points.empty()) return 0;
    return static_cast<int32_t>(points[std::min<size_t>(static_cast<size_t>(channel), points.size() - 1)]);
}

float QuantizedOperand::scale(int64_t channel) const {
    const auto& scales = tensor->quantization->scales;
    return scales[std::min<size_t>(static_cast<size_t>(channel), scales.size() - 1)];
}

int32_t QuantizedOperand::raw(int64_t index) const {
    return tensor->type == DataType::UInt8 ? tensor->as<uint8_t>()[index] : tensor->as<int8_t>()[index];
}

QuantizedRange quantizedActivationRange(const RuntimeTensor& output, schema::ActivationFunctionType activation) {
    float outputScale = output.scale();
    int32_t zeroPoint = output.zeroPoint();
    const float typeLow = output.type == DataType::UInt8 ? 0.0f : -128.0f, typeHigh = output.type == DataType::UInt8 ? 255.0f : 127.0f;
    float low = typeLow, high = typeHigh;
    auto quantize = [&](float value) { return std::nearbyint(value / outputScale) + static_cast<float>(zeroPoint); };
    if (activation == schema::ActivationFunctionType_RELU) low = std::max(low, quantize(0.0f));
    if (activation == schema::ActivationFunctionType_RELU6) low = std::max(low, quantize(0.0f)), high = std::min(high, quantize(6.0f));
    if (activation == schema::ActivationFunctionType_RELU_N1_TO_1)
        low = std::max(low, quantize(-1.0f)), high = std::min(high, quantize(1.0f));
    // A hostile scale or zero point can put a bound outside the type (a
    // RELU6 whose 6 quantizes to -2170) or make it NaN: both bounds stay
    // stored values, and the range is empty (low > high) rather than wrong.
    auto stored = [&](float value) { return value >= typeLow ? (value <= typeHigh ? value : typeHigh) : typeLow; };
    return {static_cast<int32_t>(stored(low)), static_cast<int32_t>(stored(high))};
}

Requantizer::Requantizer(const RuntimeTensor& input, const RuntimeTensor& weights, const RuntimeTensor& output,
                         schema::ActivationFunctionType activation) {
    float inputScale = input.scale(), outputScale = output.scale();
    for (float weightScale : weights.quantization->scales) multipliers_.push_back(inputScale * weightScale / outputScale);
    zeroPoint_ = output.zeroPoint();
    QuantizedRange range = quantizedActivationRange(output, activation);
    low_ = static_cast<float>(range.low - zeroPoint_);
    high_ = static_cast<float>(range.high - zeroPoint_);
}

int32_t Requantizer::operator()(int32_t accumulator, int64_t channel) const {
    float multiplier = multipliers_[std::min<size_t>(static_cast<size_t>(channel), multipliers_.size() - 1)];
    float value = std::min(std::max(static_cast<float>(accumulator) * multiplier, low_), high_);  // an empty range gives high_
    return static_cast<int32_t>(std::nearbyint(value)) + zeroPoint_;
}

}  // namespace litestudio::reference

namespace litestudio::reference {

void transposeConvolve(const float* input, const RuntimeTensor& inputShape, const float* weights,
                       const RuntimeTensor& weightShape, float* accumulator, const RuntimeTensor& outputShape,
                       const TransposeGeometry& g) {
    const int batches = outputShape.dim(0), outH = outputShape.dim(1), outW = outputShape.dim(2), outC = outputShape.dim(3);
    const int inH = inputShape.dim(1), inW = inputShape.dim(2), inC = inputShape.dim(3);
    const int kH = weightShape.dim(1), kW = weightShape.dim(2);
    for (int b = 0; b < batches; ++b)
        for (int iy = 0; iy < inH; ++iy)
            for (int ix = 0; ix < inW; ++ix)
                for (int ky = 0; ky < kH; ++ky)
                    for (int kx = 0; kx < kW; ++kx) {
                        const int64_t oy = iy * g.strideH + ky - g.padTop, ox = ix * g.strideW + kx - g.padLeft;
                        if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) continue;
                        const float* pixel = input + ((int64_t(b) * inH + iy) * inW + ix) * inC;
                        float* target = accumulator + ((int64_t(b) * outH + oy) * outW + ox) * outC;
                        for (int oc = 0; oc < outC; ++oc) {
                            const float* w = weights + ((int64_t(oc) * kH + ky) * kW + kx) * inC;
                            float sum = 0;
                            for (int ic = 0; ic < inC; ++ic) sum += pixel[ic] * w[ic];
                            target[oc] += sum;
                        }
                    }
}

schema::ActivationFunctionType binaryActivation(const schema::Operator& op) {
    if (const auto* o = op.builtin_options_as_AddOptions()) return o->fused_activation_function();
    if (const auto* o = op.builtin_options_as_SubOptions()) return o->fused_activation_function();
    if (const auto* o = op.builtin_options_as_MulOptions()) return o->fused_activation_function();
    if (const auto* o = op.builtin_options_as_DivOptions()) return o->fused_activation_function();
    return schema::ActivationFunctionType_NONE;
}

}  // namespace litestudio::reference

namespace litestudio::reference {

bool useIntegerPath(const KernelContext& context) {
    bool biasOk = !context.hasInput(2) || context.input(2).type == DataType::Int32;
    return isQuantizedInteger(context.input(0)) && isQuantizedInteger(context.input(1)) &&
           isQuantizedInteger(context.output(0)) && context.input(0).type == context.output(0).type && biasOk;
}

}  // namespace litestudio::reference

namespace litestudio::reference {

bool dilatedFilterFits(int filter, int dilation) {
    return filter >= 1 && dilation >= 1 && (int64_t(filter) - 1) * dilation + 1 <= kLargestDilatedFilter;
}

// In 64 bits: strides and dilations come from the file.
int convOutputSize(schema::Padding padding, int input, int filter, int stride, int dilation) {
    const int64_t effective = (int64_t(filter) - 1) * dilation + 1;
    const int64_t size = padding == schema::Padding_SAME ? (int64_t(input) + stride - 1) / stride
                                                         : std::max<int64_t>(0, (int64_t(input) - effective + stride) / stride);
    return static_cast<int>(std::min<int64_t>(size, std::numeric_limits<int>::max()));
}

int convPaddingBefore(int input, int output, int filter, int stride, int dilation) {
    const int64_t effective = (int64_t(filter) - 1) * dilation + 1;
    const int64_t before = std::max<int64_t>(0, ((int64_t(output) - 1) * stride + effective - input) / 2);
    return static_cast<int>(std::min<int64_t>(before, std::numeric_limits<int>::max()));
}

}  // namespace litestudio::reference

namespace litestudio::reference {

std::optional<FixedPointSum> fixedPointSum(float scaleA, int32_t zeroA, float scaleB, int32_t zeroB, float scaleOut, bool subtract) {
    float ratioA = scaleA / scaleOut, ratioB = scaleB / scaleOut;
    if (!(ratioA >= 0x1.0p-10f && ratioB >= 0x1.0p-10f && std::max(ratioA, ratioB) < 0x1.0p+8f)) return std::nullopt;
    int exponent = 0;
    std::frexp(std::max(ratioA, ratioB), &exponent);  // largest ratio in [2^(exponent-1), 2^exponent)
    FixedPointSum sum;
    sum.shift = 20 - (exponent - 1);
    sum.multiplierA = static_cast<int32_t>(std::lrintf(std::ldexp(ratioA, sum.shift)));
    sum.multiplierB = static_cast<int32_t>(std::lrintf(std::ldexp(ratioB, sum.shift))) * (subtract ? -1 : 1);
    sum.bias = (1 << (sum.shift - 1)) - sum.multiplierA * zeroA - sum.multiplierB * zeroB;
    return sum;
}

int smallOperandIndex(const std::vector<int32_t>& a, const std::vector<int32_t>& b, const std::vector<int32_t>& out) {
    constexpr int64_t kSmallOperandLimit = 64, kSmallestTabledOutput = 4096;
    auto count = [](const std::vector<int32_t>& shape) {
        int64_t n = 1;
        for (int32_t dim : shape) n *= dim;
        return n;
    };
    if (count(out) < kSmallestTabledOutput) return -1;
    if (count(a) <= kSmallOperandLimit && b == out) return 0;
    if (count(b) <= kSmallOperandLimit && a == out) return 1;
    return -1;
}

}  // namespace litestudio::reference

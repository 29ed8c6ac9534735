#include "core/inspect/tensor_statistics.h"

#include <cmath>
#include <cstring>
#include <string>

#include "core/kernels/reference/kernel_util.h"

namespace litestudio {

namespace {

template <typename T>
T load(const uint8_t* bytes, int64_t index) {
    T value;
    std::memcpy(&value, bytes + index * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return value;
}

// Element `index` as a number, before dequantization.
double rawValue(DataType type, std::span<const uint8_t> data, int64_t index) {
    const uint8_t* bytes = data.data();
    switch (type) {
    case DataType::Float32: return load<float>(bytes, index);
    case DataType::Float64: return load<double>(bytes, index);
    case DataType::Float16: return reference::halfToFloat(load<uint16_t>(bytes, index));
    case DataType::BFloat16: {
        uint32_t bits = static_cast<uint32_t>(load<uint16_t>(bytes, index)) << 16;
        float value;
        std::memcpy(&value, &bits, sizeof value);
        return value;
    }
    case DataType::Int8: return load<int8_t>(bytes, index);
    case DataType::UInt8: return load<uint8_t>(bytes, index);
    case DataType::Bool: return load<uint8_t>(bytes, index) != 0;
    case DataType::Int16: return load<int16_t>(bytes, index);
    case DataType::UInt16: return load<uint16_t>(bytes, index);
    case DataType::Int32: return load<int32_t>(bytes, index);
    case DataType::UInt32: return load<uint32_t>(bytes, index);
    case DataType::Int64: return static_cast<double>(load<int64_t>(bytes, index));
    case DataType::UInt64: return static_cast<double>(load<uint64_t>(bytes, index));
    case DataType::Int4: {
        int nibble = (bytes[index / 2] >> ((index % 2) * 4)) & 0xF;
        return nibble >= 8 ? nibble - 16 : nibble;
    }
    case DataType::UInt4: return (bytes[index / 2] >> ((index % 2) * 4)) & 0xF;
    default: return 0;
    }
}

bool hasNumbers(DataType type) {
    switch (type) {
    case DataType::String:
    case DataType::Resource:
    case DataType::Variant:
    case DataType::Complex64:
    case DataType::Complex128:
    case DataType::Int2:
    case DataType::Float8E4M3:
    case DataType::Float8E5M2: return false;
    default: return true;
    }
}

}  // namespace

Expected<TensorStatistics> constantStatistics(const Tensor& tensor, int bins) {
    if (!tensor.isConstant()) return Status::error("tensor '" + tensor.name + "' has no constant data");
    if (!hasNumbers(tensor.type))
        return Status::error("tensor '" + tensor.name + "': no statistics for " + std::string(dataTypeName(tensor.type)));
    int64_t count = tensor.elementCount();
    int bits = dataTypeBits(tensor.type);
    if (count < 0 || bits <= 0 || static_cast<uint64_t>(count) * static_cast<uint64_t>(bits) > tensor.data.size() * 8ull)
        return Status::error("tensor '" + tensor.name + "': " + std::to_string(tensor.data.size()) +
                             " bytes do not hold shape " + shapeText(tensor.shape));

    const Quantization& q = tensor.quantization;
    bool perTensor = q.scheme == Quantization::Scheme::PerTensor && !q.scales.empty();
    bool perChannel = q.scheme == Quantization::Scheme::PerChannel && !q.scales.empty() && q.axis >= 0 &&
                      static_cast<size_t>(q.axis) < tensor.shape.size();
    int64_t inner = 1, channels = 1;
    if (perChannel) {
        for (size_t d = static_cast<size_t>(q.axis) + 1; d < tensor.shape.size(); ++d) inner *= tensor.shape[d];
        channels = tensor.shape[static_cast<size_t>(q.axis)];
        if (static_cast<int64_t>(q.scales.size()) < channels) perChannel = false;
    }
    auto value = [&](int64_t i) {
        double raw = rawValue(tensor.type, tensor.data, i);
        if (perTensor) return (raw - static_cast<double>(q.zeroPoints.empty() ? 0 : q.zeroPoints[0])) * q.scales[0];
        if (perChannel) {
            size_t channel = static_cast<size_t>((i / std::max<int64_t>(inner, 1)) % std::max<int64_t>(channels, 1));
            double zero = channel < q.zeroPoints.size() ? static_cast<double>(q.zeroPoints[channel]) : 0.0;
            return (raw - zero) * q.scales[channel];
        }
        return raw;
    };

    TensorStatistics stats;
    stats.dequantized = perTensor || perChannel;
    double sum = 0, sumSquares = 0;
    bool first = true;
    for (int64_t i = 0; i < count; ++i) {
        double v = value(i);
        if (!std::isfinite(v)) {
            ++stats.nonFinite;
            continue;
        }
        if (first) stats.min = stats.max = v, first = false;
        stats.min = std::min(stats.min, v);
        stats.max = std::max(stats.max, v);
        sum += v;
        sumSquares += v * v;
        stats.zeros += v == 0.0;
        ++stats.count;
    }
    if (stats.count > 0) {
        stats.mean = sum / static_cast<double>(stats.count);
        stats.std = std::sqrt(std::max(0.0, sumSquares / static_cast<double>(stats.count) - stats.mean * stats.mean));
    }
    stats.histogram.assign(static_cast<size_t>(std::max(bins, 1)), 0);
    double range = stats.max - stats.min;
    for (int64_t i = 0; i < count && stats.count > 0; ++i) {
        double v = value(i);
        if (!std::isfinite(v)) continue;
        size_t bin = range > 0 ? static_cast<size_t>((v - stats.min) / range * static_cast<double>(stats.histogram.size())) : 0;
        ++stats.histogram[std::min(bin, stats.histogram.size() - 1)];
    }
    return stats;
}

}  // namespace litestudio

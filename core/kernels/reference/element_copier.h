#pragma once
// Shared by the data-movement kernels (shape_ops.cpp, rearrangement.cpp).

#include <cstring>
#include <vector>

#include "core/kernels/reference/copy_bytes.h"
#include "core/kernels/reference/kernel_util.h"

namespace litestudio::reference {

inline std::vector<int32_t> toShape(const std::vector<int64_t>& values) { return {values.begin(), values.end()}; }

// Moves element `from` of input to element `to` of output through the value
// view (requantizing when their parameters differ) or by bytes when they agree.
struct ElementCopier {
    const RuntimeTensor& in;
    RuntimeTensor& out;
    ValueReader read;
    ValueWriter write;
    bool raw;
    size_t elementBytes;
    // 8-bit to 8-bit with other per-tensor quantization: every byte's
    // requantized value, worked out once through the same value view.
    bool byteTable = false;
    uint8_t table[256] = {};
    ElementCopier(const RuntimeTensor& input, RuntimeTensor& output)
        : in(input), out(output), read(input), write(output) {
        // TFLite moves raw values unless both sides carry different
        // quantization (concatenation of differently scaled inputs).
        bool requantize = input.isQuantized() && output.isQuantized() &&
                          (input.scale() != output.scale() || input.zeroPoint() != output.zeroPoint());
        raw = input.type == output.type && dataTypeBits(input.type) % 8 == 0 && dataTypeBits(input.type) > 0 &&
              !requantize;
        elementBytes = static_cast<size_t>(dataTypeBits(input.type) / 8);
        auto eightBitPerTensor = [](const RuntimeTensor& t) {
            return (t.type == DataType::Int8 || t.type == DataType::UInt8) && t.isQuantized() && t.quantization->scales.size() == 1;
        };
        // Worth it only for more elements than the table has entries.
        if (!raw && eightBitPerTensor(input) && eightBitPerTensor(output) && input.elementCount() >= 256) {
            uint8_t bytes[256];
            for (int b = 0; b < 256; ++b) bytes[b] = static_cast<uint8_t>(b);
            RuntimeTensor from = input, to = output;
            from.data = bytes, from.shape = {256}, from.bytes = 256;
            to.data = table, to.shape = {256}, to.bytes = 256;
            ValueReader readByte(from);
            ValueWriter writeByte(to);
            for (int b = 0; b < 256; ++b) writeByte(b, readByte(b));
            byteTable = true;
        }
    }
    void operator()(int64_t from, int64_t to) const {
        if (raw) std::memcpy(out.data + to * elementBytes, in.data + from * elementBytes, elementBytes);
        else if (byteTable) out.data[to] = table[in.data[from]];
        else write(to, read(from));
    }
    // `count` consecutive elements: one memcpy when values move raw.
    void run(int64_t from, int64_t to, int64_t count) const {
        if (raw) copyBytes(out.data + to * elementBytes, in.data + from * elementBytes, static_cast<size_t>(count) * elementBytes);
        else if (byteTable)
            for (int64_t i = 0; i < count; ++i) out.data[to + i] = table[in.data[from + i]];
        else
            for (int64_t i = 0; i < count; ++i) write(to + i, read(from + i));
    }
};

}  // namespace litestudio::reference

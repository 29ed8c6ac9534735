#pragma once
// Shared by the data-movement kernels (shape_ops.cpp, rearrangement.cpp).

#include <cstring>
#include <vector>

#include "core/kernels/reference/kernel_util.h"

namespace litestudio::reference {

inline std::vector<int32_t> toShape(const std::vector<int64_t>& values) { return {values.begin(), values.end()}; }

// memcpy for the short runs the data-movement kernels copy pixel by pixel.
// The library's memcpy, its size known only at run time, costs a call and
// a dispatch a run; runs of up to 64 bytes go as inlined 16- or 4-byte
// moves instead: SPACE_TO_BATCH_ND of 128x128x8 floats (32-byte pixels)
// 0.099 -> 0.060 ms, SPACE_TO_DEPTH of 224x224x8 (64-byte block rows)
// 0.13 -> 0.09-0.12. Longer runs stay with the library, whose 512-bit
// moves beat 16-byte ones there (BATCH_TO_SPACE_ND of 64 channels 0.050
// ms in 16-byte moves, 0.028-0.035 by memcpy).
inline void copyBytes(uint8_t* to, const uint8_t* from, size_t bytes) {
    if (bytes <= 64 && bytes % 16 == 0) {
        for (size_t i = 0; i < bytes; i += 16) std::memcpy(to + i, from + i, 16);
    } else if (bytes <= 64 && bytes % 4 == 0) {
        for (size_t i = 0; i < bytes; i += 4) std::memcpy(to + i, from + i, 4);
    } else {
        std::memcpy(to, from, bytes);
    }
}

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

#pragma once
// Shared by the data-movement kernels (shape_ops.cpp, rearrangement.cpp).

#include <cstring>
#include <vector>

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
    ElementCopier(const RuntimeTensor& input, RuntimeTensor& output)
        : in(input), out(output), read(input), write(output) {
        // TFLite moves raw values unless both sides carry different
        // quantization (concatenation of differently scaled inputs).
        bool requantize = input.isQuantized() && output.isQuantized() &&
                          (input.scale() != output.scale() || input.zeroPoint() != output.zeroPoint());
        raw = input.type == output.type && dataTypeBits(input.type) % 8 == 0 && dataTypeBits(input.type) > 0 &&
              !requantize;
        elementBytes = static_cast<size_t>(dataTypeBits(input.type) / 8);
    }
    void operator()(int64_t from, int64_t to) const {
        if (raw) std::memcpy(out.data + to * elementBytes, in.data + from * elementBytes, elementBytes);
        else write(to, read(from));
    }
    // `count` consecutive elements: one memcpy when values move raw.
    void run(int64_t from, int64_t to, int64_t count) const {
        if (raw) std::memcpy(out.data + to * elementBytes, in.data + from * elementBytes, static_cast<size_t>(count) * elementBytes);
        else
            for (int64_t i = 0; i < count; ++i) write(to + i, read(from + i));
    }
};

}  // namespace litestudio::reference

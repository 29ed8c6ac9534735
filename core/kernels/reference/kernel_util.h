#pragma once
// Helpers the reference kernels share. Reference kernels favour clarity over
// speed: they read every element as a double (exact for every int32, for
// quantized values after dequantization, and for float32), compute, and
// write back with the output's own type and quantization.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "core/kernels/kernel.h"
#include "tflite_schema_generated.h"

namespace litestudio::reference {

// Exact, and without branches, so that a loop over float16 weights (every
// one of a model's is converted at compile time, most of a pruned model's
// zeros) vectorises: a normal value's exponent is rebased, infinity and
// NaN keep theirs all ones, and a subnormal one (or zero) is its mantissa
// times 2^-24, which float32 holds exactly.
inline float halfToFloat(uint16_t half) {
    const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
    const uint32_t magnitude = half & 0x7fffu;
    // Masks rather than conditionals, which the compiler may turn back into branches.
    const uint32_t special = 0u - static_cast<uint32_t>(magnitude >= 0x7c00u), tiny = 0u - static_cast<uint32_t>(magnitude < 0x0400u);
    const uint32_t normal = ((magnitude << 13) + ((127u - 15u) << 23)) | (special & 0x7f800000u);
    const float small = static_cast<float>(magnitude) * 0x1p-24f;
    uint32_t smallBits;
    std::memcpy(&smallBits, &small, sizeof smallBits);
    const uint32_t bits = (smallBits & tiny) | (normal & ~tiny) | sign;
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}
// Element `index` of packed int4 data: two per byte, the first in the low
// nibble, two's complement.
inline int32_t int4At(const uint8_t* packed, int64_t index) {
    uint8_t byte = packed[index / 2];
    int nibble = (index % 2) ? (byte >> 4) : (byte & 0xf);
    return nibble >= 8 ? nibble - 16 : nibble;
}
uint16_t floatToHalf(float value);

// Per-channel quantization reads the channel of element `index`; `channelStride`
// is the product of the dimensions after the quantized axis.
struct ValueReader {
    const RuntimeTensor* tensor;
    bool perChannel = false;
    int64_t channelStride = 1;
    int64_t channels = 1;
    explicit ValueReader(const RuntimeTensor& source);
    double operator()(int64_t index) const;
};

struct ValueWriter {
    RuntimeTensor* tensor;
    explicit ValueWriter(RuntimeTensor& target) : tensor(&target) {}
    void operator()(int64_t index, double value) const;
};

// Strides that map an output position back to an input broadcast to it.
struct Broadcast {
    std::vector<int32_t> outputShape;
    std::vector<std::vector<int64_t>> inputStrides;  // 0 along broadcast dimensions
    // Offsets of each input for every output element, computed on the fly.
    void offsets(int64_t outputIndex, int64_t* inputOffsets) const;
    // A row is the innermost dimension and every outer one that each input
    // continues at the same step (all of a same-shape operation is one row:
    // a [1,129,129,12] ADD is not 16,641 rows of 12). rowLength() is its
    // length (0 for an empty output), rowCount() how many rows there are.
    int64_t rowLength() const;
    int64_t rowCount() const;
    // Calls visit(outputStart, inputStarts, length, inputSteps) once per row,
    // so kernels loop over a row with fixed steps (0 for a broadcast input)
    // instead of working out every offset.
    template <typename Visit>
    void forEachRow(Visit visit) const {
        forRows(0, rowCount(), visit);
    }
    // The same for rows [firstRow, endRow) only: a thread's share.
    template <typename Visit>
    void forRows(int64_t firstRow, int64_t endRow, Visit visit) const {
        constexpr size_t kMaxInputs = 4;
        int64_t starts[kMaxInputs] = {}, steps[kMaxInputs] = {};
        const auto [length, outer] = rows();
        if (length <= 0 || inputStrides.size() > kMaxInputs || firstRow >= endRow) return;
        for (size_t i = 0; i < inputStrides.size(); ++i) steps[i] = outputShape.empty() ? 0 : inputStrides[i].back();
        if (outer > 8) {
            for (int64_t row = firstRow; row < endRow; ++row) {
                offsets(row * length, starts);
                visit(row * length, starts, length, steps);
            }
            return;
        }
        // An odometer over the outer dimensions keeps every input's start
        // current with additions only.
        offsets(firstRow * length, starts);
        int64_t coordinate[8] = {};
        for (int64_t d = outer - 1, index = firstRow; d >= 0; --d) {
            coordinate[d] = index % outputShape[static_cast<size_t>(d)];
            index /= outputShape[static_cast<size_t>(d)];
        }
        for (int64_t row = firstRow; row < endRow; ++row) {
            visit(row * length, starts, length, steps);
            for (int d = outer - 1; d >= 0; --d) {
                size_t axis = static_cast<size_t>(d);
                for (size_t i = 0; i < inputStrides.size(); ++i) starts[i] += inputStrides[i][axis];
                if (++coordinate[d] < outputShape[axis]) break;
                for (size_t i = 0; i < inputStrides.size(); ++i) starts[i] -= inputStrides[i][axis] * outputShape[axis];
                coordinate[d] = 0;
            }
        }
    }

private:
    // A row's length (0 for an empty output) and the outer dimensions it
    // leaves to the odometer.
    struct Rows {
        int64_t length = 0;
        int outer = 0;
    };
    Rows rows() const;
};

// Output shape of numpy-style broadcasting, or an error naming both shapes.
Expected<std::vector<int32_t>> broadcastShape(const KernelContext& context, const std::vector<int32_t>& a,
                                              const std::vector<int32_t>& b);
Broadcast makeBroadcast(const std::vector<int32_t>& outputShape, const std::vector<std::vector<int32_t>>& inputs);

double applyActivation(double value, schema::ActivationFunctionType activation);

// Reads a 1-D int32/int64 tensor (shapes, axes, paddings).
std::vector<int64_t> readIntegers(const RuntimeTensor& tensor);
// The first value of an integer operand (an axis, k), or an error naming
// the operand when it holds none: a hostile file's empty axis tensor.
Expected<int64_t> firstInteger(const KernelContext& context, const RuntimeTensor& tensor);
// An integer operand that gives an output's shape (SCATTER_ND's, TRANSPOSE_CONV's
// output_shape, BROADCAST_TO's) as a shape: an error naming the operand when a value is
// negative or past 2^31 - 1, or when together they hold more elements than
// int64 can count in bytes.
Expected<std::vector<int32_t>> shapeOperand(const KernelContext& context, const RuntimeTensor& tensor);

std::vector<int64_t> stridesOf(const std::vector<int32_t>& shape);

inline int normalizeAxis(int axis, int rank) { return axis < 0 ? axis + rank : axis; }

}  // namespace litestudio::reference

namespace litestudio::reference {
// Dequantizes/converts a whole tensor into `destination` (float32); returns
// the end of what it wrote. Kernels use scratch memory for this.
float* toFloats(const RuntimeTensor& tensor, float* destination);
size_t floatScratchBytes(const RuntimeTensor& tensor);
}  // namespace litestudio::reference

namespace litestudio::reference {

// Quantized conv/matmul arithmetic as XNNPACK (and so LiteRT) does it:
// exact int32 accumulation of (x - x_zero) * (w - w_zero) plus the int32
// bias, then requantization in float: acc * (x_scale * w_scale / y_scale),
// clamped to the activation's range, rounded half to even, plus y_zero.
struct QuantizedOperand {
    const RuntimeTensor* tensor;
    bool perChannel = false;
    int32_t zeroPoint(int64_t channel) const;
    float scale(int64_t channel) const;
    int32_t raw(int64_t index) const;  // the stored integer
};

bool isQuantizedInteger(const RuntimeTensor& tensor);

// The stored-integer range a fused activation leaves for a quantized output.
struct QuantizedRange {
    int32_t low, high;
};
QuantizedRange quantizedActivationRange(const RuntimeTensor& output, schema::ActivationFunctionType activation);

// Quantized ADD/SUB as XNNPACK (and so LiteRT) computes it: both inputs
// scaled to the output by 21-bit multipliers sharing one shift, the zero
// points folded into a bias, rounding half up:
//   y = ((bias + multiplierA * a + multiplierB * b) >> shift) + output zero point
// Nothing when the scale ratios lie outside what that arithmetic covers.
struct FixedPointSum {
    int32_t multiplierA = 0, multiplierB = 0, bias = 0;
    int shift = 0;
};
std::optional<FixedPointSum> fixedPointSum(float scaleA, int32_t zeroA, float scaleB, int32_t zeroB, float scaleOut, bool subtract);

// Which input (0 or 1) the reference's 8-bit binary ops read through a
// lookup table of all 256 values of the other (one of at most 64 elements
// while the other has the output's shape, for outputs of 4096 or more), or -1.
int smallOperandIndex(const std::vector<int32_t>& a, const std::vector<int32_t>& b, const std::vector<int32_t>& out);

class Requantizer {
public:
    Requantizer(const RuntimeTensor& input, const RuntimeTensor& weights, const RuntimeTensor& output,
                schema::ActivationFunctionType activation);
    int32_t operator()(int32_t accumulator, int64_t channel) const;
    // What operator() uses, for kernels that requantize in vector registers.
    float multiplier(int64_t channel) const {
        return multipliers_[std::min<size_t>(static_cast<size_t>(channel), multipliers_.size() - 1)];
    }
    float low() const { return low_; }
    float high() const { return high_; }

private:
    std::vector<float> multipliers_;
    float low_, high_;   // activation range minus the output zero point
    int32_t zeroPoint_;
};

}  // namespace litestudio::reference

namespace litestudio::reference {

// Transposed convolution in NHWC: adds every input pixel times the weights
// [out, kh, kw, in] into `accumulator` (out shape), which the caller fills
// first (with zeros or the bias).
// int64: a hostile stride times an input row overflows int.
struct TransposeGeometry {
    int64_t strideH = 1, strideW = 1, padTop = 0, padLeft = 0;
};
void transposeConvolve(const float* input, const RuntimeTensor& inputShape, const float* weights,
                       const RuntimeTensor& weightShape, float* accumulator, const RuntimeTensor& outputShape,
                       const TransposeGeometry& geometry);

// The fused activation of ADD, SUB, MUL or DIV (NONE for other ops).
schema::ActivationFunctionType binaryActivation(const schema::Operator& op);

}  // namespace litestudio::reference

namespace litestudio::reference {

// Hands out consecutive float32 buffers from a kernel's scratch memory, in
// the order prepare counted them with floatScratchBytes.
class FloatScratch {
public:
    explicit FloatScratch(uint8_t* scratch) : next_(reinterpret_cast<float*>(scratch)) {}
    // A buffer holding `tensor` converted to float32.
    float* convert(const RuntimeTensor& tensor) {
        float* buffer = take(tensor);
        toFloats(tensor, buffer);
        return buffer;
    }
    // An uninitialised buffer with room for `shapeOf`'s elements.
    float* take(const RuntimeTensor& shapeOf) {
        float* buffer = next_;
        next_ += floatScratchBytes(shapeOf) / 4;
        return buffer;
    }

private:
    float* next_;
};

// True when input, weights and output are int8/uint8 with quantization and
// the bias (if any) is int32: the exact integer path of conv and FC applies.
bool useIntegerPath(const KernelContext& context);

}  // namespace litestudio::reference

namespace litestudio::reference {

// Whether a filter of `filter` taps at `dilation` spans at most
// kLargestDilatedFilter pixels; a hostile dilation would overflow the index
// arithmetic of every convolution kernel.
constexpr int64_t kLargestDilatedFilter = int64_t(1) << 24;
bool dilatedFilterFits(int filter, int dilation);

// TFLite's output size and leading padding along one spatial axis (SAME
// puts the odd padding element after).
int convOutputSize(schema::Padding padding, int input, int filter, int stride, int dilation);
int convPaddingBefore(int input, int output, int filter, int stride, int dilation);

// RESIZE_BILINEAR/NEAREST_NEIGHBOR whose size is read only at run time keep
// the output the model declared: checked when they run (by every kernel
// that takes such a size) against the input and the size, as prepare
// checks otherwise.
Status checkResizeAtRunTime(KernelContext& context);

}  // namespace litestudio::reference

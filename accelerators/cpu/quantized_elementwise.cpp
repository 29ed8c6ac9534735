// Each op walks its output by rows of the innermost dimension (the
// reference's broadcast plan); a row of 16 or more whose inputs advance by
// one element or stay on one runs 16 lanes at a time, any other row element
// by element with the same formula.
#include "accelerators/cpu/quantized_elementwise.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;

}  // namespace

enum class QuantizedArithmetic { FixedPointSum, Product };

// What one binary op computes, per element x (of a) and y (of b):
//   FixedPointSum: clamp(((bias + ma x + mb y) >> shift) + zo)
//   Product:       clamp(round((x - za)(y - zb) * scale)) + zo
struct QuantizedBinary {
    QuantizedArithmetic arithmetic = QuantizedArithmetic::FixedPointSum;
    bool signedValues = false;
    int32_t multiplierA = 0, multiplierB = 0, bias = 0, shift = 0;
    int32_t zeroA = 0, zeroB = 0;
    float scale = 0, lowFloat = 0, highFloat = 0;
    int32_t low = 0, high = 0, zeroOut = 0;
    reference::Broadcast broadcast;
    bool sameShapes = false;  // one flat row, split into tiles for the pool
    int channelOperand = -1;  // 0 or 1: that input is one value per innermost channel (or one value), the other the output's shape

    int32_t scalar(int32_t x, int32_t y) const {
        if (arithmetic == QuantizedArithmetic::FixedPointSum)
            return std::clamp(((bias + multiplierA * x + multiplierB * y) >> shift) + zeroOut, low, high);
        float value = std::clamp(static_cast<float>((x - zeroA) * (y - zeroB)) * scale, lowFloat, highFloat);
        return static_cast<int32_t>(std::nearbyint(value)) + zeroOut;
    }
};

// (declared in the header) An ADD of two tensors of one shape.
struct QuantizedSum {
    QuantizedBinary q;
};

namespace {

// QuantizedBinary's constants as vectors, made once a task rather than
// once a row: a broadcast's rows can be as short as 16 elements (MoveNet's
// [48,48,1] - [1,17] has 2,304 rows of 17).
struct BinaryLanes {
    __m512i multiplierA, multiplierB, bias, zeroOut, zeroA, zeroB, low, high;
    __m512 scale, lowFloat, highFloat;
    __m128i shift;
};

__attribute__((target("avx512f"))) BinaryLanes lanesOf(const QuantizedBinary& q) {
    return {_mm512_set1_epi32(q.multiplierA), _mm512_set1_epi32(q.multiplierB), _mm512_set1_epi32(q.bias), _mm512_set1_epi32(q.zeroOut),
            _mm512_set1_epi32(q.zeroA),       _mm512_set1_epi32(q.zeroB),       _mm512_set1_epi32(q.low),  _mm512_set1_epi32(q.high),
            _mm512_set1_ps(q.scale),          _mm512_set1_ps(q.lowFloat),       _mm512_set1_ps(q.highFloat), _mm_cvtsi32_si128(q.shift)};
}

// stepX/stepY: 0, one value for the whole row; 1, consecutive values. A
// period (a multiple of 16, or 0 for none) wraps the operand back to its
// start every `period` elements: a per-channel operand laid out once.
template <bool Signed>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void binaryRow(const QuantizedBinary& q, const BinaryLanes& k, const uint8_t* x,
                                                                   int64_t stepX, const uint8_t* y, int64_t stepY, uint8_t* out,
                                                                   int64_t length, int64_t periodX = 0, int64_t periodY = 0) {
    const auto value = [](const uint8_t* at) { return Signed ? int32_t(int8_t(*at)) : int32_t(*at); };
    const __m512i fixedX = _mm512_set1_epi32(value(x)), fixedY = _mm512_set1_epi32(value(y));
    int64_t atX = 0, atY = 0;
    for (int64_t i = 0; i < length; i += kLanes, atX += kLanes, atY += kLanes) {
        if (atX == periodX) atX = 0;
        if (atY == periodY) atY = 0;
        const __mmask16 mask = firstLanes(length - i);
        __m512i a = stepX ? loadBytesAsInt32<Signed>(x + atX, mask) : fixedX;
        __m512i b = stepY ? loadBytesAsInt32<Signed>(y + atY, mask) : fixedY;
        __m512i result;
        if (q.arithmetic == QuantizedArithmetic::FixedPointSum) {
            __m512i sum = _mm512_add_epi32(k.bias, _mm512_mullo_epi32(k.multiplierA, a));
            sum = _mm512_add_epi32(sum, _mm512_mullo_epi32(k.multiplierB, b));
            result = _mm512_add_epi32(_mm512_sra_epi32(sum, k.shift), k.zeroOut);
            result = _mm512_min_epi32(_mm512_max_epi32(result, k.low), k.high);
        } else {
            __m512i product = _mm512_mullo_epi32(_mm512_sub_epi32(a, k.zeroA), _mm512_sub_epi32(b, k.zeroB));
            __m512 scaled = _mm512_mul_ps(_mm512_cvtepi32_ps(product), k.scale);
            scaled = _mm512_min_ps(_mm512_max_ps(scaled, k.lowFloat), k.highFloat);
            result = _mm512_add_epi32(_mm512_cvtps_epi32(scaled), k.zeroOut);  // round half to even
        }
        _mm_mask_storeu_epi8(out + i, mask, _mm512_cvtepi32_epi8(result));
    }
}

// Per-channel operands this kernel lays out as a repeating row: up to 64
// values (the reference tables operands of up to 64 too).
constexpr int64_t kMostChannels = 64;

// True when `shape`, broadcast to `out`, varies along the innermost axis
// alone (or not at all): [C], [1,1,1,C], [] or [1].
bool perInnermostChannel(const std::vector<int32_t>& shape, const std::vector<int32_t>& out) {
    int64_t count = 1;
    for (int32_t dim : shape) count *= dim;
    if (count < 1 || count > kMostChannels) return false;
    if (count == 1) return true;
    if (out.empty() || shape.back() != out.back()) return false;
    return count == shape.back();
}

Status prepareBinary(KernelContext& context) {
    const int32_t builtin = context.model->opCode(*context.op).builtin;
    LS_RETURN_IF_ERROR(findReferenceKernel(builtin)->prepare(context));
    context.scratchBytes = 0;  // the reference's lookup-table room; this kernel needs none
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    const RuntimeTensor& out = context.output(0);
    auto q = std::make_shared<QuantizedBinary>();
    q->signedValues = out.type == DataType::Int8;
    q->zeroOut = out.zeroPoint();
    auto activation = reference::binaryActivation(*context.op->options);
    reference::QuantizedRange range = reference::quantizedActivationRange(out, activation);
    q->low = range.low;
    q->high = range.high;
    if (builtin == schema::BuiltinOperator_MUL) {
        q->arithmetic = QuantizedArithmetic::Product;
        q->scale = (a.scale() * b.scale()) / out.scale();
        q->zeroA = a.zeroPoint();
        q->zeroB = b.zeroPoint();
        q->lowFloat = static_cast<float>(range.low - q->zeroOut);
        q->highFloat = static_cast<float>(range.high - q->zeroOut);
    } else {
        auto sum = reference::fixedPointSum(a.scale(), a.zeroPoint(), b.scale(), b.zeroPoint(), out.scale(),
                                            builtin == schema::BuiltinOperator_SUB);
        if (!sum) return context.error("scales outside the fixed-point range");  // kernel selection checked them
        q->multiplierA = sum->multiplierA, q->multiplierB = sum->multiplierB, q->bias = sum->bias, q->shift = sum->shift;
    }
    q->broadcast = reference::makeBroadcast(out.shape, {a.shape, b.shape});
    // Neither operand broadcasts where each has all of the output's
    // elements, whatever its rank: MoveNet's [1,48,48,1] x [48,48,1] MUL had
    // gone as 2,304 broadcast rows of one element (0.017 ms).
    const int64_t outputs = out.elementCount();
    q->sameShapes = a.elementCount() == outputs && b.elementCount() == outputs;
    if (!q->sameShapes)
        for (int i = 0; i < 2; ++i)
            if (perInnermostChannel(context.input(i).shape, out.shape) && context.input(1 - i).shape == out.shape) q->channelOperand = i;
    context.state = q;
    return Status::ok();
}

// Flat rows of at least two of these go to the thread pool in shares of a
// whole number of the repeating operand's periods, so that each starts at
// the pattern's start. (A quantized model's normalising SUB or MUL on the
// input image ran on one thread while the other waited.)
constexpr size_t kFlatTile = 16384;

struct FlatRun {
    const QuantizedBinary* q;
    const uint8_t* a;
    const uint8_t* b;
    uint8_t* out;
    int64_t count, periodA, periodB;
};

void flatTile(void* context, size_t first, size_t count) {
    const auto& run = *static_cast<const FlatRun*>(context);
    const auto start = static_cast<int64_t>(first);
    const uint8_t* a = run.a + (run.periodA ? 0 : start);
    const uint8_t* b = run.b + (run.periodB ? 0 : start);
    const BinaryLanes lanes = lanesOf(*run.q);
    if (run.q->signedValues) binaryRow<true>(*run.q, lanes, a, 1, b, 1, run.out + start, static_cast<int64_t>(count), run.periodA, run.periodB);
    else binaryRow<false>(*run.q, lanes, a, 1, b, 1, run.out + start, static_cast<int64_t>(count), run.periodA, run.periodB);
}

void runFlat(const KernelContext& context, FlatRun run) {
    const int64_t period = std::max<int64_t>({run.periodA, run.periodB, kLanes});
    parallelizeTiles(context, flatTile, &run, static_cast<size_t>(run.count), kFlatTile, static_cast<size_t>(period));
}

struct BroadcastRun {
    const QuantizedBinary* q;
    const uint8_t* x;
    const uint8_t* y;
    uint8_t* out;
};

// Rows [first, first + count) of the broadcast, each 16 lanes at a time
// where its inputs advance by one element or stay on one, else element by
// element with the same formula.
void broadcastRows(void* context, size_t first, size_t count) {
    const auto& run = *static_cast<const BroadcastRun*>(context);
    const QuantizedBinary& q = *run.q;
    const BinaryLanes lanes = lanesOf(q);
    const auto value = [&](const uint8_t* at) { return q.signedValues ? int32_t(int8_t(*at)) : int32_t(*at); };
    const auto firstRow = static_cast<int64_t>(first);
    q.broadcast.forRows(firstRow, firstRow + static_cast<int64_t>(count), [&](int64_t start, const int64_t* from, int64_t length,
                                                                             const int64_t* step) {
        // Short rows (a [1,192,192,3] minus a [3]) cost more to set up than to compute element by element.
        if (length >= kLanes && (step[0] == 0 || step[0] == 1) && (step[1] == 0 || step[1] == 1)) {
            if (q.signedValues) binaryRow<true>(q, lanes, run.x + from[0], step[0], run.y + from[1], step[1], run.out + start, length);
            else binaryRow<false>(q, lanes, run.x + from[0], step[0], run.y + from[1], step[1], run.out + start, length);
            return;
        }
        for (int64_t i = 0; i < length; ++i)
            run.out[start + i] =
                static_cast<uint8_t>(q.scalar(value(run.x + from[0] + i * step[0]), value(run.y + from[1] + i * step[1])));
    });
}

Status evalBinary(KernelContext& context) {
    const auto& q = *static_cast<const QuantizedBinary*>(context.state.get());
    const uint8_t* x = context.input(0).data;
    const uint8_t* y = context.input(1).data;
    uint8_t* target = context.output(0).data;
    if (q.sameShapes && context.output(0).elementCount() > 0) {
        // One row, as the broadcast would give, but in tiles on the pool.
        runFlat(context, FlatRun{&q, x, y, target, context.output(0).elementCount(), 0, 0});
        return Status::ok();
    }
    if (q.channelOperand >= 0 && context.output(0).elementCount() > 0) {
        // MoveNet's [1,192,192,3] - [1,1,1,3] normalisation: rows of 3 went
        // element by element (0.063 ms); the 3 values laid out over
        // lcm(3, 16) = 48 lanes make it one flat row.
        const RuntimeTensor& small = context.input(q.channelOperand);
        const int64_t channels = small.elementCount(), period = std::lcm(channels, int64_t(kLanes));
        uint8_t pattern[kLanes * kMostChannels];
        for (int64_t k = 0; k < period; ++k) pattern[k] = small.data[k % channels];
        const uint8_t* a = q.channelOperand == 0 ? pattern : x;
        const uint8_t* b = q.channelOperand == 1 ? pattern : y;
        const int64_t periodA = q.channelOperand == 0 ? period : 0, periodB = q.channelOperand == 1 ? period : 0;
        runFlat(context, FlatRun{&q, a, b, target, context.output(0).elementCount(), periodA, periodB});
        return Status::ok();
    }
    BroadcastRun run{&q, x, y, target};
    const int64_t length = q.broadcast.rowLength();
    if (length == 0) return Status::ok();
    parallelizeTiles(context, broadcastRows, &run, static_cast<size_t>(q.broadcast.rowCount()),
                     static_cast<size_t>(std::max<int64_t>(1, static_cast<int64_t>(kFlatTile) / length)), 1);
    return Status::ok();
}

// float32 -> int8/uint8: clamp(round_half_even(x / scale) + zo), NaN to 0.
struct OutputQuantization {
    float inverse = 0, zeroPoint = 0, low = 0, high = 0;
    bool signedValues = false;
};

__attribute__((target("avx512f,avx512bw,avx512vl"))) void quantizeAvx512(const OutputQuantization& q, const float* x, uint8_t* out,
                                                                        int64_t count) {
    const __m512 inverse = _mm512_set1_ps(q.inverse), zeroPoint = _mm512_set1_ps(q.zeroPoint);
    const __m512 low = _mm512_set1_ps(q.low), high = _mm512_set1_ps(q.high);
    for (int64_t i = 0; i < count; i += kLanes) {
        const __mmask16 mask = firstLanes(count - i);
        __m512 scaled = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), inverse);
        __mmask16 numbers = _mm512_cmp_ps_mask(scaled, scaled, _CMP_ORD_Q);
        // Integers up to 2^24 are exact in float32; beyond, the clamp decides alone.
        __m512 value = _mm512_add_ps(_mm512_roundscale_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zeroPoint);
        value = _mm512_maskz_mov_ps(numbers, _mm512_min_ps(_mm512_max_ps(value, low), high));
        // In range for the type, so the low byte is the value (int8 or uint8).
        _mm_mask_storeu_epi8(out + i, mask, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(value)));
    }
}

Status prepareQuantize(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_QUANTIZE)->prepare(context));
    context.scratchBytes = 0;
    const RuntimeTensor& out = context.output(0);
    auto q = std::make_shared<OutputQuantization>();
    q->signedValues = out.type == DataType::Int8;
    q->inverse = 1.0f / out.scale();
    q->zeroPoint = static_cast<float>(out.zeroPoint());
    q->low = q->signedValues ? -128.0f : 0.0f;
    q->high = q->signedValues ? 127.0f : 255.0f;
    context.state = q;
    return Status::ok();
}

struct QuantizeRun {
    const OutputQuantization* q;
    const float* x;
    uint8_t* out;
};

void quantizeTile(void* context, size_t first, size_t count) {
    const auto& run = *static_cast<const QuantizeRun*>(context);
    quantizeAvx512(*run.q, run.x + first, run.out + first, static_cast<int64_t>(count));
}

Status evalQuantize(KernelContext& context) {
    const auto& q = *static_cast<const OutputQuantization*>(context.state.get());
    QuantizeRun run{&q, context.input(0).as<const float>(), context.output(0).data};
    parallelizeTiles(context, quantizeTile, &run, static_cast<size_t>(context.output(0).elementCount()), kFlatTile, kLanes);
    return Status::ok();
}

// int8/uint8 -> float32 (DEQUANTIZE, and CAST, which reads through the
// same value view): (q - zp) * scale. q - zp is exact in float and the
// product of two floats rounds once, as the reference's product in double
// rounds once to float: the same bits.
struct InputDequantization {
    float scale = 1, zeroPoint = 0;
    bool signedValues = false;
};

struct DequantizeRun {
    const InputDequantization* q;
    const uint8_t* x;
    float* out;
};

__attribute__((target("avx512f,avx512bw,avx512vl"))) void dequantizeTile(void* context, size_t first, size_t count) {
    const auto& run = *static_cast<const DequantizeRun*>(context);
    const __m512 scale = _mm512_set1_ps(run.q->scale), zeroPoint = _mm512_set1_ps(run.q->zeroPoint);
    const size_t end = first + count;
    for (size_t i = first; i < end; i += kLanes) {
        const __mmask16 mask = firstLanes(static_cast<int64_t>(end - i));
        const __m512i values = run.q->signedValues ? loadBytesAsInt32<true>(run.x + i, mask) : loadBytesAsInt32<false>(run.x + i, mask);
        _mm512_mask_storeu_ps(run.out + i, mask, _mm512_mul_ps(_mm512_sub_ps(_mm512_cvtepi32_ps(values), zeroPoint), scale));
    }
}

Status prepareDequantize(KernelContext& context) {
    const int32_t builtin = context.model->opCode(*context.op).builtin;
    LS_RETURN_IF_ERROR(findReferenceKernel(builtin)->prepare(context));
    context.scratchBytes = 0;
    const RuntimeTensor& input = context.input(0);
    auto q = std::make_shared<InputDequantization>();
    q->signedValues = input.type == DataType::Int8;
    if (input.isQuantized()) {
        q->scale = input.scale();
        q->zeroPoint = static_cast<float>(input.zeroPoint());
    }
    context.state = q;  // in place of the reference's table
    return Status::ok();
}

Status evalDequantize(KernelContext& context) {
    const auto& q = *static_cast<const InputDequantization*>(context.state.get());
    DequantizeRun run{&q, context.input(0).data, context.output(0).as<float>()};
    parallelizeTiles(context, dequantizeTile, &run, static_cast<size_t>(context.output(0).elementCount()), kFlatTile, kLanes);
    return Status::ok();
}

bool perTensor(const Tensor& tensor) {
    return (tensor.type == DataType::Int8 || tensor.type == DataType::UInt8) && tensor.quantization.scales.size() == 1 &&
           tensor.quantization.zeroPoints.size() <= 1 && tensor.quantization.scales[0] > 0;
}

}  // namespace

Expected<std::shared_ptr<const QuantizedSum>> packQuantizedSum(const RuntimeTensor& a, const RuntimeTensor& b, const RuntimeTensor& out,
                                                               int activation) {
    auto sum = reference::fixedPointSum(a.scale(), a.zeroPoint(), b.scale(), b.zeroPoint(), out.scale(), false);
    if (!sum) return Status::error("an ADD of " + a.name + " and " + b.name + ": scales outside the fixed-point range");
    auto packed = std::make_shared<QuantizedSum>();
    QuantizedBinary& q = packed->q;
    q.signedValues = out.type == DataType::Int8;
    q.zeroOut = out.zeroPoint();
    const reference::QuantizedRange range = reference::quantizedActivationRange(out, static_cast<schema::ActivationFunctionType>(activation));
    q.low = range.low, q.high = range.high;
    q.multiplierA = sum->multiplierA, q.multiplierB = sum->multiplierB, q.bias = sum->bias, q.shift = sum->shift;
    return std::shared_ptr<const QuantizedSum>(std::move(packed));
}

void runQuantizedSum(const QuantizedSum& sum, const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t count) {
    const BinaryLanes lanes = lanesOf(sum.q);
    if (sum.q.signedValues) binaryRow<true>(sum.q, lanes, a, 1, b, 1, out, count);
    else binaryRow<false>(sum.q, lanes, a, 1, b, 1, out, count);
}

const KernelDef* quantizedElementwiseKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef binary{prepareBinary, evalBinary}, quantize{prepareQuantize, evalQuantize},
        dequantize{prepareDequantize, evalDequantize};
    if (!cpuHasAvx512() || op.outputs.size() != 1 || op.inputs.empty() || op.inputs[0] < 0) return nullptr;
    const int32_t builtin = model.opCode(op).builtin;
    const Tensor& out = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    const Tensor& a = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    if (builtin == schema::BuiltinOperator_DEQUANTIZE || builtin == schema::BuiltinOperator_CAST) {
        // One scale (or none, for a plain CAST); per-channel inputs stay on the reference.
        if (op.inputs.size() != 1 || (a.type != DataType::Int8 && a.type != DataType::UInt8) || out.type != DataType::Float32 ||
            a.quantization.scales.size() > 1 || a.quantization.zeroPoints.size() > 1 || a.shape != out.shape ||
            (!a.quantization.zeroPoints.empty() && std::abs(a.quantization.zeroPoints[0]) > 65536))  // exact in float
            return nullptr;
        return &dequantize;
    }
    if (builtin == schema::BuiltinOperator_QUANTIZE) {
        if (op.inputs.size() != 1 || a.type != DataType::Float32 || !perTensor(out) ||
            out.quantization.scheme != Quantization::Scheme::PerTensor)
            return nullptr;
        return &quantize;
    }
    if (builtin != schema::BuiltinOperator_ADD && builtin != schema::BuiltinOperator_SUB && builtin != schema::BuiltinOperator_MUL)
        return nullptr;
    if (op.inputs.size() != 2 || op.inputs[1] < 0) return nullptr;
    const Tensor& b = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    if (!perTensor(a) || !perTensor(b) || !perTensor(out) || a.type != out.type || b.type != out.type ||
        a.shape.size() > 6 || b.shape.size() > 6)
        return nullptr;
    auto activation = reference::binaryActivation(*op.options);
    if (activation == schema::ActivationFunctionType_TANH || activation == schema::ActivationFunctionType_SIGN_BIT) return nullptr;
    // Against another small operand where the other has the output's shape
    // (a [1,5,1] against a [2,5,7]), the reference looks every output up in
    // a table of all 256 byte values: faster than rows of a few elements.
    // Per-channel and single values run here as one repeating row.
    const int small = reference::smallOperandIndex(a.shape, b.shape, out.shape);
    if (small >= 0 && !perInnermostChannel(small == 0 ? a.shape : b.shape, out.shape)) return nullptr;
    // ADD/SUB only where the reference adds in fixed point (its other path rounds differently).
    auto zeroPoint = [](const Tensor& t) { return t.quantization.zeroPoints.empty() ? 0 : static_cast<int32_t>(t.quantization.zeroPoints[0]); };
    if (builtin != schema::BuiltinOperator_MUL &&
        !reference::fixedPointSum(a.quantization.scales[0], zeroPoint(a), b.quantization.scales[0], zeroPoint(b),
                                  out.quantization.scales[0], builtin == schema::BuiltinOperator_SUB))
        return nullptr;
    return &binary;
}

}  // namespace litestudio::cpu

// Reductions over axes (MEAN, SUM, REDUCE_*), ARG_MAX/ARG_MIN, and the
// normalisations along the last axis (SOFTMAX, LOG_SOFTMAX, L2_NORMALIZATION,
// LOCAL_RESPONSE_NORMALIZATION).

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

constexpr int kMaxRank = 8;

Expected<std::vector<bool>> reducedAxes(const KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    std::vector<bool> reduced(input.shape.size(), false);
    for (int64_t axis : readIntegers(context.input(1))) {
        int a = normalizeAxis(static_cast<int>(axis), input.rank());
        if (a < 0 || a >= input.rank()) return context.error("axis " + std::to_string(axis) + " out of range");
        reduced[static_cast<size_t>(a)] = true;
    }
    return reduced;
}

bool keepDims(const KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_ReducerOptions();
    return options && options->keep_dims();
}

// The input's shape with the reduced axes dropped, or kept as 1.
std::vector<int32_t> reducedShape(const KernelContext& context, const std::vector<bool>& reduced) {
    std::vector<int32_t> shape;
    for (size_t d = 0; d < reduced.size(); ++d) {
        if (!reduced[d]) shape.push_back(context.input(0).shape[d]);
        else if (keepDims(context)) shape.push_back(1);
    }
    return shape;
}

Status prepareReduce(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 1));
    if (!context.knows(context.input(1))) return Status::ok();  // axes known at run time
    if (context.input(0).rank() > kMaxRank) return context.error("supports up to " + std::to_string(kMaxRank) + " dimensions");
    auto reduced = reducedAxes(context);
    if (!reduced) return reduced.status();
    context.output(0).shape = reducedShape(context, *reduced);
    // Room for one row of double sums: the fast path of evalReduce.
    int64_t inner = 1;
    for (int d = context.input(0).rank() - 1; d >= 0 && !(*reduced)[static_cast<size_t>(d)]; --d) inner *= context.input(0).dim(d);
    context.scratchBytes = static_cast<size_t>(inner) * sizeof(double);
    return Status::ok();
}

// The reduced axes as one contiguous run: outer x span x inner, or nothing.
// Axes of length 1 do not break a run, reduced or not ([1, T, C] over axes
// 0 and 2 is one run of C per row).
struct ContiguousRun {
    int64_t outer = 1, span = 1, inner = 1;
};
std::optional<ContiguousRun> contiguousRun(const RuntimeTensor& input, const std::vector<bool>& reduced) {
    int rank = input.rank(), first = -1, last = -1;
    for (int d = 0; d < rank; ++d)
        if (reduced[static_cast<size_t>(d)] && input.dim(d) != 1) {
            if (first < 0) first = d;
            for (int gap = last + 1; last >= 0 && gap < d; ++gap)
                if (input.dim(gap) != 1) return std::nullopt;
            last = d;
        }
    if (first < 0) return std::nullopt;
    ContiguousRun run;
    for (int d = 0; d < first; ++d) run.outer *= input.dim(d);
    for (int d = first; d <= last; ++d) run.span *= input.dim(d);
    for (int d = last + 1; d < rank; ++d) run.inner *= input.dim(d);
    return run;
}

// float32 SUM/MEAN/REDUCE_MAX/REDUCE_MIN over one contiguous run of axes
// (global average pooling, [N,H,W,C] over H and W; a norm's sum over the
// last axis). Sums of rows are added into per-element double sums in the
// order the general path adds them, so the results are identical. Over the
// last axis alone (inner == 1) one chain of dependent double adds costs 2 ns
// an element, so eight partial sums take turns there: the double total may
// then differ in its last bits, which rounding to float hides but for
// values within 2^-29 of a float tie. MAX and MIN skip NaN as the general
// path's std::max/std::min do, in any order.
template <schema::BuiltinOperator Code>
bool reduceContiguousFloat(KernelContext& context, const std::vector<bool>& reduced) {
    constexpr bool isSum = Code == schema::BuiltinOperator_SUM || Code == schema::BuiltinOperator_MEAN;
    constexpr bool isExtreme = Code == schema::BuiltinOperator_REDUCE_MAX || Code == schema::BuiltinOperator_REDUCE_MIN;
    if (!isSum && !isExtreme) return false;
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    if (input.type != DataType::Float32 || out.type != DataType::Float32) return false;
    auto run = contiguousRun(input, reduced);
    if (!run || run->outer * run->inner != out.elementCount() || context.scratchBytes < static_cast<size_t>(run->inner) * sizeof(double))
        return false;
    const int64_t outer = run->outer, span = run->span, inner = run->inner;
    const float* x = input.as<const float>();
    float* y = out.as<float>();
    auto better = [](float a, float b) { return Code == schema::BuiltinOperator_REDUCE_MAX ? std::max(a, b) : std::min(a, b); };
    const float initial = Code == schema::BuiltinOperator_REDUCE_MAX ? -INFINITY : INFINITY;
    constexpr int kChains = 8;
    if (isExtreme && inner == 1) {
        for (int64_t o = 0; o < outer; ++o) {
            const float* row = x + o * span;
            float partial[kChains];
            std::fill(partial, partial + kChains, initial);
            int64_t r = 0;
            for (; r + kChains <= span; r += kChains)
                for (int c = 0; c < kChains; ++c) partial[c] = better(partial[c], row[r + c]);
            for (; r < span; ++r) partial[0] = better(partial[0], row[r]);
            for (int c = 1; c < kChains; ++c) partial[0] = better(partial[0], partial[c]);
            y[o] = partial[0];
        }
        return true;
    }
    if (isExtreme) {
        auto* best = reinterpret_cast<float*>(context.scratch);  // as many bytes as the doubles it was sized for
        for (int64_t o = 0; o < outer; ++o) {
            std::fill(best, best + inner, initial);
            for (int64_t r = 0; r < span; ++r) {
                const float* row = x + (o * span + r) * inner;
                for (int64_t i = 0; i < inner; ++i) best[i] = better(best[i], row[i]);
            }
            std::copy(best, best + inner, y + o * inner);
        }
        return true;
    }
    auto finish = [&](double sum) {
        return static_cast<float>(Code == schema::BuiltinOperator_MEAN && span ? sum / static_cast<double>(span) : sum);
    };
    if (inner == 1) {
        for (int64_t o = 0; o < outer; ++o) {
            const float* row = x + o * span;
            double partial[kChains] = {};
            int64_t r = 0;
            for (; r + kChains <= span; r += kChains)
                for (int c = 0; c < kChains; ++c) partial[c] += row[r + c];
            for (; r < span; ++r) partial[0] += row[r];
            double total = 0.0;
            for (double value : partial) total += value;
            y[o] = finish(total);
        }
        return true;
    }
    double* sums = reinterpret_cast<double*>(context.scratch);
    for (int64_t o = 0; o < outer; ++o) {
        std::fill(sums, sums + inner, 0.0);
        for (int64_t r = 0; r < span; ++r) {
            const float* row = x + (o * span + r) * inner;
            for (int64_t i = 0; i < inner; ++i) sums[i] += row[i];
        }
        for (int64_t i = 0; i < inner; ++i) y[o * inner + i] = finish(sums[i]);
    }
    return true;
}

// int8/uint8 SUM/MEAN over one contiguous run: the general path adds
// (q - zero point) * scale in double, and every partial sum of those is
// exact (8-bit values, 24-bit scale, at most 2^20 terms: under 2^53), so
// summing the integers first and scaling once gives the same doubles
// (the int8 MobileNet v2 of tflite-micro: global pool 0.46 -> 0.01 ms).
template <schema::BuiltinOperator Code>
bool reduceContiguousQuantized(KernelContext& context, const std::vector<bool>& reduced) {
    if (Code != schema::BuiltinOperator_SUM && Code != schema::BuiltinOperator_MEAN) return false;
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    if ((input.type != DataType::Int8 && input.type != DataType::UInt8) || !input.isQuantized() ||
        input.quantization->scales.size() != 1 || input.quantization->zeroPoints.size() > 1)
        return false;
    auto run = contiguousRun(input, reduced);
    if (!run || run->span > (int64_t(1) << 20) || run->outer * run->inner != out.elementCount() ||
        context.scratchBytes < static_cast<size_t>(run->inner) * sizeof(double))
        return false;
    const int64_t outer = run->outer, span = run->span, inner = run->inner;
    const int64_t zeroPoint = input.zeroPoint();
    const double scale = input.quantization->scales[0];
    auto* sums = reinterpret_cast<int64_t*>(context.scratch);  // as many bytes as the doubles it was sized for
    ValueWriter write(out);
    for (int64_t o = 0; o < outer; ++o) {
        std::fill(sums, sums + inner, 0);
        for (int64_t r = 0; r < span; ++r) {
            const int64_t offset = (o * span + r) * inner;
            if (input.type == DataType::Int8) {
                const int8_t* row = input.as<const int8_t>() + offset;
                for (int64_t i = 0; i < inner; ++i) sums[i] += row[i];
            } else {
                const uint8_t* row = input.as<const uint8_t>() + offset;
                for (int64_t i = 0; i < inner; ++i) sums[i] += row[i];
            }
        }
        for (int64_t i = 0; i < inner; ++i) {
            double total = static_cast<double>(sums[i] - zeroPoint * span) * scale;
            write(o * inner + i, Code == schema::BuiltinOperator_MEAN && span ? total / static_cast<double>(span) : total);
        }
    }
    return true;
}

template <schema::BuiltinOperator Code>
Status evalReduce(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    auto reduced = reducedAxes(context);
    if (!reduced) return reduced.status();
    if (input.rank() > kMaxRank) return context.error("supports up to " + std::to_string(kMaxRank) + " dimensions");
    // Axes given at run time leave the output as the model declares it,
    // which may hold another number of values than the reduction makes.
    const std::vector<int32_t> shape = reducedShape(context, *reduced);
    int64_t values = 1;
    bool overflows = false;
    for (int32_t dim : shape) overflows |= __builtin_mul_overflow(values, int64_t(dim), &values);
    if (overflows || values != out.elementCount())
        return context.error("output '" + out.name + "' " + shapeText(out.shape) + " holds " + std::to_string(out.elementCount()) +
                             " values; the reduction of " + shapeText(input.shape) + " makes " + std::to_string(values));
    if (reduceContiguousFloat<Code>(context, *reduced)) return Status::ok();
    if (reduceContiguousQuantized<Code>(context, *reduced)) return Status::ok();
    ValueReader read(input);
    ValueWriter write(out);
    // The output index of an input element: its coordinates on kept axes.
    std::vector<int32_t> keptShape;
    for (size_t d = 0; d < reduced->size(); ++d) keptShape.push_back((*reduced)[d] ? 1 : input.shape[d]);
    int64_t outCount = out.elementCount();
    int64_t perOutput = outCount ? input.elementCount() / outCount : 0;
    double initial = Code == schema::BuiltinOperator_REDUCE_MAX   ? -INFINITY
                     : Code == schema::BuiltinOperator_REDUCE_MIN ? INFINITY
                     : Code == schema::BuiltinOperator_REDUCE_PROD || Code == schema::BuiltinOperator_REDUCE_ALL ? 1.0
                                                                  : 0.0;
    std::vector<int64_t> inStrides = stridesOf(input.shape);
    int64_t base[kMaxRank];
    for (int64_t o = 0; o < outCount; ++o) {
        // Coordinates of the o-th output on the kept axes; reduced axes are swept below.
        double accumulator = initial;
        int64_t rest = o;
        for (int d = static_cast<int>(keptShape.size()) - 1; d >= 0; --d) {
            base[d] = rest % keptShape[static_cast<size_t>(d)];
            rest /= keptShape[static_cast<size_t>(d)];
        }
        for (int64_t r = 0; r < perOutput; ++r) {
            int64_t rr = r, offset = 0;
            for (int d = static_cast<int>(input.shape.size()) - 1; d >= 0; --d) {
                int64_t coordinate = base[d];
                if ((*reduced)[static_cast<size_t>(d)]) {
                    coordinate = rr % input.shape[static_cast<size_t>(d)];
                    rr /= input.shape[static_cast<size_t>(d)];
                }
                offset += coordinate * inStrides[static_cast<size_t>(d)];
            }
            double value = read(offset);
            switch (Code) {
            case schema::BuiltinOperator_REDUCE_MAX: accumulator = std::max(accumulator, value); break;
            case schema::BuiltinOperator_REDUCE_MIN: accumulator = std::min(accumulator, value); break;
            case schema::BuiltinOperator_REDUCE_PROD: accumulator *= value; break;
            case schema::BuiltinOperator_REDUCE_ANY: accumulator = accumulator || value != 0; break;
            case schema::BuiltinOperator_REDUCE_ALL: accumulator = accumulator && value != 0; break;
            default: accumulator += value;
            }
        }
        if (Code == schema::BuiltinOperator_MEAN && perOutput) accumulator /= static_cast<double>(perOutput);
        write(o, accumulator);
    }
    return Status::ok();
}

Status prepareLastAxis(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 1, 1, 1));
    if (context.input(0).rank() < 1) return context.error("needs at least one dimension");
    context.output(0).shape = context.input(0).shape;
    return Status::ok();
}

template <schema::BuiltinOperator Code>
Status evalLastAxis(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    ValueReader read(input);
    ValueWriter write(context.output(0));
    int64_t depth = input.dim(input.rank() - 1), rows = depth ? input.elementCount() / depth : 0;
    float beta = 1.0f;
    if (const auto* options = context.op->options->builtin_options_as_SoftmaxOptions()) beta = options->beta();
    // Values that are a function of the stored byte alone: 8-bit, one scale.
    const bool byteKeys = (input.type == DataType::UInt8 || input.type == DataType::Int8) &&
                          (!input.quantization || input.quantization->scales.size() <= 1);
    std::array<double, 256> exponentials{};
    std::array<bool, 256> known{};
    RuntimeTensor& output = context.output(0);
    const bool byteOutput = byteKeys && (output.type == DataType::UInt8 || output.type == DataType::Int8);
    std::array<int64_t, 256> writtenAt{};
    for (int64_t r = 0; r < rows; ++r) {
        int64_t base = r * depth;
        if (Code == schema::BuiltinOperator_L2_NORMALIZATION) {
            double squares = 0;
            for (int64_t i = 0; i < depth; ++i) squares += read(base + i) * read(base + i);
            double norm = std::sqrt(std::max(squares, 1e-6));
            for (int64_t i = 0; i < depth; ++i) write(base + i, read(base + i) / norm);
            continue;
        }
        double maximum = -INFINITY;
        for (int64_t i = 0; i < depth; ++i) maximum = std::max(maximum, read(base + i));
        // An 8-bit row holds at most 256 values: each one's exponential is
        // worked out once and summed in the same order, so the same sum (a
        // quantized classifier's 1001 classes: 2002 exponentials -> at most 256).
        std::fill(known.begin(), known.end(), false);
        auto exponential = [&](int64_t i) {
            if (!byteKeys) return std::exp((read(base + i) - maximum) * beta);
            const uint8_t key = input.data[base + i];
            if (!known[key]) exponentials[key] = std::exp((read(base + i) - maximum) * beta), known[key] = true;
            return exponentials[key];
        };
        double sum = 0;
        for (int64_t i = 0; i < depth; ++i) sum += exponential(i);
        std::fill(writtenAt.begin(), writtenAt.end(), -1);
        for (int64_t i = 0; i < depth; ++i) {
            if (byteOutput) {
                // Into 8 bits as well: the same byte in gives the same byte out.
                int64_t& first = writtenAt[input.data[base + i]];
                if (first >= 0) {
                    output.data[base + i] = output.data[first];
                    continue;
                }
                first = base + i;
            }
            if (Code == schema::BuiltinOperator_LOG_SOFTMAX) write(base + i, (read(base + i) - maximum) * beta - std::log(sum));
            else write(base + i, exponential(i) / sum);
        }
    }
    return Status::ok();
}

Status prepareArg(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 1));
    LS_RETURN_IF_ERROR(expectType(context, context.output(0), {DataType::Int32, DataType::Int64}));
    if (!context.knows(context.input(1))) return Status::ok();  // axis known at run time
    const RuntimeTensor& input = context.input(0);
    auto axisValue = firstInteger(context, context.input(1));
    if (!axisValue) return axisValue.status();
    int axis = normalizeAxis(static_cast<int>(*axisValue), input.rank());
    if (axis < 0 || axis >= input.rank()) return context.error("axis out of range");
    std::vector<int32_t> shape = input.shape;
    shape.erase(shape.begin() + axis);
    context.output(0).shape = shape;
    return Status::ok();
}

// The stored values themselves, where they order as the real values do
// (float, integers, and 8/16-bit quantized values with a positive scale):
// no per-element conversion, 16.6 -> 2 ms for DeepLab's 513x513x21 ARG_MAX.
template <bool Max, typename Stored>
void argOverStored(const RuntimeTensor& input, RuntimeTensor& out, int64_t outer, int64_t size, int64_t inner) {
    const Stored* x = input.as<const Stored>();
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
            const Stored* at = x + o * size * inner + i;
            int64_t best = 0;
            Stored bestValue = at[0];
            for (int64_t k = 1; k < size; ++k) {
                Stored value = at[k * inner];
                if (Max ? value > bestValue : value < bestValue) bestValue = value, best = k;
            }
            if (out.type == DataType::Int64) out.as<int64_t>()[o * inner + i] = best;
            else out.as<int32_t>()[o * inner + i] = static_cast<int32_t>(best);
        }
}

template <bool Max>
Status evalArg(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    auto axisValue = firstInteger(context, context.input(1));
    if (!axisValue) return axisValue.status();
    // The axis may be computed in this run: checked again here.
    int axis = normalizeAxis(static_cast<int>(*axisValue), input.rank());
    if (axis < 0 || axis >= input.rank()) return context.error("axis out of range");
    int64_t outer = 1, inner = 1, size = input.dim(axis);
    for (int d = 0; d < axis; ++d) outer *= input.dim(d);
    for (int d = axis + 1; d < input.rank(); ++d) inner *= input.dim(d);
    RuntimeTensor& out = context.output(0);
    if (size == 0 && outer * inner > 0) return context.error("takes the arg of an empty axis in " + shapeText(input.shape));
    // An axis read only now leaves the output as the model declared it.
    if (out.elementCount() != outer * inner)
        return context.error("output " + out.name + " " + shapeText(out.shape) + " holds " + std::to_string(out.elementCount()) +
                             " values; the arg over axis " + std::to_string(axis) + " of " + shapeText(input.shape) + " has " +
                             std::to_string(outer * inner));
    if (!input.isQuantized() || input.scale() > 0.0f) {
        switch (input.type) {
        case DataType::Float32: argOverStored<Max, float>(input, out, outer, size, inner); return Status::ok();
        case DataType::UInt8: argOverStored<Max, uint8_t>(input, out, outer, size, inner); return Status::ok();
        case DataType::Int8: argOverStored<Max, int8_t>(input, out, outer, size, inner); return Status::ok();
        case DataType::Int16: argOverStored<Max, int16_t>(input, out, outer, size, inner); return Status::ok();
        case DataType::Int32: argOverStored<Max, int32_t>(input, out, outer, size, inner); return Status::ok();
        case DataType::Int64: argOverStored<Max, int64_t>(input, out, outer, size, inner); return Status::ok();
        default: break;
        }
    }
    ValueReader read(input);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
            int64_t best = 0;
            double bestValue = read(o * size * inner + i);
            for (int64_t k = 1; k < size; ++k) {
                double value = read((o * size + k) * inner + i);
                if (Max ? value > bestValue : value < bestValue) bestValue = value, best = k;
            }
            if (out.type == DataType::Int64) out.as<int64_t>()[o * inner + i] = best;
            else out.as<int32_t>()[o * inner + i] = static_cast<int32_t>(best);
        }
    return Status::ok();
}

template <schema::BuiltinOperator Code>
void addReduce(KernelTable& table) {
    table[Code] = {prepareReduce, evalReduce<Code>};
}

// LOCAL_RESPONSE_NORMALIZATION (float32, as Inception v1 and AlexNet use
// it): x / (bias + alpha * sum of squares)^beta, the sum over channels
// [c - radius, c + radius] of the same pixel, as TFLite's optimized kernel
// (its reference kernel stops one channel short of c + radius).
Status prepareLocalResponseNormalization(KernelContext& context) {
    LS_RETURN_IF_ERROR(prepareLastAxis(context));
    const auto* options = context.op->options->builtin_options_as_LocalResponseNormalizationOptions();
    if (!options || options->radius() < 0) return context.error("needs options with a radius of 0 or more");
    if (context.input(0).type != DataType::Float32 || context.output(0).type != DataType::Float32)
        return context.error("takes float32 tensors only, as TFLite");
    return Status::ok();
}

Status evalLocalResponseNormalization(KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_LocalResponseNormalizationOptions();
    const RuntimeTensor& input = context.input(0);
    const float* x = input.as<const float>();
    float* y = context.output(0).as<float>();
    const int64_t depth = input.dim(input.rank() - 1), rows = depth ? input.elementCount() / depth : 0, radius = options->radius();
    const float bias = options->bias(), alpha = options->alpha(), beta = options->beta();
    std::vector<float> squares(static_cast<size_t>(depth));
    for (int64_t r = 0; r < rows; ++r) {
        const float* row = x + r * depth;
        for (int64_t c = 0; c < depth; ++c) squares[static_cast<size_t>(c)] = row[c] * row[c] * alpha;
        // A running sum over the window, as TFLite keeps it: the same float additions in the same order.
        float window = 0;
        for (int64_t c = 0; c < std::min(radius, depth); ++c) window += squares[static_cast<size_t>(c)];
        for (int64_t c = 0; c < depth; ++c) {
            if (c + radius < depth) window += squares[static_cast<size_t>(c + radius)];
            y[r * depth + c] = row[c] * std::pow(bias + window, -beta);
            if (c - radius >= 0) window -= squares[static_cast<size_t>(c - radius)];
        }
    }
    return Status::ok();
}

}  // namespace

void addReductionKernels(KernelTable& table) {
    table[schema::BuiltinOperator_LOCAL_RESPONSE_NORMALIZATION] = {prepareLocalResponseNormalization, evalLocalResponseNormalization};
    addReduce<schema::BuiltinOperator_MEAN>(table);
    addReduce<schema::BuiltinOperator_SUM>(table);
    addReduce<schema::BuiltinOperator_REDUCE_MAX>(table);
    addReduce<schema::BuiltinOperator_REDUCE_MIN>(table);
    addReduce<schema::BuiltinOperator_REDUCE_PROD>(table);
    addReduce<schema::BuiltinOperator_REDUCE_ANY>(table);
    addReduce<schema::BuiltinOperator_REDUCE_ALL>(table);
    table[schema::BuiltinOperator_SOFTMAX] = {prepareLastAxis, evalLastAxis<schema::BuiltinOperator_SOFTMAX>};
    table[schema::BuiltinOperator_LOG_SOFTMAX] = {prepareLastAxis, evalLastAxis<schema::BuiltinOperator_LOG_SOFTMAX>};
    table[schema::BuiltinOperator_L2_NORMALIZATION] = {prepareLastAxis,
                                                       evalLastAxis<schema::BuiltinOperator_L2_NORMALIZATION>};
    table[schema::BuiltinOperator_ARG_MAX] = {prepareArg, evalArg<true>};
    table[schema::BuiltinOperator_ARG_MIN] = {prepareArg, evalArg<false>};
}

}  // namespace litestudio::reference

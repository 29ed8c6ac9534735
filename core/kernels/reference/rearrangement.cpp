// Ops that rearrange elements without arithmetic: padding (PAD, PADV2,
// MIRROR_PAD), TRANSPOSE, SLICE/STRIDED_SLICE, TILE/BROADCAST_TO and
// SPACE_TO_DEPTH/DEPTH_TO_SPACE, all in NHWC where layout matters.

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/kernels/reference/element_copier.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

// ---- padding ----
// A mirror reaches back at most the axis less its edge (REFLECT) or all of
// it (SYMMETRIC), as TensorFlow requires: nothing to mirror past that (an
// empty axis mirrored had clamped into [0, -1] and read outside the input).
Status checkMirrorReach(const KernelContext& context, const RuntimeTensor& input, const std::vector<int64_t>& pads) {
    if (context.model->opCode(*context.op).builtin != schema::BuiltinOperator_MIRROR_PAD) return Status::ok();
    const auto* mirror = context.op->options ? context.op->options->builtin_options_as_MirrorPadOptions() : nullptr;
    const bool symmetric = mirror && mirror->mode() == schema::MirrorPadMode_SYMMETRIC;
    for (size_t d = 0; d < input.shape.size() && 2 * d + 1 < pads.size(); ++d) {
        const int64_t most = int64_t{input.shape[d]} - (symmetric ? 0 : 1);
        if (pads[2 * d] > most || pads[2 * d + 1] > most)
            return context.error(std::string(symmetric ? "SYMMETRIC" : "REFLECT") + " padding of axis " + std::to_string(d) + " of " +
                                 shapeText(input.shape) + " by " + std::to_string(pads[2 * d]) + " and " + std::to_string(pads[2 * d + 1]) +
                                 " reaches past the axis (at most " + std::to_string(std::max<int64_t>(most, 0)) + ")");
    }
    return Status::ok();
}

Status preparePad(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    if (!context.hasInput(1) || !context.knows(context.input(1))) return Status::ok();
    std::vector<int64_t> pads = readIntegers(context.input(1));
    if (pads.size() != input.shape.size() * 2) return context.error("paddings do not match the input's rank");
    for (int64_t pad : pads)
        if (pad < 0 || pad > (1 << 24)) return context.error("padding " + std::to_string(pad) + " is negative or absurd");
    LS_RETURN_IF_ERROR(checkMirrorReach(context, input, pads));
    std::vector<int32_t> shape = input.shape;
    for (size_t d = 0; d < shape.size(); ++d) {
        const int64_t padded = int64_t{shape[d]} + pads[2 * d] + pads[2 * d + 1];
        if (padded > INT32_MAX)
            return context.error("padding axis " + std::to_string(d) + " of " + shapeText(input.shape) + " to " + std::to_string(padded) +
                                 " passes the largest dimension, 2^31 - 1");
        shape[d] = static_cast<int32_t>(padded);
    }
    context.output(0).shape = shape;
    return Status::ok();
}

Status evalPad(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    std::vector<int64_t> pads = readIntegers(context.input(1));
    // The paddings may be values computed in this run: check them against
    // the planned output before indexing with them.
    bool consistent = pads.size() == input.shape.size() * 2 && out.rank() == input.rank();
    for (int d = 0; consistent && d < input.rank(); ++d)
        consistent = pads[2 * size_t(d)] >= 0 && pads[2 * size_t(d) + 1] >= 0 &&
                     out.dim(d) == input.dim(d) + pads[2 * size_t(d)] + pads[2 * size_t(d) + 1];
    if (!consistent) return context.error("paddings do not turn " + shapeText(input.shape) + " into the planned " + shapeText(out.shape));
    LS_RETURN_IF_ERROR(checkMirrorReach(context, input, pads));  // paddings computed in this run
    const auto* mirror = context.op->options->builtin_options_as_MirrorPadOptions();
    bool isMirror = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_MIRROR_PAD;
    int mirrorOffset = isMirror && mirror && mirror->mode() == schema::MirrorPadMode_SYMMETRIC ? 0 : 1;
    double padValue = context.hasInput(2) ? ValueReader(context.input(2))(0) : 0.0;
    ElementCopier copy(input, out);
    std::vector<int64_t> inStrides = stridesOf(input.shape);
    const int rank = out.rank();
    if (rank == 0) {
        if (out.elementCount() == 1) copy(0, 0);
        return Status::ok();
    }
    // Where output coordinate `coordinate` of axis d reads from, or -1 for the pad value.
    auto source = [&](int d, int64_t coordinate) -> int64_t {
        coordinate -= pads[2 * static_cast<size_t>(d)];
        const int64_t size = input.dim(d);
        if (coordinate >= 0 && coordinate < size) return coordinate;
        if (!isMirror) return -1;
        // In the axis: checkMirrorReach refused paddings that reach past it.
        return coordinate < 0 ? -coordinate - 1 + mirrorOffset : 2 * size - coordinate - 1 - mirrorOffset;
    };
    // Row by row along the last padded axis, the axes after it (padded on
    // neither side) one block of `inner` elements a position: the outer
    // coordinates are worked out once a row, the row's inside is one run (a
    // mirror pad of a 224x224x3 image went 11 -> ~1 ns an element element
    // by element along the channels; 0.66 -> 0.022-0.030 ms for 230 rows of
    // whole pixels instead of 52,900 of 3 channels).
    int last = rank - 1;
    int64_t inner = 1;
    while (last > 0 && pads[2 * static_cast<size_t>(last)] == 0 && pads[2 * static_cast<size_t>(last) + 1] == 0) inner *= out.dim(last--);
    const int64_t width = out.dim(last), before = pads[2 * static_cast<size_t>(last)], inside = input.dim(last);
    const int64_t rows = width > 0 && inner > 0 ? out.elementCount() / (width * inner) : 0;
    for (int64_t row = 0; row < rows; ++row) {
        int64_t rest = row, from = 0;
        bool padded = false;
        for (int d = last - 1; d >= 0 && !padded; --d) {
            const int64_t coordinate = source(d, rest % out.dim(d));
            rest /= out.dim(d);
            if (coordinate < 0) padded = true;
            else from += coordinate * inStrides[static_cast<size_t>(d)];
        }
        const int64_t to = row * width * inner;
        for (int64_t x = 0; x < width; ++x) {
            if (!padded && x == before && inside > 0) {
                copy.run(from, to + x * inner, inside * inner);
                x += inside - 1;
                continue;
            }
            const int64_t coordinate = padded ? -1 : source(last, x);
            if (coordinate >= 0) {
                copy.run(from + coordinate * inner, to + x * inner, inner);
                continue;
            }
            for (int64_t i = 0; i < inner; ++i) copy.write(to + x * inner + i, padValue);
        }
    }
    return Status::ok();
}

// ---- transpose ----
// The transposed shape, once the permutation is checked to be one.
Expected<std::vector<int32_t>> transposedShape(const KernelContext& context, const std::vector<int64_t>& perm) {
    const RuntimeTensor& input = context.input(0);
    if (perm.size() != input.shape.size()) return context.error("permutation does not match the input's rank");
    std::vector<int32_t> shape(perm.size());
    std::vector<bool> used(perm.size(), false);
    for (size_t i = 0; i < perm.size(); ++i) {
        if (perm[i] < 0 || perm[i] >= input.rank() || used[static_cast<size_t>(perm[i])])
            return context.error("permutation entry " + std::to_string(perm[i]) + " is out of range or repeated");
        used[static_cast<size_t>(perm[i])] = true;
        shape[i] = input.dim(static_cast<int>(perm[i]));
    }
    return shape;
}

Status prepareTranspose(KernelContext& context) {
    if (!context.knows(context.input(1))) return Status::ok();
    auto shape = transposedShape(context, readIntegers(context.input(1)));
    if (!shape) return shape.status();
    context.output(0).shape = *shape;
    return Status::ok();
}

Status evalTranspose(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    std::vector<int64_t> perm = readIntegers(context.input(1));
    auto shape = transposedShape(context, perm);  // the permutation may be computed in this run
    if (!shape) return shape.status();
    if (*shape != out.shape)
        return context.error("permutation gives " + shapeText(*shape) + ", the output was planned as " + shapeText(out.shape));
    std::vector<int64_t> inStrides = stridesOf(input.shape);
    ElementCopier copy(input, out);
    // Trailing dimensions the permutation keeps in place are copied as one
    // run ([T, heads, D] -> [heads, T, D] moves rows of D).
    int kept = out.rank();
    int64_t run = 1;
    while (kept > 0 && perm[static_cast<size_t>(kept - 1)] == kept - 1) run *= out.dim(--kept);
    if (out.elementCount() == 0) return Status::ok();
    // The input offset follows the output coordinates like an odometer: no
    // division per element (an NCHW -> NHWC image went 14 -> ~1 ns an element).
    std::vector<int64_t> coordinate(static_cast<size_t>(kept), 0), step(static_cast<size_t>(kept));
    for (int d = 0; d < kept; ++d) step[static_cast<size_t>(d)] = inStrides[static_cast<size_t>(perm[static_cast<size_t>(d)])];
    int64_t from = 0;
    auto advance = [&] {
        for (int d = kept - 1; d >= 0; --d) {
            size_t i = static_cast<size_t>(d);
            from += step[i];
            if (++coordinate[i] < out.dim(d)) return;
            from -= step[i] * out.dim(d);
            coordinate[i] = 0;
        }
    };
    const int64_t count = out.elementCount();
    // A run of 1 moves the last axis, so at least two axes are left to walk.
    if (copy.raw && run == 1 && kept >= 2 && (copy.elementBytes == 1 || copy.elementBytes == 4)) {
        // The last two output axes as plain loops, the odometer only above
        // them (an NCHW -> NHWC image: 2.2 -> 0.4 ns an element).
        const int64_t rows = out.dim(kept - 2), columns = out.dim(kept - 1);
        const int64_t rowStep = step[static_cast<size_t>(kept - 2)], columnStep = step[static_cast<size_t>(kept - 1)];
        coordinate.resize(static_cast<size_t>(kept - 2));
        step.resize(static_cast<size_t>(kept - 2));
        kept -= 2;
        // The inner loop walks whichever way the input is contiguous (an
        // image's 3 channels outside, its 224 columns inside).
        const bool columnsInside = columnStep <= rowStep || columns >= rows;
        const int64_t outer = columnsInside ? rows : columns, inner = columnsInside ? columns : rows;
        const int64_t outerStep = columnsInside ? rowStep : columnStep, innerStep = columnsInside ? columnStep : rowStep;
        const int64_t outerStride = columnsInside ? columns : 1, innerStride = columnsInside ? 1 : columns;
        for (int64_t o = 0; o < count; o += rows * columns, advance()) {
            for (int64_t i = 0; i < outer; ++i) {
                const int64_t source = from + i * outerStep, target = o + i * outerStride;
                if (copy.elementBytes == 1) {
                    for (int64_t j = 0; j < inner; ++j) out.data[target + j * innerStride] = input.data[source + j * innerStep];
                } else {
                    for (int64_t j = 0; j < inner; ++j)
                        std::memcpy(out.data + 4 * (target + j * innerStride), input.data + 4 * (source + j * innerStep), 4);
                }
            }
        }
    } else {
        for (int64_t o = 0; o < count; o += run, advance()) copy.run(from, o, run);
    }
    return Status::ok();
}

// ---- slicing ----
struct SliceSpec {
    std::vector<int64_t> begin, stride;
    std::vector<int32_t> outShape;       // before shrinking
    std::vector<int32_t> finalShape;
};

Expected<SliceSpec> sliceSpec(const KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    SliceSpec spec;
    int rank = input.rank();
    bool strided = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_STRIDED_SLICE;
    std::vector<int64_t> begin = readIntegers(context.input(1));
    std::vector<int64_t> second = readIntegers(context.input(2));
    std::vector<int64_t> strides = strided && context.hasInput(3) ? readIntegers(context.input(3))
                                                                  : std::vector<int64_t>(begin.size(), 1);
    if (begin.size() != static_cast<size_t>(rank) || second.size() != begin.size())
        return context.error("begin/end rank does not match the input (ellipsis and new-axis masks are not supported)");
    const auto* options = context.op->options->builtin_options_as_StridedSliceOptions();
    int beginMask = options ? options->begin_mask() : 0, endMask = options ? options->end_mask() : 0;
    int shrinkMask = options ? options->shrink_axis_mask() : 0;
    bool offset = options && options->offset();
    if (options && (options->ellipsis_mask() || options->new_axis_mask()))
        return context.error("ellipsis and new-axis masks are not supported");
    for (int d = 0; d < rank; ++d) {
        int64_t size = input.dim(d), stride = strides[static_cast<size_t>(d)];
        if (stride == 0) return context.error("stride 0");
        int64_t b = begin[static_cast<size_t>(d)], e;
        if (!strided) {
            e = second[static_cast<size_t>(d)] == -1 ? size : b + second[static_cast<size_t>(d)];
            if (b < 0 || b > size || e < b || e > size)
                return context.error("slice [" + std::to_string(b) + ", " + std::to_string(e) + ") of dimension " +
                                     std::to_string(d) + " leaves its size " + std::to_string(size));
        } else {
            e = offset ? b + second[static_cast<size_t>(d)] : second[static_cast<size_t>(d)];
            if (b < 0) b += size;
            if (e < 0 && !offset) e += size;
            if (beginMask & (1 << d)) b = stride > 0 ? 0 : size - 1;
            if (endMask & (1 << d)) e = stride > 0 ? size : -1;
            if (shrinkMask & (1 << d)) e = b + 1;
            b = stride > 0 ? std::clamp<int64_t>(b, 0, size) : std::clamp<int64_t>(b, -1, size - 1);
            e = stride > 0 ? std::clamp<int64_t>(e, 0, size) : std::clamp<int64_t>(e, -1, size - 1);
        }
        int64_t count = stride > 0 ? (e - b + stride - 1) / stride : (b - e - stride - 1) / -stride;
        count = std::max<int64_t>(count, 0);
        spec.begin.push_back(b);
        spec.stride.push_back(stride);
        spec.outShape.push_back(static_cast<int32_t>(count));
        if (!(shrinkMask & (1 << d))) spec.finalShape.push_back(static_cast<int32_t>(count));
    }
    return spec;
}

Status prepareSlice(KernelContext& context) {
    for (size_t i = 1; i < context.inputs.size(); ++i)
        if (context.hasInput(i) && !context.knows(context.input(i))) return Status::ok();
    auto spec = sliceSpec(context);
    if (!spec) return spec.status();
    context.output(0).shape = spec->finalShape;
    return Status::ok();
}

Status evalSlice(KernelContext& context) {
    auto spec = sliceSpec(context);
    if (!spec) return spec.status();
    if (spec->finalShape != context.output(0).shape)
        return context.error("begin/size give shape " + shapeText(spec->finalShape) + ", the output was planned as " +
                             shapeText(context.output(0).shape));
    const RuntimeTensor& input = context.input(0);
    std::vector<int64_t> inStrides = stridesOf(input.shape);
    ElementCopier copy(input, context.output(0));
    RuntimeTensor shape;
    shape.shape = spec->outShape;
    // Trailing dimensions taken whole, and the one before them if it steps
    // by 1, are contiguous in both tensors: copied as one run.
    int kept = shape.rank();
    int64_t run = 1;
    auto whole = [&](int d) {
        return spec->begin[static_cast<size_t>(d)] == 0 && spec->stride[static_cast<size_t>(d)] == 1 && shape.dim(d) == input.dim(d);
    };
    while (kept > 0 && whole(kept - 1)) run *= shape.dim(--kept);
    if (kept > 0 && spec->stride[static_cast<size_t>(kept - 1)] == 1) run *= shape.dim(--kept);
    if (run == 0 || shape.elementCount() == 0) return Status::ok();
    // The first run starts at every axis's begin; later ones follow the
    // outer coordinates like an odometer (no division per run: RoPE's
    // [8,100,32,4] -> [.., 2] halves went 13 -> ~4 ns a run).
    int64_t from = 0;
    for (int d = 0; d < shape.rank(); ++d) from += spec->begin[static_cast<size_t>(d)] * inStrides[static_cast<size_t>(d)];
    std::vector<int64_t> coordinate(static_cast<size_t>(kept), 0), step(static_cast<size_t>(kept));
    for (int d = 0; d < kept; ++d) step[static_cast<size_t>(d)] = spec->stride[static_cast<size_t>(d)] * inStrides[static_cast<size_t>(d)];
    for (int64_t o = 0; o < shape.elementCount(); o += run) {
        copy.run(from, o, run);
        for (int d = kept - 1; d >= 0; --d) {
            const size_t i = static_cast<size_t>(d);
            from += step[i];
            if (++coordinate[i] < shape.dim(d)) break;
            from -= step[i] * shape.dim(d);
            coordinate[i] = 0;
        }
    }
    return Status::ok();
}

// ---- dynamic_update_slice ----
// Writes `update` into a copy of `operand` at `start`, clamped so that the
// update fits (TFLite's and XLA's rule). When the runtime binds the output
// to the operand's memory (an LLM's KV cache), only the update is written.
Status prepareDynamicUpdateSlice(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 3, 3, 1));
    const RuntimeTensor& operand = context.input(0);
    const RuntimeTensor& update = context.input(1);
    const RuntimeTensor& start = context.input(2);
    if (update.type != operand.type) return context.error("update is " + std::string(dataTypeName(update.type)) +
                                                          ", operand " + std::string(dataTypeName(operand.type)));
    if (update.rank() != operand.rank())
        return context.error("update " + shapeText(update.shape) + " and operand " + shapeText(operand.shape) +
                             " differ in rank");
    for (int d = 0; d < operand.rank(); ++d)
        if (update.dim(d) > operand.dim(d))
            return context.error("update " + shapeText(update.shape) + " does not fit in operand " + shapeText(operand.shape));
    if (start.elementCount() != operand.rank())
        return context.error("start indices " + shapeText(start.shape) + ", expected " + std::to_string(operand.rank()) + " of them");
    if (dataTypeBits(operand.type) % 8 != 0 || dataTypeBits(operand.type) == 0)
        return context.error("cannot update " + std::string(dataTypeName(operand.type)) + " tensors");
    context.output(0).shape = operand.shape;
    return Status::ok();
}

Status evalDynamicUpdateSlice(KernelContext& context) {
    const RuntimeTensor& operand = context.input(0);
    const RuntimeTensor& update = context.input(1);
    RuntimeTensor& out = context.output(0);
    std::vector<int64_t> start = readIntegers(context.input(2));
    if (static_cast<int>(start.size()) != operand.rank()) return context.error("start indices do not match the operand's rank");
    size_t element = static_cast<size_t>(dataTypeBits(operand.type) / 8);
    if (out.data != operand.data) std::memcpy(out.data, operand.data, static_cast<size_t>(operand.elementCount()) * element);
    if (update.elementCount() == 0) return Status::ok();
    for (int d = 0; d < operand.rank(); ++d)
        start[static_cast<size_t>(d)] = std::clamp<int64_t>(start[static_cast<size_t>(d)], 0, operand.dim(d) - update.dim(d));
    // Rows of the innermost dimension move with one copy each.
    std::vector<int64_t> outStrides = stridesOf(operand.shape);
    int rank = operand.rank();
    int64_t row = rank ? update.dim(rank - 1) : 1;
    int64_t rows = update.elementCount() / std::max<int64_t>(row, 1);
    for (int64_t r = 0; r < rows; ++r) {
        int64_t rest = r, offset = rank ? start[static_cast<size_t>(rank - 1)] : 0;
        for (int d = rank - 2; d >= 0; --d) {
            int64_t coordinate = rest % update.dim(d);
            rest /= update.dim(d);
            offset += (start[static_cast<size_t>(d)] + coordinate) * outStrides[static_cast<size_t>(d)];
        }
        std::memcpy(out.data + static_cast<size_t>(offset) * element, update.data + static_cast<size_t>(r * row) * element,
                    static_cast<size_t>(row) * element);
    }
    return Status::ok();
}

// ---- tile / broadcast_to ----
Status prepareTile(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    bool tile = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_TILE;
    if (!context.knows(context.input(1))) {
        // The declared shape stands only when it is complete; otherwise the
        // shape waits for the run-time multiples.
        RuntimeTensor& out = context.output(0);
        int rank = tile ? input.rank() : static_cast<int>(context.input(1).elementCount());
        if (out.rank() != rank) out.shape.assign(static_cast<size_t>(std::max(rank, 0)), -1);
        return Status::ok();
    }
    std::vector<int32_t> shape;
    if (tile) {
        const std::vector<int64_t> values = readIntegers(context.input(1));
        if (values.size() != input.shape.size()) return context.error("multiples do not match the input's rank");
        for (size_t d = 0; d < values.size(); ++d) {
            int64_t tiled = 0;
            if (values[d] < 0 || __builtin_mul_overflow(int64_t{input.shape[d]}, values[d], &tiled) || tiled > INT32_MAX)
                return context.error("multiple " + std::to_string(values[d]) + " of axis " + std::to_string(d) + " of " +
                                     shapeText(input.shape) + " is negative or passes the largest dimension, 2^31 - 1");
            shape.push_back(static_cast<int32_t>(tiled));
        }
    } else {
        auto target = shapeOperand(context, context.input(1));
        if (!target) return target.status();
        auto result = broadcastShape(context, input.shape, *target);
        if (!result) return result.status();
        shape = *result;
    }
    context.output(0).shape = shape;
    return Status::ok();
}

// `rows` rows of `length` elements, each written `copies` times in a row.
template <typename Element>
void tileRows(const Element* in, Element* out, int64_t rows, int64_t length, int64_t copies) {
    if (length == 1) {
        for (int64_t r = 0; r < rows; ++r, out += copies) std::fill(out, out + copies, in[r]);
        return;
    }
    for (int64_t r = 0; r < rows; ++r, in += length)
        for (int64_t k = 0; k < copies; ++k, out += length) std::copy(in, in + length, out);
}

// Raw values: the last two axes by typed row copies (a [4096, 320, 1] x 2
// tile went 21 -> ~1 ns an element), then each outer axis's finished block
// is repeated by memcpy, innermost first.
void tileRaw(const uint8_t* in, uint8_t* out, std::vector<int32_t> inShape, std::vector<int32_t> outShape, size_t elementBytes) {
    while (inShape.size() < 2) {
        inShape.insert(inShape.begin(), 1);
        outShape.insert(outShape.begin(), 1);
    }
    const int rank = static_cast<int>(inShape.size());
    std::vector<size_t> inStride(static_cast<size_t>(rank)), outStride(static_cast<size_t>(rank));
    size_t inBytes = elementBytes, outBytes = elementBytes;
    for (int d = rank - 1; d >= 0; --d) {
        inStride[static_cast<size_t>(d)] = inBytes;
        outStride[static_cast<size_t>(d)] = outBytes;
        inBytes *= static_cast<size_t>(inShape[static_cast<size_t>(d)]);
        outBytes *= static_cast<size_t>(outShape[static_cast<size_t>(d)]);
    }
    auto copiesOf = [&](int d) { return int64_t(outShape[static_cast<size_t>(d)]) / inShape[static_cast<size_t>(d)]; };
    auto tile = [&](auto& self, int d, const uint8_t* from, uint8_t* to) -> void {
        const size_t block = static_cast<size_t>(inShape[static_cast<size_t>(d)]) * outStride[static_cast<size_t>(d)];
        if (d == rank - 2) {
            const int64_t rows = inShape[static_cast<size_t>(d)], length = inShape[static_cast<size_t>(d) + 1], copies = copiesOf(d + 1);
            switch (elementBytes) {
            case 1: tileRows(from, to, rows, length, copies); break;
            case 2: tileRows(reinterpret_cast<const uint16_t*>(from), reinterpret_cast<uint16_t*>(to), rows, length, copies); break;
            case 4: tileRows(reinterpret_cast<const uint32_t*>(from), reinterpret_cast<uint32_t*>(to), rows, length, copies); break;
            case 8: tileRows(reinterpret_cast<const uint64_t*>(from), reinterpret_cast<uint64_t*>(to), rows, length, copies); break;
            default:
                tileRows(from, to, rows, length * static_cast<int64_t>(elementBytes), copies);
            }
        } else {
            for (int32_t i = 0; i < inShape[static_cast<size_t>(d)]; ++i)
                self(self, d + 1, from + static_cast<size_t>(i) * inStride[static_cast<size_t>(d)],
                     to + static_cast<size_t>(i) * outStride[static_cast<size_t>(d)]);
        }
        for (int64_t k = 1; k < copiesOf(d); ++k) std::memcpy(to + static_cast<size_t>(k) * block, to, block);
    };
    tile(tile, 0, in, out);
}

Status evalTile(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    // With multiples known only now, the planned output shape must already fit.
    std::vector<int64_t> values = readIntegers(context.input(1));
    bool tile = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_TILE;
    bool fits = out.rank() >= input.rank() && (!tile || values.size() == input.shape.size());
    for (int d = 0; fits && d < input.rank(); ++d) {
        int32_t want = tile ? static_cast<int32_t>(input.dim(d) * values[static_cast<size_t>(d)])
                            : out.dim(out.rank() - input.rank() + d);
        fits = out.dim(out.rank() - input.rank() + d) == want &&
               (tile || input.dim(d) == 1 || input.dim(d) == out.dim(out.rank() - input.rank() + d));
    }
    if (!fits) return context.error("the run-time multiples/shape do not match the planned output shape");
    std::vector<int32_t> inShape(static_cast<size_t>(out.rank()) - input.shape.size(), 1);
    inShape.insert(inShape.end(), input.shape.begin(), input.shape.end());
    ElementCopier copy(input, out);
    if (copy.raw && out.elementCount() > 0) {
        tileRaw(input.data, out.data, inShape, out.shape, copy.elementBytes);
        return Status::ok();
    }
    std::vector<int64_t> inStrides = stridesOf(inShape);
    // The input's last axis is a contiguous run in the output too (a tiled
    // axis repeats it whole; a broadcast one has length 1): copy by runs.
    int64_t run = out.rank() > 0 ? inShape.back() : 1;
    for (int64_t o = 0; run > 0 && o < out.elementCount(); o += run) {
        int64_t rest = o, from = 0;
        for (int d = out.rank() - 1; d >= 0; --d) {
            from += ((rest % out.dim(d)) % inShape[static_cast<size_t>(d)]) * inStrides[static_cast<size_t>(d)];
            rest /= out.dim(d);
        }
        copy.run(from, o, run);
    }
    return Status::ok();
}

// ---- space_to_depth / depth_to_space (NHWC) ----
int blockSize(const KernelContext& context) {
    if (const auto* o = context.op->options->builtin_options_as_SpaceToDepthOptions()) return o->block_size();
    if (const auto* o = context.op->options->builtin_options_as_DepthToSpaceOptions()) return o->block_size();
    return 0;
}

Status prepareSpaceDepth(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    int block = blockSize(context);
    if (block <= 0 || block > 4096 || input.rank() != 4) return context.error("needs a 4-D input and a block size in 1..4096");
    bool toDepth = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_SPACE_TO_DEPTH;
    std::vector<int32_t> shape = input.shape;
    if (toDepth) {
        if (shape[1] % block || shape[2] % block) return context.error("height and width must divide by the block size");
        int64_t depth = int64_t(shape[3]) * block * block;
        if (depth > INT32_MAX) return context.error("output depth " + std::to_string(depth) + " is too large");
        shape = {shape[0], shape[1] / block, shape[2] / block, static_cast<int32_t>(depth)};
    } else {
        if (shape[3] % (block * block)) return context.error("depth must divide by block size squared");
        int64_t height = int64_t(shape[1]) * block, width = int64_t(shape[2]) * block;
        if (height > INT32_MAX || width > INT32_MAX) return context.error("output height or width is too large");
        shape = {shape[0], static_cast<int32_t>(height), static_cast<int32_t>(width), shape[3] / (block * block)};
    }
    context.output(0).shape = shape;
    return Status::ok();
}

Status evalSpaceDepth(KernelContext& context) {
    int block = blockSize(context);
    bool toDepth = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_SPACE_TO_DEPTH;
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    // Work in the space-side coordinates (n, y, x, c) of the larger tensor.
    const RuntimeTensor& space = toDepth ? input : out;
    const RuntimeTensor& depth = toDepth ? out : input;
    ElementCopier copy(input, out);
    const int64_t spaceChannels = space.dim(3);
    // A block's row of space pixels is one run on both sides, copied in
    // the depth side's order (112x112x32 floats: 1.7-4 ms element by
    // element, LiteRT.js 0.36; 0.114 a pixel at a time, 0.043 so; 224x224x8
    // 0.446 a pixel at a time, 0.082 so).
    const int64_t run = int64_t(block) * spaceChannels, spaceRow = int64_t(space.dim(2)) * spaceChannels;
    auto copyRuns = [&](auto&& copyRun) {
        int64_t depthIndex = 0;
        for (int32_t n = 0; n < depth.dim(0); ++n)
            for (int32_t y = 0; y < depth.dim(1); ++y)
                for (int32_t x = 0; x < depth.dim(2); ++x) {
                    int64_t spaceIndex = ((int64_t(n) * space.dim(1) + int64_t(y) * block) * space.dim(2) + int64_t(x) * block) * spaceChannels;
                    for (int32_t row = 0; row < block; ++row, spaceIndex += spaceRow, depthIndex += run)
                        toDepth ? copyRun(spaceIndex, depthIndex) : copyRun(depthIndex, spaceIndex);
                }
    };
    if (copy.raw) {
        // Bytes straight: the copier's fields, reloaded after every byte
        // store that may alias them, had cost 224x224x8 0.103 -> 0.082 ms.
        const uint8_t* from = input.data;
        uint8_t* to = out.data;
        const size_t bytes = copy.elementBytes, runBytes = static_cast<size_t>(run) * bytes;
        copyRuns([&](int64_t i, int64_t o) { copyBytes(to + static_cast<size_t>(o) * bytes, from + static_cast<size_t>(i) * bytes, runBytes); });
    } else {
        copyRuns([&](int64_t i, int64_t o) { copy.run(i, o, run); });
    }
    return Status::ok();
}

}  // namespace

void addRearrangementKernels(KernelTable& table) {
    table[schema::BuiltinOperator_PAD] = {preparePad, evalPad};
    table[schema::BuiltinOperator_PADV2] = {preparePad, evalPad};
    table[schema::BuiltinOperator_MIRROR_PAD] = {preparePad, evalPad};
    table[schema::BuiltinOperator_TRANSPOSE] = {prepareTranspose, evalTranspose};
    table[schema::BuiltinOperator_SLICE] = {prepareSlice, evalSlice};
    table[schema::BuiltinOperator_STRIDED_SLICE] = {prepareSlice, evalSlice};
    table[schema::BuiltinOperator_TILE] = {prepareTile, evalTile};
    table[schema::BuiltinOperator_BROADCAST_TO] = {prepareTile, evalTile};
    table[schema::BuiltinOperator_SPACE_TO_DEPTH] = {prepareSpaceDepth, evalSpaceDepth};
    table[schema::BuiltinOperator_DEPTH_TO_SPACE] = {prepareSpaceDepth, evalSpaceDepth};
    table[schema::BuiltinOperator_DYNAMIC_UPDATE_SLICE] = {prepareDynamicUpdateSlice, evalDynamicUpdateSlice};
}

}  // namespace litestudio::reference

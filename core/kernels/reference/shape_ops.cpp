// Ops that move data without arithmetic: reshape, concatenation, padding,
// transposition, slicing, gathering, splitting, packing, tiling.

#include <algorithm>
#include <numeric>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"
#include "core/kernels/string_tensor.h"

namespace litestudio::reference {

namespace {

std::vector<int32_t> toShape(const std::vector<int64_t>& values) { return {values.begin(), values.end()}; }

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
};

// ---- reshape family ----
Status prepareReshape(KernelContext& context) {
    if (context.inputs.empty() || context.outputs.size() != 1) return context.error("expected 1 or 2 inputs and 1 output");
    const RuntimeTensor& input = context.input(0);
    std::vector<int64_t> shape;
    if (context.hasInput(1) && context.knows(context.input(1))) shape = readIntegers(context.input(1));
    else if (const auto* options = context.op->options->builtin_options_as_ReshapeOptions(); options && options->new_shape())
        shape.assign(options->new_shape()->begin(), options->new_shape()->end());
    else {
        for (int32_t dim : context.output(0).shape) shape.push_back(dim);
    }
    int64_t known = 1, unknown = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            if (unknown >= 0) return context.error("new shape has more than one -1");
            unknown = static_cast<int64_t>(i);
        } else if (shape[i] < 0 || shape[i] > INT32_MAX || __builtin_mul_overflow(known, shape[i], &known)) {
            return context.error("new shape dimension " + std::to_string(i) + " (" + std::to_string(shape[i]) +
                                 ") cannot hold the " + std::to_string(input.elementCount()) + " elements of '" +
                                 input.name + "'");
        }
    }
    if (unknown >= 0) shape[static_cast<size_t>(unknown)] = known ? input.elementCount() / known : 0;
    std::vector<int32_t> result = toShape(shape);
    RuntimeTensor probe;
    probe.shape = result;
    if (probe.elementCount() != input.elementCount())
        return context.error("cannot reshape " + std::to_string(input.elementCount()) + " elements of '" + input.name +
                             "' to " + std::to_string(probe.elementCount()));
    context.output(0).shape = result;
    return Status::ok();
}

Status prepareSqueeze(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    std::vector<bool> drop(input.shape.size(), false);
    const auto* options = context.op->options->builtin_options_as_SqueezeOptions();
    if (options && options->squeeze_dims() && options->squeeze_dims()->size() > 0) {
        for (int given : *options->squeeze_dims()) {
            int axis = normalizeAxis(given, input.rank());
            // TFLite refuses this too (a converter's unranked input stored as a scalar).
            if (axis < 0 || axis >= input.rank())
                return context.error("squeeze axis " + std::to_string(given) + " is out of range for '" + input.name +
                                     "' of rank " + std::to_string(input.rank()));
            drop[static_cast<size_t>(axis)] = true;
        }
    } else {
        for (size_t i = 0; i < drop.size(); ++i) drop[i] = input.shape[i] == 1;
    }
    std::vector<int32_t> shape;
    for (size_t i = 0; i < drop.size(); ++i)
        if (!drop[i]) shape.push_back(input.shape[i]);
    context.output(0).shape = shape;
    return Status::ok();
}

Status prepareExpandDims(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    if (!context.hasInput(1) || !context.knows(context.input(1))) return Status::ok();  // keep the declared shape
    int axis = static_cast<int>(readIntegers(context.input(1)).at(0));
    axis = axis < 0 ? axis + input.rank() + 1 : axis;
    if (axis < 0 || axis > input.rank()) return context.error("axis out of range");
    std::vector<int32_t> shape = input.shape;
    shape.insert(shape.begin() + axis, 1);
    context.output(0).shape = shape;
    return Status::ok();
}

Status evalCopy(KernelContext& context) {
    if (context.input(0).type == DataType::String) {
        Status copied = copyTensorContents(context.input(0), context.output(0));
        return copied ? copied : context.error(copied.message());
    }
    ElementCopier copy(context.input(0), context.output(0));
    if (copy.raw) {
        std::memcpy(context.output(0).data, context.input(0).data, std::min(context.output(0).bytes, context.input(0).bytes));
        return Status::ok();
    }
    for (int64_t i = 0; i < context.output(0).elementCount(); ++i) copy(i, i);
    return Status::ok();
}

// ---- concatenation ----
int concatAxis(const KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_ConcatenationOptions();
    return normalizeAxis(options ? options->axis() : 0, context.input(0).rank());
}

Status prepareConcat(KernelContext& context) {
    if (context.inputs.empty()) return context.error("needs inputs");
    int axis = concatAxis(context);
    std::vector<int32_t> shape = context.input(0).shape;
    if (axis < 0 || axis >= static_cast<int>(shape.size())) return context.error("axis out of range");
    shape[static_cast<size_t>(axis)] = 0;
    for (RuntimeTensor* input : context.inputs) {
        if (!input || input->rank() != static_cast<int>(shape.size())) return context.error("inputs differ in rank");
        for (int d = 0; d < input->rank(); ++d)
            if (d != axis && input->dim(d) != context.input(0).dim(d))
                return context.error("input '" + input->name + "' is " + shapeText(input->shape) + ", input 0 is " +
                                     shapeText(context.input(0).shape) + " (only dimension " + std::to_string(axis) +
                                     " may differ)");
        shape[static_cast<size_t>(axis)] += input->dim(axis);
    }
    context.output(0).shape = shape;
    return Status::ok();
}

Status evalConcat(KernelContext& context) {
    int axis = concatAxis(context);
    RuntimeTensor& out = context.output(0);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= out.dim(d);
    for (int d = axis + 1; d < out.rank(); ++d) inner *= out.dim(d);
    int64_t outRow = out.dim(axis) * inner, start = 0;
    const auto* options = context.op->options->builtin_options_as_ConcatenationOptions();
    auto activation = options ? options->fused_activation_function() : schema::ActivationFunctionType_NONE;
    for (RuntimeTensor* input : context.inputs) {
        ElementCopier copy(*input, out);
        int64_t row = input->dim(axis) * inner;
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < row; ++i) {
                if (activation == schema::ActivationFunctionType_NONE) copy(o * row + i, o * outRow + start + i);
                else copy.write(o * outRow + start + i, applyActivation(copy.read(o * row + i), activation));
            }
        start += row;
    }
    return Status::ok();
}

// ---- padding ----
Status preparePad(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    if (!context.hasInput(1) || !context.knows(context.input(1))) return Status::ok();
    std::vector<int64_t> pads = readIntegers(context.input(1));
    if (pads.size() != input.shape.size() * 2) return context.error("paddings do not match the input's rank");
    for (int64_t pad : pads)
        if (pad < 0 || pad > (1 << 24)) return context.error("padding " + std::to_string(pad) + " is negative or absurd");
    std::vector<int32_t> shape = input.shape;
    for (size_t d = 0; d < shape.size(); ++d) shape[d] += static_cast<int32_t>(pads[2 * d] + pads[2 * d + 1]);
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
    const auto* mirror = context.op->options->builtin_options_as_MirrorPadOptions();
    bool isMirror = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_MIRROR_PAD;
    int mirrorOffset = isMirror && mirror && mirror->mode() == schema::MirrorPadMode_SYMMETRIC ? 0 : 1;
    double padValue = context.hasInput(2) ? ValueReader(context.input(2))(0) : 0.0;
    ElementCopier copy(input, out);
    std::vector<int64_t> inStrides = stridesOf(input.shape);
    int rank = out.rank();
    for (int64_t o = 0; o < out.elementCount(); ++o) {
        int64_t rest = o, from = 0;
        bool inside = true;
        for (int d = rank - 1; d >= 0; --d) {
            int64_t coordinate = rest % out.dim(d) - pads[2 * static_cast<size_t>(d)];
            rest /= out.dim(d);
            int64_t size = input.dim(d);
            if (coordinate < 0 || coordinate >= size) {
                if (!isMirror) {
                    inside = false;
                    break;
                }
                if (coordinate < 0) coordinate = -coordinate - 1 + mirrorOffset;
                else coordinate = 2 * size - coordinate - 1 - mirrorOffset;
                coordinate = std::clamp<int64_t>(coordinate, 0, size - 1);
            }
            from += coordinate * inStrides[static_cast<size_t>(d)];
        }
        if (inside) copy(from, o);
        else copy.write(o, padValue);
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
    for (int64_t o = 0; o < out.elementCount(); ++o) {
        int64_t rest = o, from = 0;
        for (int d = out.rank() - 1; d >= 0; --d) {
            from += (rest % out.dim(d)) * inStrides[static_cast<size_t>(perm[static_cast<size_t>(d)])];
            rest /= out.dim(d);
        }
        copy(from, o);
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
    for (int64_t o = 0; o < shape.elementCount(); ++o) {
        int64_t rest = o, from = 0;
        for (int d = shape.rank() - 1; d >= 0; --d) {
            int64_t coordinate = rest % shape.dim(d);
            rest /= shape.dim(d);
            from += (spec->begin[static_cast<size_t>(d)] + coordinate * spec->stride[static_cast<size_t>(d)]) *
                    inStrides[static_cast<size_t>(d)];
        }
        copy(from, o);
    }
    return Status::ok();
}

// ---- gather ----
Status prepareGather(KernelContext& context) {
    const RuntimeTensor& params = context.input(0);
    const RuntimeTensor& indices = context.input(1);
    const auto* options = context.op->options->builtin_options_as_GatherOptions();
    int axis = normalizeAxis(options ? options->axis() : 0, params.rank());
    if (options && options->batch_dims() != 0) return context.error("batch_dims is not supported");
    if (axis < 0 || axis >= params.rank()) return context.error("axis out of range");
    std::vector<int32_t> shape(params.shape.begin(), params.shape.begin() + axis);
    shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
    shape.insert(shape.end(), params.shape.begin() + axis + 1, params.shape.end());
    context.output(0).shape = shape;
    return Status::ok();
}

// Strings are gathered in two passes: their total length sizes the output
// buffer, then they are written.
Status gatherStrings(KernelContext& context, int64_t outer, int64_t axisSize, int64_t inner, const std::vector<int64_t>& index) {
    auto params = StringTensorView::open(context.input(0));
    if (!params) return context.error(params.errorMessage());
    for (int64_t k : index)
        if (k < 0 || k >= axisSize)
            return context.error("index " + std::to_string(k) + " out of range [0, " + std::to_string(axisSize) + ")");
    auto forEachGathered = [&](auto&& visit) {
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t k : index)
                for (int64_t i = 0; i < inner; ++i) visit(params->at((o * axisSize + k) * inner + i));
    };
    size_t characters = 0;
    forEachGathered([&](std::string_view text) { characters += text.size(); });
    RuntimeTensor& out = context.output(0);
    auto buffer = resizeStringTensor(out, stringBufferBytes(out.elementCount(), characters));
    if (!buffer) return context.error(buffer.errorMessage());
    StringBufferWriter writer(*buffer, out.elementCount());
    forEachGathered([&](std::string_view text) { writer.append(text); });
    return Status::ok();
}

Status evalGather(KernelContext& context) {
    const RuntimeTensor& params = context.input(0);
    const RuntimeTensor& indices = context.input(1);
    const auto* options = context.op->options->builtin_options_as_GatherOptions();
    int axis = normalizeAxis(options ? options->axis() : 0, params.rank());
    int64_t outer = 1, inner = 1, axisSize = params.dim(axis);
    for (int d = 0; d < axis; ++d) outer *= params.dim(d);
    for (int d = axis + 1; d < params.rank(); ++d) inner *= params.dim(d);
    std::vector<int64_t> index = readIntegers(indices);
    if (params.type == DataType::String) return gatherStrings(context, outer, axisSize, inner, index);
    ElementCopier copy(params, context.output(0));
    int64_t to = 0;
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t k : index) {
            if (k < 0 || k >= axisSize)
                return context.error("index " + std::to_string(k) + " out of range [0, " + std::to_string(axisSize) + ")");
            for (int64_t i = 0; i < inner; ++i) copy((o * axisSize + k) * inner + i, to++);
        }
    return Status::ok();
}

// ---- split / unpack / pack ----
int splitAxis(const RuntimeTensor& axisTensor, const RuntimeTensor& input) {
    return normalizeAxis(static_cast<int>(readIntegers(axisTensor).at(0)), input.rank());
}

Status prepareSplit(KernelContext& context) {
    // SPLIT: (axis, input); SPLIT_V: (input, sizes, axis).
    bool isV = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_SPLIT_V;
    const RuntimeTensor& input = context.input(isV ? 0 : 1);
    const RuntimeTensor& axisTensor = context.input(isV ? 2 : 0);
    if (!context.knows(axisTensor)) return Status::ok();
    int axis = splitAxis(axisTensor, input);
    if (axis < 0 || axis >= input.rank()) return context.error("axis out of range");
    std::vector<int64_t> sizes;
    if (isV) {
        if (!context.knows(context.input(1))) return Status::ok();
        sizes = readIntegers(context.input(1));
        int64_t known = 0, unknown = -1;
        for (size_t i = 0; i < sizes.size(); ++i) sizes[i] == -1 ? unknown = static_cast<int64_t>(i) : known += sizes[i];
        if (unknown >= 0) sizes[static_cast<size_t>(unknown)] = input.dim(axis) - known;
    } else {
        int64_t parts = static_cast<int64_t>(context.outputs.size());
        if (input.dim(axis) % parts) return context.error("dimension does not divide evenly");
        sizes.assign(static_cast<size_t>(parts), input.dim(axis) / parts);
    }
    if (sizes.size() != context.outputs.size()) return context.error("split sizes do not match the outputs");
    int64_t total = 0;
    for (int64_t size : sizes) {
        if (size < 0) return context.error("split size " + std::to_string(size) + " is negative");
        total += size;
    }
    if (total != input.dim(axis))
        return context.error("split sizes add up to " + std::to_string(total) + ", dimension " + std::to_string(axis) +
                             " has " + std::to_string(input.dim(axis)));
    for (size_t i = 0; i < sizes.size(); ++i) {
        std::vector<int32_t> shape = input.shape;
        shape[static_cast<size_t>(axis)] = static_cast<int32_t>(sizes[i]);
        context.output(i).shape = shape;
    }
    return Status::ok();
}

Status evalSplit(KernelContext& context) {
    bool isV = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_SPLIT_V;
    const RuntimeTensor& input = context.input(isV ? 0 : 1);
    int axis = splitAxis(context.input(isV ? 2 : 0), input);
    // The axis may be a value computed in this run: check the planned
    // outputs still tile the input along it.
    if (axis < 0 || axis >= input.rank()) return context.error("axis out of range");
    int64_t covered = 0;
    for (RuntimeTensor* output : context.outputs) {
        bool fits = output->rank() == input.rank();
        for (int d = 0; fits && d < input.rank(); ++d) fits = d == axis || output->dim(d) == input.dim(d);
        if (!fits) return context.error("output '" + output->name + "' " + shapeText(output->shape) + " is not a slice of " +
                                        shapeText(input.shape) + " along axis " + std::to_string(axis));
        covered += output->dim(axis);
    }
    if (covered != input.dim(axis)) return context.error("outputs do not add up to the input along the split axis");
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= input.dim(d);
    for (int d = axis + 1; d < input.rank(); ++d) inner *= input.dim(d);
    int64_t inRow = input.dim(axis) * inner, start = 0;
    for (RuntimeTensor* output : context.outputs) {
        ElementCopier copy(input, *output);
        int64_t row = output->dim(axis) * inner;
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < row; ++i) copy(o * inRow + start + i, o * row + i);
        start += row;
    }
    return Status::ok();
}

Status preparePack(KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_PackOptions();
    const RuntimeTensor& first = context.input(0);
    int axis = options ? options->axis() : 0;
    axis = axis < 0 ? axis + first.rank() + 1 : axis;
    if (axis < 0 || axis > first.rank()) return context.error("pack axis " + std::to_string(axis) + " out of range");
    for (size_t k = 0; k < context.inputs.size(); ++k) {
        if (!context.hasInput(k)) return context.error("input " + std::to_string(k) + " is missing");
        if (context.input(k).shape != first.shape || context.input(k).type != first.type)
            return context.error("input " + std::to_string(k) + " '" + context.input(k).name + "' is " +
                                 shapeText(context.input(k).shape) + ", input 0 is " + shapeText(first.shape) +
                                 " (all must match)");
    }
    std::vector<int32_t> shape = first.shape;
    shape.insert(shape.begin() + axis, static_cast<int32_t>(context.inputs.size()));
    context.output(0).shape = shape;
    return Status::ok();
}

Status evalPack(KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_PackOptions();
    const RuntimeTensor& first = context.input(0);
    int axis = options ? options->axis() : 0;
    axis = axis < 0 ? axis + first.rank() + 1 : axis;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= first.dim(d);
    for (int d = axis; d < first.rank(); ++d) inner *= first.dim(d);
    int64_t count = static_cast<int64_t>(context.inputs.size());
    for (int64_t k = 0; k < count; ++k) {
        ElementCopier copy(context.input(static_cast<size_t>(k)), context.output(0));
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < inner; ++i) copy(o * inner + i, (o * count + k) * inner + i);
    }
    return Status::ok();
}

Status prepareUnpack(KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_UnpackOptions();
    const RuntimeTensor& input = context.input(0);
    int axis = normalizeAxis(options ? options->axis() : 0, input.rank());
    if (axis < 0 || axis >= input.rank() || input.dim(axis) != static_cast<int32_t>(context.outputs.size()))
        return context.error("unpack axis does not match the number of outputs");
    std::vector<int32_t> shape = input.shape;
    shape.erase(shape.begin() + axis);
    for (RuntimeTensor* output : context.outputs) output->shape = shape;
    return Status::ok();
}

Status evalUnpack(KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_UnpackOptions();
    const RuntimeTensor& input = context.input(0);
    int axis = normalizeAxis(options ? options->axis() : 0, input.rank());
    int64_t outer = 1, inner = 1, count = input.dim(axis);
    for (int d = 0; d < axis; ++d) outer *= input.dim(d);
    for (int d = axis + 1; d < input.rank(); ++d) inner *= input.dim(d);
    for (int64_t k = 0; k < count; ++k) {
        ElementCopier copy(input, context.output(static_cast<size_t>(k)));
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < inner; ++i) copy((o * count + k) * inner + i, o * inner + i);
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
    std::vector<int64_t> values = readIntegers(context.input(1));
    std::vector<int32_t> shape;
    if (tile) {
        if (values.size() != input.shape.size()) return context.error("multiples do not match the input's rank");
        for (size_t d = 0; d < values.size(); ++d) shape.push_back(static_cast<int32_t>(input.shape[d] * values[d]));
    } else {
        auto result = broadcastShape(context, input.shape, toShape(values));
        if (!result) return result.status();
        shape = *result;
    }
    context.output(0).shape = shape;
    return Status::ok();
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
    std::vector<int64_t> inStrides = stridesOf(inShape);
    ElementCopier copy(input, out);
    for (int64_t o = 0; o < out.elementCount(); ++o) {
        int64_t rest = o, from = 0;
        for (int d = out.rank() - 1; d >= 0; --d) {
            from += ((rest % out.dim(d)) % inShape[static_cast<size_t>(d)]) * inStrides[static_cast<size_t>(d)];
            rest /= out.dim(d);
        }
        copy(from, o);
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
    int32_t depthChannels = depth.dim(3), spaceChannels = space.dim(3);
    for (int32_t n = 0; n < space.dim(0); ++n)
        for (int32_t y = 0; y < space.dim(1); ++y)
            for (int32_t x = 0; x < space.dim(2); ++x)
                for (int32_t c = 0; c < spaceChannels; ++c) {
                    int64_t spaceIndex = ((int64_t(n) * space.dim(1) + y) * space.dim(2) + x) * spaceChannels + c;
                    int32_t dc = ((y % block) * block + (x % block)) * spaceChannels + c;
                    int64_t depthIndex =
                        ((int64_t(n) * depth.dim(1) + y / block) * depth.dim(2) + x / block) * depthChannels + dc;
                    if (toDepth) copy(spaceIndex, depthIndex);
                    else copy(depthIndex, spaceIndex);
                }
    return Status::ok();
}

Status prepareShape(KernelContext& context) {
    context.output(0).shape = {context.input(0).rank()};
    return Status::ok();
}

Status evalShape(KernelContext& context) {
    ValueWriter write(context.output(0));
    for (int d = 0; d < context.input(0).rank(); ++d) write(d, context.input(0).dim(d));
    return Status::ok();
}

}  // namespace

void addShapeKernels(KernelTable& table) {
    table[schema::BuiltinOperator_RESHAPE] = {prepareReshape, evalCopy, true};
    table[schema::BuiltinOperator_SQUEEZE] = {prepareSqueeze, evalCopy, true};
    table[schema::BuiltinOperator_EXPAND_DIMS] = {prepareExpandDims, evalCopy, true};
    table[schema::BuiltinOperator_CONCATENATION] = {prepareConcat, evalConcat};
    table[schema::BuiltinOperator_PAD] = {preparePad, evalPad};
    table[schema::BuiltinOperator_PADV2] = {preparePad, evalPad};
    table[schema::BuiltinOperator_MIRROR_PAD] = {preparePad, evalPad};
    table[schema::BuiltinOperator_TRANSPOSE] = {prepareTranspose, evalTranspose};
    table[schema::BuiltinOperator_SLICE] = {prepareSlice, evalSlice};
    table[schema::BuiltinOperator_STRIDED_SLICE] = {prepareSlice, evalSlice};
    table[schema::BuiltinOperator_GATHER] = {prepareGather, evalGather, true};
    table[schema::BuiltinOperator_SPLIT] = {prepareSplit, evalSplit};
    table[schema::BuiltinOperator_SPLIT_V] = {prepareSplit, evalSplit};
    table[schema::BuiltinOperator_PACK] = {preparePack, evalPack};
    table[schema::BuiltinOperator_UNPACK] = {prepareUnpack, evalUnpack};
    table[schema::BuiltinOperator_TILE] = {prepareTile, evalTile};
    table[schema::BuiltinOperator_BROADCAST_TO] = {prepareTile, evalTile};
    table[schema::BuiltinOperator_SPACE_TO_DEPTH] = {prepareSpaceDepth, evalSpaceDepth};
    table[schema::BuiltinOperator_DEPTH_TO_SPACE] = {prepareSpaceDepth, evalSpaceDepth};
    table[schema::BuiltinOperator_SHAPE] = {prepareShape, evalShape};
}

}  // namespace litestudio::reference

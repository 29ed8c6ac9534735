// Ops that change shapes, or join and split tensors: reshape, squeeze,
// expand_dims, concatenation, gathering, splitting, packing, SHAPE.
// Padding, slicing, transposition and tiling are in rearrangement.cpp.

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "core/kernels/reference/element_copier.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"
#include "core/kernels/string_tensor.h"

namespace litestudio::reference {

namespace {

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
    auto axisValue = firstInteger(context, context.input(1));
    if (!axisValue) return axisValue.status();
    int axis = static_cast<int>(*axisValue);
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
    int64_t joined = 0;
    for (RuntimeTensor* input : context.inputs) {
        if (!input || input->rank() != static_cast<int>(shape.size())) return context.error("inputs differ in rank");
        for (int d = 0; d < input->rank(); ++d)
            if (d != axis && input->dim(d) != context.input(0).dim(d))
                return context.error("input '" + input->name + "' is " + shapeText(input->shape) + ", input 0 is " +
                                     shapeText(context.input(0).shape) + " (only dimension " + std::to_string(axis) +
                                     " may differ)");
        joined += input->dim(axis);
    }
    if (joined > INT32_MAX)
        return context.error("joins " + std::to_string(joined) + " along axis " + std::to_string(axis) +
                             ", past the largest dimension, 2^31 - 1");
    shape[static_cast<size_t>(axis)] = static_cast<int32_t>(joined);
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
        if (copy.raw && activation == schema::ActivationFunctionType_NONE) {  // whole rows at once
            size_t rowBytes = static_cast<size_t>(row) * copy.elementBytes;
            for (int64_t o = 0; o < outer && rowBytes > 0; ++o)
                copyBytes(out.data + static_cast<size_t>(o * outRow + start) * copy.elementBytes,
                          input->data + static_cast<size_t>(o) * rowBytes, rowBytes);
            start += row;
            continue;
        }
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t i = 0; i < row; ++i) {
                if (activation == schema::ActivationFunctionType_NONE) copy(o * row + i, o * outRow + start + i);
                else copy.write(o * outRow + start + i, applyActivation(copy.read(o * row + i), activation));
            }
        start += row;
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
            copy.run((o * axisSize + k) * inner, to, inner);
            to += inner;
        }
    return Status::ok();
}

// ---- split / unpack / pack ----
// The split axis, checked against the input's rank.
Expected<int> splitAxis(const KernelContext& context, const RuntimeTensor& axisTensor, const RuntimeTensor& input) {
    auto value = firstInteger(context, axisTensor);
    if (!value) return value.status();
    int axis = normalizeAxis(static_cast<int>(*value), input.rank());
    if (axis < 0 || axis >= input.rank()) return context.error("axis " + std::to_string(*value) + " out of range");
    return axis;
}

Status prepareSplit(KernelContext& context) {
    // SPLIT: (axis, input); SPLIT_V: (input, sizes, axis).
    bool isV = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_SPLIT_V;
    const RuntimeTensor& input = context.input(isV ? 0 : 1);
    const RuntimeTensor& axisTensor = context.input(isV ? 2 : 0);
    if (!context.knows(axisTensor)) return Status::ok();
    auto axisValue = splitAxis(context, axisTensor, input);
    if (!axisValue) return axisValue.status();
    const int axis = *axisValue;
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
    // The axis may be a value computed in this run: check the planned
    // outputs still tile the input along it.
    auto axisValue = splitAxis(context, context.input(isV ? 2 : 0), input);
    if (!axisValue) return axisValue.status();
    const int axis = *axisValue;
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
        // A part's run of each outer index at once: YOLOv8's C2f SPLITs of
        // 80x80x32 floats (64-byte runs) took 0.42 ms element by element.
        for (int64_t o = 0; o < outer; ++o) copy.run(o * inRow + start, o * row, row);
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
        for (int64_t o = 0; o < outer; ++o) copy.run(o * inner, (o * count + k) * inner, inner);
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
        for (int64_t o = 0; o < outer; ++o) copy.run((o * count + k) * inner, o * inner, inner);
    }
    return Status::ok();
}

// ---- SHAPE ----
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
    table[schema::BuiltinOperator_GATHER] = {prepareGather, evalGather, true};
    table[schema::BuiltinOperator_SPLIT] = {prepareSplit, evalSplit};
    table[schema::BuiltinOperator_SPLIT_V] = {prepareSplit, evalSplit};
    table[schema::BuiltinOperator_PACK] = {preparePack, evalPack};
    table[schema::BuiltinOperator_UNPACK] = {prepareUnpack, evalUnpack};
    table[schema::BuiltinOperator_SHAPE] = {prepareShape, evalShape};
}

}  // namespace litestudio::reference

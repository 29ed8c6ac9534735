#include "accelerators/cpu/joins_and_splits_on_threads.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/copy_bytes.h"
#include "core/kernels/reference/element_copier.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

// A share smaller than this many bytes is not worth handing to a thread.
constexpr size_t kLeastShareBytes = 4096;

struct Layout {
    int axis = 0;
    bool raw = false;  // every part moves unchanged; otherwise the reference kernel runs
};

// The joined tensor (a CONCATENATION's output, a SPLIT's input) and its parts.
struct Parts {
    RuntimeTensor* whole = nullptr;
    std::vector<RuntimeTensor*> parts;
};

bool joins(const KernelContext& context) { return context.model->opCode(*context.op).builtin == schema::BuiltinOperator_CONCATENATION; }

Parts partsOf(KernelContext& context) {
    const int32_t builtin = context.model->opCode(*context.op).builtin;
    if (builtin == schema::BuiltinOperator_CONCATENATION) return {&context.output(0), context.inputs};
    return {&context.input(builtin == schema::BuiltinOperator_SPLIT ? 1 : 0), context.outputs};
}

struct RowMove {
    uint8_t* whole;
    size_t wholeRowBytes;
    std::vector<std::pair<uint8_t*, size_t>> parts;  // data, bytes of one outer row
    bool joins;
};

// Outer rows [first, first + count): each row's parts one after the other.
void moveRows(void* argument, size_t first, size_t count) {
    const auto& move = *static_cast<const RowMove*>(argument);
    for (size_t row = first; row < first + count; ++row) {
        uint8_t* whole = move.whole + row * move.wholeRowBytes;
        for (const auto& [data, rowBytes] : move.parts) {
            if (move.joins) reference::copyBytes(whole, data + row * rowBytes, rowBytes);
            else reference::copyBytes(data + row * rowBytes, whole, rowBytes);
            whole += rowBytes;
        }
    }
}

Status prepare(KernelContext& context) {
    const KernelDef* reference = findReferenceKernel(context.model->opCode(*context.op).builtin);
    LS_RETURN_IF_ERROR(reference->prepare(context));
    auto layout = std::make_shared<Layout>();
    Parts parts = partsOf(context);
    if (joins(context)) {
        const auto* options = context.op->options->builtin_options_as_ConcatenationOptions();
        layout->axis = reference::normalizeAxis(options ? options->axis() : 0, parts.whole->rank());
    } else {
        const bool isV = context.model->opCode(*context.op).builtin == schema::BuiltinOperator_SPLIT_V;
        const std::vector<int64_t> axis = reference::readIntegers(context.input(isV ? 2 : 0));
        layout->axis = axis.size() == 1 ? reference::normalizeAxis(static_cast<int>(axis[0]), parts.whole->rank()) : -1;
    }
    layout->raw = layout->axis >= 0 && layout->axis < parts.whole->rank();
    for (RuntimeTensor* part : parts.parts)
        layout->raw = layout->raw && part && reference::ElementCopier(*part, *parts.whole).raw;
    context.state = layout;
    return Status::ok();
}

Status eval(KernelContext& context) {
    const auto& layout = *static_cast<const Layout*>(context.state.get());
    const KernelDef* reference = findReferenceKernel(context.model->opCode(*context.op).builtin);
    if (!layout.raw) return reference->eval(context);
    // The reference's prepare, which runs again whenever shapes change,
    // checked that the parts tile the whole along the axis.
    Parts parts = partsOf(context);
    const RuntimeTensor& whole = *parts.whole;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < layout.axis; ++d) outer *= whole.dim(d);
    for (int d = layout.axis + 1; d < whole.rank(); ++d) inner *= whole.dim(d);
    const size_t elementBytes = static_cast<size_t>(dataTypeBits(whole.type) / 8);
    RowMove move{whole.data, static_cast<size_t>(whole.dim(layout.axis) * inner) * elementBytes, {}, joins(context)};
    for (RuntimeTensor* part : parts.parts)
        move.parts.push_back({part->data, static_cast<size_t>(part->dim(layout.axis) * inner) * elementBytes});
    if (outer <= 0 || move.wholeRowBytes == 0) return Status::ok();
    parallelizeTiles(context, moveRows, &move, static_cast<size_t>(outer), std::max<size_t>(1, kLeastShareBytes / move.wholeRowBytes), 1);
    return Status::ok();
}

}  // namespace

const KernelDef* joinAndSplitOnThreadsKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{prepare, eval};
    auto constant = [&](size_t input) { return input < op.inputs.size() && op.inputs[input] >= 0 && subgraph.tensors[static_cast<size_t>(op.inputs[input])].isConstant(); };
    for (int output : op.outputs)
        if (output < 0) return nullptr;
    switch (model.opCode(op).builtin) {
    case schema::BuiltinOperator_CONCATENATION: {
        const auto* options = op.options ? op.options->builtin_options_as_ConcatenationOptions() : nullptr;
        if (options && options->fused_activation_function() != schema::ActivationFunctionType_NONE) return nullptr;
        for (int input : op.inputs)
            if (input < 0) return nullptr;
        return op.outputs.size() == 1 ? &kernel : nullptr;
    }
    case schema::BuiltinOperator_SPLIT: return op.inputs.size() == 2 && constant(0) && op.inputs[1] >= 0 ? &kernel : nullptr;
    case schema::BuiltinOperator_SPLIT_V: return op.inputs.size() == 3 && op.inputs[0] >= 0 && constant(1) && constant(2) ? &kernel : nullptr;
    default: return nullptr;
    }
}

}  // namespace litestudio::cpu

// Ops that choose by a condition: SELECT, SELECT_V2 (pick from x or y per
// element) and WHERE (coordinates of the true elements).

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

bool isSelectV2(const KernelContext& context) {
    return context.model->opCode(*context.op).builtin == schema::BuiltinOperator_SELECT_V2;
}

// SELECT (v1) also takes a rank-1 condition that picks whole rows of x/y.
bool selectsRows(const KernelContext& context) {
    const RuntimeTensor& condition = context.input(0);
    const RuntimeTensor& x = context.input(1);
    return !isSelectV2(context) && condition.rank() == 1 && x.rank() > 1 && condition.dim(0) == x.dim(0);
}

Status prepareSelect(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 3, 3, 1));
    LS_RETURN_IF_ERROR(expectType(context, context.input(0), {DataType::Bool}));
    const RuntimeTensor& x = context.input(1);
    const RuntimeTensor& y = context.input(2);
    if (x.type != y.type) return context.error("x and y differ in type");
    if (selectsRows(context)) {
        if (x.shape != y.shape) return context.error("x and y differ in shape");
        context.output(0).shape = x.shape;
        return Status::ok();
    }
    auto shape = broadcastShape(context, x.shape, y.shape);
    if (!shape) return shape.status();
    if (!isSelectV2(context) && (x.shape != y.shape || context.input(0).shape != x.shape))
        return context.error("SELECT needs condition, x and y of one shape (or a condition per row)");
    shape = broadcastShape(context, context.input(0).shape, *shape);
    if (!shape) return shape.status();
    context.output(0).shape = *shape;
    return Status::ok();
}

Status evalSelect(KernelContext& context) {
    const RuntimeTensor& condition = context.input(0);
    const RuntimeTensor& x = context.input(1);
    const RuntimeTensor& y = context.input(2);
    RuntimeTensor& out = context.output(0);
    const auto* flags = condition.as<const uint8_t>();
    ValueReader readX(x), readY(y);
    ValueWriter write(out);
    bool raw = x.type == out.type && !out.isQuantized() && dataTypeBits(out.type) % 8 == 0;
    size_t elementBytes = static_cast<size_t>(dataTypeBits(out.type) / 8);
    auto pick = [&](int64_t to, bool fromX, int64_t offset) {
        const RuntimeTensor& source = fromX ? x : y;
        if (raw) std::memcpy(out.data + to * elementBytes, source.data + offset * elementBytes, elementBytes);
        else write(to, fromX ? readX(offset) : readY(offset));
    };
    int64_t count = out.elementCount();
    if (selectsRows(context)) {
        int64_t row = condition.dim(0) ? count / condition.dim(0) : 0;
        for (int64_t i = 0; i < count; ++i) pick(i, flags[i / row] != 0, i);
        return Status::ok();
    }
    Broadcast broadcast = makeBroadcast(out.shape, {condition.shape, x.shape, y.shape});
    int64_t offsets[3];
    for (int64_t i = 0; i < count; ++i) {
        broadcast.offsets(i, offsets);
        bool fromX = flags[offsets[0]] != 0;
        pick(i, fromX, offsets[fromX ? 1 : 2]);
    }
    return Status::ok();
}

// WHERE with one input: int64 [true count, rank], row-major order.
Status prepareWhere(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 1, 1, 1));
    const RuntimeTensor& condition = context.input(0);
    LS_RETURN_IF_ERROR(expectType(context, context.output(0), {DataType::Int64, DataType::Int32}));
    if (!context.knows(condition)) {
        context.output(0).shape = {-1, condition.rank()};
        return Status::ok();
    }
    ValueReader read(condition);
    int32_t count = 0;
    for (int64_t i = 0; i < condition.elementCount(); ++i) count += read(i) != 0;
    context.output(0).shape = {count, condition.rank()};
    return Status::ok();
}

Status evalWhere(KernelContext& context) {
    const RuntimeTensor& condition = context.input(0);
    ValueReader read(condition);
    ValueWriter write(context.output(0));
    int64_t row = 0, rank = condition.rank();
    int64_t capacity = context.output(0).elementCount();
    for (int64_t i = 0; i < condition.elementCount(); ++i) {
        if (read(i) == 0) continue;
        if ((row + 1) * rank > capacity) return context.error("more true elements than the output holds");
        int64_t rest = i;
        for (int64_t d = rank - 1; d >= 0; --d) {
            write(row * rank + d, static_cast<double>(rest % condition.dim(static_cast<int>(d))));
            rest /= condition.dim(static_cast<int>(d));
        }
        ++row;
    }
    return Status::ok();
}

}  // namespace

void addSelectionKernels(KernelTable& table) {
    table[schema::BuiltinOperator_SELECT] = {prepareSelect, evalSelect};
    table[schema::BuiltinOperator_SELECT_V2] = {prepareSelect, evalSelect};
    table[schema::BuiltinOperator_WHERE] = {prepareWhere, evalWhere};
}

}  // namespace litestudio::reference

// Ops that run other subgraphs (WHILE, IF, CALL, CALL_ONCE, StableHLO
// composites through their decomposition) and resource variables
// (VAR_HANDLE, ASSIGN_VARIABLE, READ_VARIABLE), through the runtime's
// SubgraphRunner.

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"
#include "core/kernels/string_tensor.h"

namespace litestudio::reference {

namespace {

Status copyTensor(const KernelContext& context, const RuntimeTensor& from, RuntimeTensor& to) {
    Status copied = copyTensorContents(from, to);
    return copied ? copied : context.error(copied.message());
}

Status setShapesFrom(KernelContext& context, int subgraph) {
    std::vector<std::vector<int32_t>> shapes = context.runner->outputShapes(subgraph);
    if (shapes.size() != context.outputs.size())
        return context.error("subgraph " + std::to_string(subgraph) + " has " + std::to_string(shapes.size()) +
                             " outputs, the op " + std::to_string(context.outputs.size()));
    for (size_t i = 0; i < shapes.size(); ++i) context.output(i).shape = shapes[i];
    return Status::ok();
}

// ---- subgraph calls: CALL, STABLEHLO_COMPOSITE ----
int calledSubgraph(const KernelContext& context) { return context.op->calledSubgraphs.at(0); }

Status prepareCall(KernelContext& context) {
    if (context.op->calledSubgraphs.size() != 1) return context.error("does not name the subgraph it calls");
    return setShapesFrom(context, calledSubgraph(context));
}

Status evalCall(KernelContext& context) {
    return context.runner->invoke(calledSubgraph(context), context.inputs, context.outputs);
}

// ---- IF: input 0 is the condition, the rest go to the chosen branch ----
Status prepareIf(KernelContext& context) {
    if (context.op->calledSubgraphs.size() != 2 || context.inputs.empty()) return context.error("malformed IF");
    return setShapesFrom(context, context.op->calledSubgraphs[0]);
}

Status evalIf(KernelContext& context) {
    bool condition = ValueReader(context.input(0))(0) != 0;
    std::vector<RuntimeTensor*> inputs(context.inputs.begin() + 1, context.inputs.end());
    return context.runner->invoke(context.op->calledSubgraphs[condition ? 0 : 1], inputs, context.outputs);
}

// ---- WHILE: loop state flows through the outputs ----
Status prepareWhile(KernelContext& context) {
    if (context.op->calledSubgraphs.size() != 2) return context.error("malformed WHILE");
    if (context.inputs.size() != context.outputs.size()) return context.error("inputs and outputs differ in number");
    for (size_t i = 0; i < context.inputs.size(); ++i) context.output(i).shape = context.input(i).shape;
    return Status::ok();
}

Status evalWhile(KernelContext& context) {
    int condition = context.op->calledSubgraphs[0], body = context.op->calledSubgraphs[1];
    for (size_t i = 0; i < context.inputs.size(); ++i) LS_RETURN_IF_ERROR(copyTensor(context, context.input(i), context.output(i)));
    // The condition's single boolean output lands in scratch.
    RuntimeTensor verdict;
    verdict.name = "while condition";
    verdict.type = DataType::Bool;
    verdict.data = context.scratch;
    verdict.bytes = 1;
    std::vector<RuntimeTensor*> verdictOutput{&verdict};
    const int64_t limit = context.runner->loopLimit();
    for (int64_t iteration = 0;; ++iteration) {
        LS_RETURN_IF_ERROR(context.runner->invoke(condition, context.outputs, verdictOutput));
        if (!verdict.data[0]) break;
        if (iteration >= limit)
            return context.error("the loop ran " + std::to_string(limit) + " iterations without its condition turning false");
        LS_RETURN_IF_ERROR(context.runner->invoke(body, context.outputs, context.outputs));
    }
    return Status::ok();
}

Status prepareWhileWithScratch(KernelContext& context) {
    LS_RETURN_IF_ERROR(prepareWhile(context));
    context.scratchBytes = 1;
    return Status::ok();
}

// ---- CALL_ONCE ----
Status prepareCallOnce(KernelContext& context) {
    if (context.op->calledSubgraphs.size() != 1) return context.error("malformed CALL_ONCE");
    return Status::ok();
}

Status evalCallOnce(KernelContext& context) { return context.runner->invokeOnce(calledSubgraph(context)); }

// ---- resource variables ----
Status prepareVarHandle(KernelContext& context) {
    if (context.outputs.size() != 1) return context.error("expected 1 output");
    context.output(0).shape = {};
    return Status::ok();
}

Status evalVarHandle(KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_VarHandleOptions();
    std::string container = options && options->container() ? options->container()->str() : "";
    std::string name = options && options->shared_name() ? options->shared_name()->str() : "";
    context.output(0).as<int32_t>()[0] = context.runner->variableId(container, name);
    return Status::ok();
}

Status prepareAssign(KernelContext& context) { return expectArity(context, 2, 2, 0); }

Status evalAssign(KernelContext& context) {
    return context.runner->assignVariable(context.input(0).as<int32_t>()[0], context.input(1));
}

Status prepareRead(KernelContext& context) { return expectArity(context, 1, 1, 1); }

Status evalRead(KernelContext& context) {
    return context.runner->readVariable(context.input(0).as<int32_t>()[0], context.output(0));
}

}  // namespace

void addControlFlowKernels(KernelTable& table) {
    table[schema::BuiltinOperator_CALL] = {prepareCall, evalCall, true};
    table[schema::BuiltinOperator_STABLEHLO_COMPOSITE] = {prepareCall, evalCall, true};
    table[schema::BuiltinOperator_IF] = {prepareIf, evalIf, true};
    table[schema::BuiltinOperator_WHILE] = {prepareWhileWithScratch, evalWhile, true};
    table[schema::BuiltinOperator_CALL_ONCE] = {prepareCallOnce, evalCallOnce};
    table[schema::BuiltinOperator_VAR_HANDLE] = {prepareVarHandle, evalVarHandle};
    table[schema::BuiltinOperator_ASSIGN_VARIABLE] = {prepareAssign, evalAssign};
    table[schema::BuiltinOperator_READ_VARIABLE] = {prepareRead, evalRead};
}

}  // namespace litestudio::reference

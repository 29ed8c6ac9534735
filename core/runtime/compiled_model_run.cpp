// CompiledModel's running half: a run through a subgraph's steps, the
// preparing of steps whose shapes are only known during a run, calls into
// other subgraphs (control flow) and resource variables. Compiling and
// memory planning are in compiled_model.cpp.
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "core/kernels/string_tensor.h"
#include "core/runtime/compiled_model.h"
#include "core/runtime/subgraph_runtime.h"
#include "core/support/memory_limit.h"

namespace litestudio {

namespace {

// An op whose outputs all have no elements has nothing to compute; its
// loops over the other dimensions could still run for billions of empty
// iterations on a hostile shape such as [134217729,2048,0,3].
bool writesNothing(const KernelContext& step) {
    if (step.outputs.empty() || !step.op->calledSubgraphs.empty()) return false;
    for (const RuntimeTensor* output : step.outputs)
        if (output->elementCount() != 0) return false;
    return true;
}

}  // namespace

Status CompiledModel::run(int entry) {
    int subgraph = entries_.at(static_cast<size_t>(entry)).subgraph;
    Status status = runSubgraph(subgraph).withContext(model_->label());
    cancelled_ = false;
    return status;
}

// Consecutive steps of one accelerator and compile state run as one session
// of that accelerator (Accelerator::runSession); a step that gives its
// threads to a library ends one, and steps with nothing to run (a relabelled
// tensor, an op folded away) join whichever is running.
Status CompiledModel::runSubgraph(int subgraph) {
    SubgraphRuntime& runtime = *subgraphs_.at(static_cast<size_t>(subgraph));
    const size_t steps = runtime.steps.size();
    auto idle = [&](size_t o) { return runtime.relabels[o] || isFoldedAway(runtime.kernels[o]); };
    auto joins = [&](size_t o, const Accelerator* accelerator, void* state) {
        return idle(o) || (runtime.assignment[o] == accelerator && runtime.steps[o].acceleratorState == state &&
                           !runtime.kernels[o]->runsOutsideThreadSessions);
    };
    for (size_t first = 0; first < steps;) {
        const Accelerator* accelerator = runtime.assignment[first];
        void* state = runtime.steps[first].acceleratorState;
        size_t end = first + 1;
        if (accelerator && state && !idle(first) && !runtime.kernels[first]->runsOutsideThreadSessions)
            while (end < steps && joins(end, accelerator, state)) ++end;
        Status status = Status::ok();
        if (end - first == 1) {
            status = runStep(subgraph, first);
        } else {
            // Two captures keep the lambda inside std::function's own
            // storage: no allocation a session.
            const struct { int subgraph; size_t first, end; } span{subgraph, first, end};
            status = accelerator->runSession(state, [this, &span]() -> Status {
                for (size_t o = span.first; o < span.end; ++o) LS_RETURN_IF_ERROR(runStep(span.subgraph, o));
                return Status::ok();
            });
        }
        if (!status) return status;
        first = end;
    }
    return Status::ok();
}

Status CompiledModel::runStep(int subgraph, size_t o) {
    SubgraphRuntime& runtime = *subgraphs_.at(static_cast<size_t>(subgraph));
    if (cancelled_) return Status::error("cancelled");
    auto start = profiler_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    Status status = o >= runtime.runTimeShapesFrom ? prepareAtRunTime(subgraph, o) : Status::ok();
    if (status && !runtime.relabels[o] && !writesNothing(runtime.steps[o])) status = runtime.kernels[o]->eval(runtime.steps[o]);
    if (profiler_)
        profiler_->opFinished(subgraph, static_cast<int>(o),
                              std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
    if (!status) return status.withContext("subgraph " + std::to_string(subgraph));
    return Status::ok();
}

Status CompiledModel::prepareAtRunTime(int subgraph, size_t stepIndex) {
    SubgraphRuntime& runtime = *subgraphs_.at(static_cast<size_t>(subgraph));
    const Subgraph& graph = model_->subgraphs[static_cast<size_t>(subgraph)];
    KernelContext& step = runtime.steps[stepIndex];
    const Op& op = *step.op;
    LS_RETURN_IF_ERROR(rejectStringOperands(step, *runtime.kernels[stepIndex]));
    // Earlier outputs and the model's inputs have real sizes by now; what is
    // still open was declared with -1s and nothing sizes it (a tensor no op
    // produces, which the validator lets through when its stored shape is
    // empty). Kernels multiply shapes out and must not see one.
    for (const RuntimeTensor* input : step.inputs)
        if (input && hasOpenDimension(input->shape))
            return step.error("input '" + input->name + "' " + shapeText(input->shape) +
                              " has open dimensions that no op, model input or constant gives a size");
    // A variable keeps the buffer its shape had at compile time.
    std::vector<std::vector<int32_t>> heldShapes;
    for (int output : op.outputs) {
        RuntimeTensor& tensor = runtime.tensors[static_cast<size_t>(output)];
        if (graph.tensors[static_cast<size_t>(output)].isVariable) heldShapes.push_back(tensor.shape);
        else tensor.shape = runtime.declaredShapes[static_cast<size_t>(output)];
    }
    step.scratchBytes = 0;
    step.valuesKnown = true;
    step.missingOperand.clear();
    Status prepared = runtime.kernels[stepIndex]->prepare(step);
    if (!step.missingOperand.empty()) return step.error("the model gives it no " + step.missingOperand);
    LS_RETURN_IF_ERROR(prepared);
    size_t variable = 0;
    for (int output : op.outputs) {
        RuntimeTensor& tensor = runtime.tensors[static_cast<size_t>(output)];
        if (graph.tensors[static_cast<size_t>(output)].isVariable) {
            const std::vector<int32_t>& held = heldShapes[variable++];
            if (hasOpenDimension(tensor.shape) || denseByteSize(tensor.type, tensor.shape) != tensor.bytes) {
                const std::string made = shapeText(tensor.shape);
                tensor.shape = held;
                return step.error("would make variable '" + tensor.name + "' " + made + ", which holds " + shapeText(held));
            }
            continue;
        }
        if (tensor.growable) continue;  // a string tensor: its kernel sizes it
        if (hasOpenDimension(tensor.shape))
            return step.error("cannot work out the shape of output '" + tensor.name + "' (" + shapeText(tensor.shape) + ")");
        tensor.bytes = denseByteSize(tensor.type, tensor.shape);
        LS_RETURN_IF_ERROR(checkFitsInMemory(tensor.bytes, step.opLabel + " output '" + tensor.name + "'"));
        if (tensor.bytes > options_.runTimeTensorLimit)
            return step.error("output '" + tensor.name + "' " + shapeText(tensor.shape) + " would take " + std::to_string(tensor.bytes) +
                              " bytes, over the limit of " + std::to_string(options_.runTimeTensorLimit) + " set for this run");
        tensor.data = runtime.runTimeTensors[output].reserve(tensor.bytes);
        if (!tensor.data) return step.error("cannot allocate " + std::to_string(tensor.bytes) + " bytes for '" + tensor.name + "'");
    }
    LS_RETURN_IF_ERROR(checkFitsInMemory(step.scratchBytes, step.opLabel + " scratch memory"));
    step.scratch = step.scratchBytes ? runtime.runTimeScratch[stepIndex].reserve(step.scratchBytes) : nullptr;
    if (step.scratchBytes && !step.scratch) return step.error("cannot allocate scratch memory");
    return Status::ok();
}

Status CompiledModel::invoke(int subgraph, const std::vector<RuntimeTensor*>& inputs,
                             const std::vector<RuntimeTensor*>& outputs) {
    const Subgraph& callee = model_->subgraphs[static_cast<size_t>(subgraph)];
    SubgraphRuntime& runtime = *subgraphs_.at(static_cast<size_t>(subgraph));
    std::string where = "subgraph " + std::to_string(subgraph);
    if (inputs.size() != callee.inputs.size() || outputs.size() != callee.outputs.size())
        return Status::error(where + " takes " + std::to_string(callee.inputs.size()) + " inputs and gives " +
                             std::to_string(callee.outputs.size()) + " outputs; the caller passes " +
                             std::to_string(inputs.size()) + " and expects " + std::to_string(outputs.size()));
    bool reshaped = false;
    for (size_t i = 0; i < inputs.size(); ++i) {
        RuntimeTensor& target = runtime.tensors[static_cast<size_t>(callee.inputs[i])];
        if (target.shape != inputs[i]->shape) {
            target.shape = inputs[i]->shape;
            reshaped = true;
        }
    }
    // A new input shape re-plans the callee (the only allocation a run may do).
    if (reshaped) LS_RETURN_IF_ERROR(prepareSubgraph(subgraph).withContext(where));
    for (size_t i = 0; i < inputs.size(); ++i) {
        RuntimeTensor& target = runtime.tensors[static_cast<size_t>(callee.inputs[i])];
        Status copied = copyTensorContents(*inputs[i], target);
        if (!copied) return Status::error(where + " input " + std::to_string(i) + ": " + copied.message());
    }
    LS_RETURN_IF_ERROR(runSubgraph(subgraph));
    for (size_t i = 0; i < outputs.size(); ++i) {
        const RuntimeTensor& source = runtime.tensors[static_cast<size_t>(callee.outputs[i])];
        if (source.type != DataType::String && source.bytes != outputs[i]->bytes)
            return Status::error(where + " output " + std::to_string(i) + " has shape " + shapeText(source.shape) +
                                 ", the caller expects " + shapeText(outputs[i]->shape));
        Status copied = copyTensorContents(source, *outputs[i]);
        if (!copied) return Status::error(where + " output " + std::to_string(i) + ": " + copied.message());
    }
    return Status::ok();
}

std::vector<std::vector<int32_t>> CompiledModel::outputShapes(int subgraph) const {
    std::vector<std::vector<int32_t>> shapes;
    const SubgraphRuntime& runtime = *subgraphs_.at(static_cast<size_t>(subgraph));
    for (int output : model_->subgraphs[static_cast<size_t>(subgraph)].outputs)
        shapes.push_back(runtime.tensors[static_cast<size_t>(output)].shape);
    return shapes;
}

Status CompiledModel::invokeOnce(int subgraph) {
    if (!ranOnce_.insert(subgraph).second) return Status::ok();
    return invoke(subgraph, {}, {});
}

int32_t CompiledModel::variableId(const std::string& container, const std::string& sharedName) {
    std::string key = container + '\0' + sharedName;
    auto found = variableIds_.find(key);
    if (found != variableIds_.end()) return found->second;
    int32_t id = static_cast<int32_t>(variableIds_.size());
    variableIds_[key] = id;
    return id;
}

Status CompiledModel::assignVariable(int32_t id, const RuntimeTensor& value) {
    if (id < 0 || id >= static_cast<int32_t>(variableIds_.size()))
        return Status::error("ASSIGN_VARIABLE: no resource variable with handle " + std::to_string(id));
    Variable& variable = variables_[id];
    variable.type = value.type;
    variable.shape = value.shape;
    variable.bytes.assign(value.data, value.data + value.bytes);
    return Status::ok();
}

Status CompiledModel::readVariable(int32_t id, RuntimeTensor& destination) const {
    auto found = variables_.find(id);
    if (found == variables_.end())
        return Status::error("READ_VARIABLE: resource variable " + std::to_string(id) + " is read before it is assigned");
    const Variable& variable = found->second;
    if (variable.bytes.size() != destination.bytes || variable.type != destination.type)
        return Status::error("READ_VARIABLE: variable holds " + std::string(dataTypeName(variable.type)) + " " +
                             shapeText(variable.shape) + ", '" + destination.name + "' is " +
                             std::string(dataTypeName(destination.type)) + " " + shapeText(destination.shape));
    if (!variable.bytes.empty()) std::memcpy(destination.data, variable.bytes.data(), variable.bytes.size());
    return Status::ok();
}

}  // namespace litestudio

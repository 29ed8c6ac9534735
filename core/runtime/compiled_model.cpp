#include "core/runtime/compiled_model.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/string_tensor.h"
#include "core/runtime/aligned_buffer.h"
#include "core/runtime/arena_planner.h"
#include "core/runtime/constant_folding.h"
#include "core/runtime/attention_fusion.h"
#include "core/runtime/rms_norm_fusion.h"
#include "core/runtime/resize_convolution_swap.h"
#include "core/runtime/rope_fusion.h"
#include "core/runtime/prelu_fusion.h"
#include "core/runtime/broadcast_concat_fusion.h"
#include "core/runtime/channel_scale_fusion.h"
#include "core/runtime/input_affine_fusion.h"
#include "core/runtime/spatial_moments_fusion.h"
#include "core/runtime/residual_add_fusion.h"
#include "core/runtime/resize_arg_max_fusion.h"
#include "core/runtime/swish_fusion.h"
#include "core/runtime/expansion_fusion.h"
#include "core/runtime/stem_fusion.h"
#include "core/runtime/channel_major_layout.h"
#include "core/runtime/separable_block_fusion.h"
#include "core/runtime/op_fusion.h"
#include "core/runtime/subgraph_runtime.h"
#include "core/support/memory_limit.h"

namespace litestudio {

namespace {

// Every subgraph reachable from the entries, so that control-flow bodies
// are checked at creation rather than discovered during a run.
std::set<int> reachableSubgraphs(const Model& model, const std::vector<EntryPoint>& entries) {
    std::set<int> seen;
    std::vector<int> pending;
    for (const EntryPoint& entry : entries) pending.push_back(entry.subgraph);
    while (!pending.empty()) {
        int current = pending.back();
        pending.pop_back();
        if (!seen.insert(current).second) continue;
        for (const Op& op : model.subgraphs[static_cast<size_t>(current)].ops)
            pending.insert(pending.end(), op.calledSubgraphs.begin(), op.calledSubgraphs.end());
    }
    return seen;
}

// Whether the op's output is input 0's bytes under another shape: RESHAPE,
// SQUEEZE and EXPAND_DIMS, and a TRANSPOSE that moves only axes of length 1
// (decode's [1, heads, depth] -> [heads, 1, depth]). Such an output can share
// the input's memory, and the op then has nothing to do.
bool onlyRelabels(const Model& model, const KernelContext& step) {
    const Op& op = *step.op;
    if (op.fused || op.folded || op.inputs.empty() || op.outputs.size() != 1 || !step.hasInput(0) ||
        model.opCode(op).isCustom())
        return false;
    int32_t builtin = model.opCode(op).builtin;
    if (builtin == schema::BuiltinOperator_RESHAPE || builtin == schema::BuiltinOperator_SQUEEZE ||
        builtin == schema::BuiltinOperator_EXPAND_DIMS)
        return true;
    if (builtin != schema::BuiltinOperator_TRANSPOSE || !step.hasInput(1) || !step.input(1).isConstant) return false;
    const std::vector<int32_t>& shape = step.input(0).shape;
    std::vector<int64_t> permutation = reference::readIntegers(step.input(1));
    if (permutation.size() != shape.size()) return false;
    int64_t previous = -1;
    for (int64_t axis : permutation) {
        if (axis < 0 || axis >= static_cast<int64_t>(shape.size())) return false;
        if (shape[static_cast<size_t>(axis)] == 1) continue;
        if (axis < previous) return false;
        previous = axis;
    }
    return true;
}


}  // namespace

Status rejectStringOperands(const KernelContext& step, const KernelDef& kernel) {
    if (kernel.takesStrings) return Status::ok();
    for (const auto* operands : {&step.inputs, &step.outputs})
        for (const RuntimeTensor* tensor : *operands)
            if (tensor && tensor->type == DataType::String)
                return step.error("does not take string tensors ('" + tensor->name + "')");
    return Status::ok();
}

bool hasOpenDimension(const std::vector<int32_t>& shape) {
    return std::any_of(shape.begin(), shape.end(), [](int32_t dim) { return dim < 0; });
}

CompiledModel::~CompiledModel() = default;

namespace {
// Ops whose work was done at compile time: nothing is left to run.
Status foldedNothing(KernelContext&) { return Status::ok(); }
const KernelDef kFoldedKernel{foldedNothing, foldedNothing};
}  // namespace

bool isFoldedAway(const KernelDef* kernel) { return kernel == &kFoldedKernel; }

Expected<std::unique_ptr<CompiledModel>> CompiledModel::create(std::shared_ptr<const Model> model,
                                                               const CompileOptions& options) {
    static const std::shared_ptr<const Environment> environment = Environment::createDefault();
    return create(environment, std::move(model), options);
}

Expected<std::unique_ptr<CompiledModel>> CompiledModel::create(std::shared_ptr<const Environment> environment,
                                                               std::shared_ptr<const Model> model,
                                                               const CompileOptions& options) {
    std::vector<const Accelerator*> accelerators;
    for (const std::string& name : options.accelerators) {
        const Accelerator* accelerator = environment->find(name);
        if (!accelerator) {
            std::string known;
            for (const std::string& available : environment->acceleratorNames()) known += (known.empty() ? "" : ", ") + available;
            return Status::error("accelerator '" + name + "' is not available (this build has: " + known + ")");
        }
        accelerators.push_back(accelerator);
    }
    if (accelerators.empty()) return Status::error("no accelerator requested");
    if (options.threads < 1) return Status::error("thread count must be at least 1");
    std::unique_ptr<CompiledModel> compiled(new CompiledModel());
    compiled->environment_ = environment;
    // The graph IR is small next to the weights (which stay in the mapping),
    // so each compiled model rewrites its own copy.
    auto own = std::make_shared<Model>(*model);
    alignConstants(*own, compiled->foldedData_);
    foldConstantWeights(*own, compiled->foldedData_);
    model = own;
    Model& rewritable = *own;
    compiled->model_ = model;
    compiled->options_ = options;
    for (const Accelerator* accelerator : accelerators)
        compiled->acceleratorStates_[accelerator] = accelerator->createCompileState(options.threads);
    for (const Signature& signature : model->signatures)
        compiled->entries_.push_back({signature.key, signature.subgraph, signature.inputs, signature.outputs});
    if (compiled->entries_.empty()) {
        EntryPoint entry;
        entry.key = "(subgraph 0)";
        const Subgraph& main = model->subgraphs[0];
        for (int input : main.inputs) entry.inputs.push_back({main.tensors[static_cast<size_t>(input)].name, input});
        for (int output : main.outputs)
            entry.outputs.push_back({main.tensors[static_cast<size_t>(output)].name, output});
        compiled->entries_.push_back(entry);
    }

    // Every op without a kernel, listed together: the user learns all of
    // them at once, not one per attempt. Each op is asked of the
    // accelerators once, here, and the choice kept for the assignment below
    // (a kernel's choice may scan weights: the sparse convolution counts zeros).
    struct Choice {
        const Accelerator* accelerator = nullptr;
        const KernelDef* kernel = nullptr;
    };
    std::map<int, std::vector<Choice>> choices;
    auto choose = [&](const Subgraph& subgraph, const Op& op) -> Choice {
        if (op.folded) return {nullptr, &kFoldedKernel};
        for (const Accelerator* accelerator : accelerators)
            if (const KernelDef* kernel = accelerator->kernelFor(*model, subgraph, op)) return {accelerator, kernel};
        return {};
    };
    std::map<std::string, std::vector<std::string>> unsupported;
    std::set<int> reachable = reachableSubgraphs(*model, compiled->entries_);
    for (int s : reachable) {
        const Subgraph& subgraph = model->subgraphs[static_cast<size_t>(s)];
        std::vector<Choice>& chosen = choices[s];
        for (size_t o = 0; o < subgraph.ops.size(); ++o) {
            chosen.push_back(choose(subgraph, subgraph.ops[o]));
            if (!chosen.back().kernel)
                unsupported[model->opCode(subgraph.ops[o]).displayName()].push_back("subgraph " + std::to_string(s) + " op " +
                                                                                    std::to_string(o));
        }
    }
    if (!unsupported.empty()) {
        std::string message = model->label() + ": unsupported ops: ";
        bool first = true;
        for (const auto& [name, places] : unsupported) {
            message += (first ? "" : "; ") + name + " (";
            for (size_t i = 0; i < places.size() && i < 4; ++i) message += (i ? ", " : "") + places[i];
            if (places.size() > 4) message += ", and " + std::to_string(places.size() - 4) + " more";
            message += ")";
            first = false;
        }
        return Status::error(message);
    }

    // Callees first: a caller's prepare reads the shapes its callees produce.
    compiled->subgraphs_.resize(model->subgraphs.size());
    std::vector<int> order;
    std::set<int> visited;
    std::function<void(int)> visit = [&](int s) {
        if (!visited.insert(s).second) return;
        for (const Op& op : model->subgraphs[static_cast<size_t>(s)].ops)
            for (int callee : op.calledSubgraphs) visit(callee);
        order.push_back(s);
    };
    for (const EntryPoint& entry : compiled->entries_) visit(entry.subgraph);
    for (int s : order) {
        compiled->subgraphs_[static_cast<size_t>(s)] = std::make_unique<SubgraphRuntime>();
        SubgraphRuntime& runtime = *compiled->subgraphs_[static_cast<size_t>(s)];
        const Subgraph& subgraph = model->subgraphs[static_cast<size_t>(s)];
        auto known = choices.find(s);
        for (size_t o = 0; o < subgraph.ops.size(); ++o) {
            const Choice choice = known != choices.end() ? known->second[o] : choose(subgraph, subgraph.ops[o]);
            runtime.assignment.push_back(choice.accelerator);
            runtime.kernels.push_back(choice.kernel);
        }
        Subgraph& ownSubgraph = rewritable.subgraphs[static_cast<size_t>(s)];
        int fused = fuseIntoConvolutions(rewritable, ownSubgraph, runtime.kernels);
        fused += fuseSeparableBlocks(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseExpansions(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseStems(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        swapResizeAndConvolution(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseBroadcastConcats(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseResidualAdds(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseResizeArgMaxes(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fusePrelus(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseSwishes(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseInputAffines(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseChannelScales(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseSpatialMoments(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseAttention(rewritable, ownSubgraph, runtime.kernels);
        fused += fuseRmsNorm(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        fused += fuseRope(rewritable, ownSubgraph, runtime.kernels, runtime.assignment);
        if (fused > 0)
            for (size_t o = 0; o < ownSubgraph.ops.size(); ++o)
                if (ownSubgraph.ops[o].fused) runtime.kernels[o] = &kFoldedKernel;
        LS_RETURN_IF_ERROR(compiled->prepareSubgraph(s).withContext(model->label() + ": subgraph " + std::to_string(s)));
    }
    return compiled;
}

Status CompiledModel::prepareSubgraph(int index) {
    const Model& model = *model_;
    const Subgraph& subgraph = model.subgraphs[static_cast<size_t>(index)];
    SubgraphRuntime& runtime = *subgraphs_[static_cast<size_t>(index)];
    bool firstTime = runtime.tensors.empty();
    if (firstTime) {
        runtime.tensors.resize(subgraph.tensors.size());
        runtime.declaredShapes.resize(subgraph.tensors.size());
        for (size_t t = 0; t < subgraph.tensors.size(); ++t) {
            const Tensor& source = subgraph.tensors[t];
            RuntimeTensor& tensor = runtime.tensors[t];
            tensor.name = source.name;
            tensor.type = source.type;
            tensor.shape = source.shape;
            // The signature keeps -1 where the converter wrote 1 for an open
            // dimension: such a tensor's shape comes from its producer.
            runtime.declaredShapes[t] = source.shapeSignature.size() == source.shape.size() ? source.shapeSignature : source.shape;
            tensor.quantization = &source.quantization;
            if (source.isConstant()) {
                tensor.isConstant = true;
                // Constants are read in place from the model mapping; kernels never write inputs.
                tensor.data = const_cast<uint8_t*>(source.data.data());
                tensor.bytes = source.data.size();
            }
        }
        // Dynamic input dimensions run as 1 until the caller resizes them.
        for (int input : subgraph.inputs)
            for (int32_t& dim : runtime.tensors[static_cast<size_t>(input)].shape) dim = dim < 0 ? 1 : dim;
        markChannelMajorTensors(subgraph, runtime.kernels, runtime.tensors);
        runtime.steps.resize(subgraph.ops.size());
        for (size_t o = 0; o < subgraph.ops.size(); ++o) {
            const Op& op = subgraph.ops[o];
            KernelContext& step = runtime.steps[o];
            step.model = &model;
            step.op = &op;
            step.runner = this;
            step.acceleratorState = runtime.assignment[o] ? acceleratorStates_[runtime.assignment[o]].get() : nullptr;
            step.subgraph = index;
            step.opLabel = "op " + std::to_string(o) + " (" + model.runtimeOpName(op) + ")";
            for (int input : op.inputs) step.inputs.push_back(input < 0 ? nullptr : &runtime.tensors[static_cast<size_t>(input)]);
            for (int output : op.outputs) step.outputs.push_back(&runtime.tensors[static_cast<size_t>(output)]);
        }
    }

    // Shapes are worked out afresh from the inputs: what a kernel leaves
    // alone stays as the model declares it.
    std::vector<bool> isSubgraphInput(subgraph.tensors.size(), false);
    for (int input : subgraph.inputs) isSubgraphInput[static_cast<size_t>(input)] = true;
    for (size_t t = 0; t < runtime.tensors.size(); ++t)
        if (!runtime.tensors[t].isConstant && !isSubgraphInput[t] && !subgraph.tensors[t].isVariable)
            runtime.tensors[t].shape = runtime.declaredShapes[t];
    runtime.runTimeShapesFrom = SIZE_MAX;
    for (size_t o = 0; o < runtime.steps.size(); ++o) {
        KernelContext& step = runtime.steps[o];
        step.scratchBytes = 0;
        step.valuesKnown = false;
        LS_RETURN_IF_ERROR(rejectStringOperands(step, *runtime.kernels[o]));
        bool inputsOpen = false;
        for (const RuntimeTensor* input : step.inputs) inputsOpen |= input && hasOpenDimension(input->shape);
        if (inputsOpen) {
            runtime.runTimeShapesFrom = o;
            break;
        }
        step.missingOperand.clear();
        Status prepared = runtime.kernels[o]->prepare(step);
        if (!step.missingOperand.empty()) return step.error("the model gives it no " + step.missingOperand);
        LS_RETURN_IF_ERROR(prepared);
        if (step.op->folded || step.op->fused) continue;
        bool outputsOpen = false;
        for (RuntimeTensor* output : step.outputs) {
            if (output->isConstant) return step.error("writes constant tensor '" + output->name + "'");
            outputsOpen |= hasOpenDimension(output->shape);
            // Refused here, before the next op's prepare multiplies out an
            // absurd shape (a PAD by 2^24 on three axes overflows int64).
            if (!hasOpenDimension(output->shape))
                LS_RETURN_IF_ERROR(checkFitsInMemory(denseByteSize(output->type, output->shape),
                                                     step.opLabel + " output '" + output->name + "' " + shapeText(output->shape)));
        }
        if (outputsOpen) {
            runtime.runTimeShapesFrom = o;
            break;
        }
    }
    std::vector<bool> producedAtRunTime(subgraph.tensors.size(), false);
    for (size_t o = runtime.runTimeShapesFrom; o < subgraph.ops.size(); ++o)
        for (int output : subgraph.ops[o].outputs) producedAtRunTime[static_cast<size_t>(output)] = true;

    // Lifetimes: op o writes at step o+1; inputs and outputs live through
    // every step, so that inputs set once stay set for the next run (as in
    // TFLite: a benchmark sets its inputs once and runs many times).
    // Variables keep their own storage across runs.
    const int lastStep = static_cast<int>(subgraph.ops.size()) + 1;
    std::vector<int> first(subgraph.tensors.size(), -1), last(subgraph.tensors.size(), -1);
    for (int input : subgraph.inputs) first[static_cast<size_t>(input)] = 0, last[static_cast<size_t>(input)] = lastStep;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        int step = static_cast<int>(o) + 1;
        for (int input : subgraph.ops[o].inputs) {
            if (input < 0) continue;
            if (first[static_cast<size_t>(input)] < 0) first[static_cast<size_t>(input)] = step;
            last[static_cast<size_t>(input)] = std::max(last[static_cast<size_t>(input)], step);
        }
        for (int output : subgraph.ops[o].outputs) {
            if (first[static_cast<size_t>(output)] < 0) first[static_cast<size_t>(output)] = step;
            last[static_cast<size_t>(output)] = std::max(last[static_cast<size_t>(output)], step);
        }
    }
    for (int output : subgraph.outputs) {
        last[static_cast<size_t>(output)] = lastStep;
        first[static_cast<size_t>(output)] = std::max(first[static_cast<size_t>(output)], 0);
    }

    // Outputs that only relabel their input take its memory (the input then
    // lives as long as they do); chains resolve to the first tensor.
    std::vector<bool> isSubgraphOutput(subgraph.tensors.size(), false);
    for (int output : subgraph.outputs) isSubgraphOutput[static_cast<size_t>(output)] = true;
    std::vector<int> sharesMemoryOf(subgraph.tensors.size(), -1);
    runtime.relabels.assign(subgraph.ops.size(), false);
    for (size_t o = 0; o < std::min(runtime.steps.size(), runtime.runTimeShapesFrom); ++o) {
        const KernelContext& step = runtime.steps[o];
        if (!onlyRelabels(*model_, step)) continue;
        int in = subgraph.ops[o].inputs[0], out = subgraph.ops[o].outputs[0];
        const RuntimeTensor& input = runtime.tensors[static_cast<size_t>(in)];
        const RuntimeTensor& output = runtime.tensors[static_cast<size_t>(out)];
        auto plain = [&](int t) {
            return !subgraph.tensors[static_cast<size_t>(t)].isVariable && !producedAtRunTime[static_cast<size_t>(t)] &&
                   runtime.tensors[static_cast<size_t>(t)].type != DataType::String;
        };
        if (!plain(in) || !plain(out) || output.isConstant || isSubgraphInput[static_cast<size_t>(out)] ||
            runtime.bound.count(out) || input.type != output.type ||
            denseByteSize(input.type, input.shape) != denseByteSize(output.type, output.shape))
            continue;
        int root = sharesMemoryOf[static_cast<size_t>(in)] >= 0 ? sharesMemoryOf[static_cast<size_t>(in)] : in;
        // A graph output may share only memory of the arena's own (kept to
        // the end of the run), never the caller's input, a constant or a binding.
        const RuntimeTensor& rootTensor = runtime.tensors[static_cast<size_t>(root)];
        if (isSubgraphOutput[static_cast<size_t>(out)] &&
            (rootTensor.isConstant || isSubgraphInput[static_cast<size_t>(root)] || runtime.bound.count(root)))
            continue;
        sharesMemoryOf[static_cast<size_t>(out)] = root;
        last[static_cast<size_t>(root)] = std::max(last[static_cast<size_t>(root)], last[static_cast<size_t>(out)]);
        runtime.relabels[o] = true;
    }

    std::vector<ArenaRequest> requests;
    std::vector<std::pair<int, int>> owners;  // (tensor index, -1) or (-1, step index) for scratch
    for (size_t t = 0; t < runtime.tensors.size(); ++t) {
        RuntimeTensor& tensor = runtime.tensors[t];
        if (tensor.isConstant) continue;
        if (tensor.type == DataType::String) {
            // Sized by their values, not their shapes: each keeps its own buffer.
            std::vector<uint8_t>& storage = runtime.strings[static_cast<int>(t)];
            tensor.growable = &storage;
            tensor.data = storage.data();
            tensor.bytes = storage.size();
            continue;
        }
        // Inputs keep arena storage even if an op later overwrites them at run time.
        if (producedAtRunTime[t] && !subgraph.tensors[t].isVariable && !isSubgraphInput[t]) continue;
        tensor.bytes = denseByteSize(tensor.type, tensor.shape);
        if (sharesMemoryOf[t] >= 0) continue;  // pointed at its input's memory below
        if (auto bound = runtime.bound.find(static_cast<int>(t)); bound != runtime.bound.end()) {
            if (bound->second.second != tensor.bytes)
                return Status::error("tensor '" + tensor.name + "' is now " + shapeText(tensor.shape) + " (" +
                                     std::to_string(tensor.bytes) + " bytes) but is bound to " +
                                     std::to_string(bound->second.second) + " bytes");
            tensor.data = bound->second.first;
            continue;
        }
        if (subgraph.tensors[t].isVariable) {
            LS_RETURN_IF_ERROR(checkFitsInMemory(tensor.bytes, "variable '" + tensor.name + "' " + shapeText(tensor.shape)));
            if (firstTime) {
                runtime.persistent.push_back(allocateAligned(tensor.bytes));
                runtime.persistentBytes += tensor.bytes;
                tensor.data = runtime.persistent.back().get();
            }
            continue;
        }
        if (first[t] < 0) continue;  // never used
        LS_RETURN_IF_ERROR(checkFitsInMemory(tensor.bytes, "tensor '" + tensor.name + "' " + shapeText(tensor.shape)));
        requests.push_back({tensor.bytes, first[t], last[t]});
        owners.emplace_back(static_cast<int>(t), -1);
    }
    for (size_t o = 0; o < std::min(runtime.steps.size(), runtime.runTimeShapesFrom); ++o) {
        if (runtime.steps[o].scratchBytes == 0) continue;
        LS_RETURN_IF_ERROR(checkFitsInMemory(runtime.steps[o].scratchBytes, runtime.steps[o].opLabel + " scratch memory"));
        int step = static_cast<int>(o) + 1;
        requests.push_back({runtime.steps[o].scratchBytes, step, step});
        owners.emplace_back(-1, static_cast<int>(o));
    }
    ArenaPlan plan = planArena(requests);
    // The arena with all else the model holds (an arena too large alone fails it too).
    LS_RETURN_IF_ERROR(checkFitsInMemory(saturatedBytes(heldMemoryBytes(index, plan.totalBytes)),
                                         "the activation arena, with the variables and the ops' own tables and rows,"));
    runtime.arena = allocateAligned(plan.totalBytes);
    if (!runtime.arena) return Status::error("cannot allocate a " + std::to_string(plan.totalBytes) + "-byte arena");
    runtime.arenaBytes = plan.totalBytes;
    runtime.lowerBoundBytes = plan.lowerBoundBytes;
    for (size_t r = 0; r < requests.size(); ++r) {
        uint8_t* data = runtime.arena.get() + plan.offsets[r];
        if (owners[r].first >= 0) runtime.tensors[static_cast<size_t>(owners[r].first)].data = data;
        else runtime.steps[static_cast<size_t>(owners[r].second)].scratch = data;
    }
    for (size_t t = 0; t < runtime.tensors.size(); ++t)
        if (sharesMemoryOf[t] >= 0) runtime.tensors[t].data = runtime.tensors[static_cast<size_t>(sharesMemoryOf[t])].data;
    runtime.prepared = true;
    return Status::ok();
}

int CompiledModel::findEntry(const std::string& key) const {
    if (key.empty()) return 0;
    for (size_t i = 0; i < entries_.size(); ++i)
        if (entries_[i].key == key) return static_cast<int>(i);
    return -1;
}

EntryPoint CompiledModel::inSubgraphOrder(int entry) const {
    const EntryPoint& source = entries_.at(static_cast<size_t>(entry));
    const Subgraph& subgraph = model_->subgraphs[static_cast<size_t>(source.subgraph)];
    EntryPoint ordered{source.key, source.subgraph, {}, {}};
    auto nameFor = [](const std::vector<SignatureTensor>& named, int tensor, const std::string& fallback) {
        for (const SignatureTensor& entry : named)
            if (entry.tensor == tensor) return entry.name;
        return fallback;
    };
    for (int input : subgraph.inputs)
        ordered.inputs.push_back({nameFor(source.inputs, input, subgraph.tensors[static_cast<size_t>(input)].name), input});
    for (int output : subgraph.outputs)
        ordered.outputs.push_back(
            {nameFor(source.outputs, output, subgraph.tensors[static_cast<size_t>(output)].name), output});
    return ordered;
}

std::string_view CompiledModel::acceleratorOf(int subgraph, int op) const {
    const auto& runtime = subgraphs_.at(static_cast<size_t>(subgraph));
    if (!runtime) return {};
    const Accelerator* accelerator = runtime->assignment.at(static_cast<size_t>(op));
    const Op& entry = model_->subgraphs[static_cast<size_t>(subgraph)].ops[static_cast<size_t>(op)];
    if (entry.folded) return "folded";
    if (entry.fused) return "fused";
    return accelerator ? accelerator->name() : std::string_view();
}

RuntimeTensor& CompiledModel::tensor(int subgraph, int index) {
    return subgraphs_.at(static_cast<size_t>(subgraph))->tensors.at(static_cast<size_t>(index));
}

bool CompiledModel::isCompiled(int subgraph) const { return subgraphs_.at(static_cast<size_t>(subgraph)) != nullptr; }

Status CompiledModel::setInput(int subgraph, int tensorIndex, std::span<const uint8_t> bytes) {
    RuntimeTensor& target = tensor(subgraph, tensorIndex);
    if (target.growable) {
        auto strings = StringTensorView::open(bytes, target.elementCount(), target.name);
        if (!strings) return Status::error("input " + strings.errorMessage());
        return assignTensorBytes(target, bytes);
    }
    if (bytes.size() != target.bytes)
        return Status::error("input '" + target.name + "' needs " + std::to_string(target.bytes) + " bytes (" +
                             std::string(dataTypeName(target.type)) + " " + shapeText(target.shape) + "), got " +
                             std::to_string(bytes.size()));
    if (!bytes.empty()) std::memcpy(target.data, bytes.data(), bytes.size());
    return Status::ok();
}

Status CompiledModel::resizeInput(int subgraph, int tensorIndex, const std::vector<int32_t>& shape) {
    RuntimeTensor& target = tensor(subgraph, tensorIndex);
    if (target.shape == shape) return Status::ok();
    const Tensor& source = model_->subgraphs[static_cast<size_t>(subgraph)].tensors[static_cast<size_t>(tensorIndex)];
    const std::vector<int32_t>& signature = source.shapeSignature.empty() ? source.shape : source.shapeSignature;
    bool fits = signature.size() == shape.size();
    for (size_t i = 0; fits && i < shape.size(); ++i) fits = shape[i] >= 0 && (signature[i] < 0 || signature[i] == shape[i]);
    if (!fits)
        return Status::error("input '" + target.name + "' of shape " + shapeText(signature) + " cannot take shape " +
                             shapeText(shape));
    target.shape = shape;
    return prepareSubgraph(subgraph);
}

Status CompiledModel::bindBuffers(int subgraph, const std::vector<Binding>& bindings) {
    if (subgraph < 0 || static_cast<size_t>(subgraph) >= subgraphs_.size() || !subgraphs_[static_cast<size_t>(subgraph)])
        return Status::error("bind: subgraph " + std::to_string(subgraph) + " is not prepared");
    SubgraphRuntime& runtime = *subgraphs_[static_cast<size_t>(subgraph)];
    const Subgraph& graph = model_->subgraphs[static_cast<size_t>(subgraph)];
    for (const Binding& binding : bindings) {
        if (binding.tensor < 0 || static_cast<size_t>(binding.tensor) >= runtime.tensors.size())
            return Status::error("bind: subgraph " + std::to_string(subgraph) + " has no tensor " + std::to_string(binding.tensor));
        const RuntimeTensor& tensor = runtime.tensors[static_cast<size_t>(binding.tensor)];
        if (tensor.isConstant || tensor.type == DataType::String || graph.tensors[static_cast<size_t>(binding.tensor)].isVariable)
            return Status::error("bind: tensor '" + tensor.name + "' is constant, a string or a variable");
        size_t expected = denseByteSize(tensor.type, tensor.shape);
        if (binding.bytes != expected || !binding.data)
            return Status::error("bind: tensor '" + tensor.name + "' " + shapeText(tensor.shape) + " needs " +
                                 std::to_string(expected) + " bytes, got " + std::to_string(binding.bytes));
        if (reinterpret_cast<uintptr_t>(binding.data) % 64 != 0)
            return Status::error("bind: memory for '" + tensor.name + "' must be 64-byte aligned");
    }
    for (const Binding& binding : bindings) runtime.bound[binding.tensor] = {static_cast<uint8_t*>(binding.data), binding.bytes};
    return prepareSubgraph(subgraph).withContext(model_->label());
}

double CompiledModel::heldMemoryBytes(int replacing, size_t arenaBytes) const {
    double total = 0, perThread = 0;
    for (size_t s = 0; s < subgraphs_.size(); ++s) {
        const auto& runtime = subgraphs_[s];
        if (!runtime) continue;
        total += double(static_cast<int>(s) == replacing ? arenaBytes : runtime->arenaBytes) + double(runtime->persistentBytes);
        for (const KernelContext& step : runtime->steps) {
            total += double(step.heldBytes);
            perThread = std::max(perThread, double(step.heldBytesPerThread));
        }
    }
    return total + perThread * options_.threads;
}

Status CompiledModel::checkHeldMemory(double pendingBytes, const std::string& what) const {
    return checkFitsInMemory(saturatedBytes(heldMemoryBytes() + pendingBytes), what + ", with all that the model holds,");
}

size_t CompiledModel::arenaBytes() const {
    size_t total = 0;
    for (const auto& runtime : subgraphs_)
        if (runtime) total += runtime->arenaBytes;
    return total;
}

size_t CompiledModel::arenaLowerBoundBytes() const {
    size_t total = 0;
    for (const auto& runtime : subgraphs_)
        if (runtime) total += runtime->lowerBoundBytes;
    return total;
}

}  // namespace litestudio

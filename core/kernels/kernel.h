#pragma once
// The contract between the runtime and one op's kernel: `prepare` checks
// types, computes output shapes and asks for scratch memory, once per shape
// change; `eval` computes, with no allocation.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/graph/model.h"
#include "core/support/status.h"

namespace litestudio {

struct RuntimeTensor {
    std::string name;
    DataType type = DataType::Float32;
    std::vector<int32_t> shape;
    uint8_t* data = nullptr;
    size_t bytes = 0;
    const Quantization* quantization = nullptr;
    bool isConstant = false;
    // A 4-D tensor stored [batch][channel][height][width] instead of NHWC:
    // only between kernels that asked for it (core/runtime/channel_major_layout.h).
    bool channelMajor = false;
    // String tensors only: the runtime-owned buffer `data` points into,
    // resized by assignTensorBytes (core/kernels/string_tensor.h).
    std::vector<uint8_t>* growable = nullptr;

    // Saturates at INT64_MAX instead of wrapping: an empty tensor's other
    // dimensions can be anything a hostile model gives, and prepare counts
    // shapes before the memory check refuses them.
    int64_t elementCount() const {
        for (int32_t dim : shape)
            if (dim == 0) return 0;
        int64_t count = 1;
        for (int32_t dim : shape)
            if (__builtin_mul_overflow(count, int64_t{dim}, &count)) return INT64_MAX;
        return count;
    }
    int rank() const { return static_cast<int>(shape.size()); }
    int32_t dim(int axis) const { return shape[static_cast<size_t>(axis)]; }
    template <typename T> T* as() const { return reinterpret_cast<T*>(data); }
    bool isQuantized() const {
        return quantization && !quantization->scales.empty() &&
               (type == DataType::UInt8 || type == DataType::Int8 || type == DataType::Int16);
    }
    float scale() const { return quantization && !quantization->scales.empty() ? quantization->scales[0] : 1.0f; }
    int32_t zeroPoint() const {
        return quantization && !quantization->zeroPoints.empty() ? static_cast<int32_t>(quantization->zeroPoints[0]) : 0;
    }
};

// Bytes a dense tensor of this type and shape occupies; 0 for types the
// runtime cannot size (strings, resources).
size_t denseByteSize(DataType type, const std::vector<int32_t>& shape);

// What kernels that call other subgraphs (WHILE, IF, CALL_ONCE, StableHLO
// composites) or keep state across runs (resource variables) need from the
// runtime.
class SubgraphRunner {
public:
    virtual ~SubgraphRunner() = default;
    // Copies `inputs` into the subgraph's inputs, runs it, and copies its
    // outputs into `outputs` (which must already have their shapes).
    virtual Status invoke(int subgraph, const std::vector<RuntimeTensor*>& inputs,
                          const std::vector<RuntimeTensor*>& outputs) = 0;
    // Output shapes a subgraph produces, for the caller's prepare.
    virtual std::vector<std::vector<int32_t>> outputShapes(int subgraph) const = 0;
    // Runs a subgraph the first time it is asked for, then never again.
    virtual Status invokeOnce(int subgraph) = 0;
    // Resource variables, by handle: one id per (container, shared name).
    virtual int32_t variableId(const std::string& container, const std::string& sharedName) = 0;
    virtual Status assignVariable(int32_t id, const RuntimeTensor& value) = 0;
    virtual Status readVariable(int32_t id, RuntimeTensor& destination) const = 0;
    // How many iterations a WHILE may run before it is stopped with an error.
    virtual int64_t loopLimit() const = 0;
    // An error naming `what` when all that the compiled model holds (its
    // arenas, variables and every op's KernelContext::heldBytes), with
    // `pendingBytes` not yet in any of them, no longer fits in memory.
    virtual Status checkHeldMemory(double pendingBytes, const std::string& what) const = 0;
};

struct KernelContext {
    const Model* model = nullptr;
    const Op* op = nullptr;
    int subgraph = 0;
    std::string opLabel;                  // "op 3 (CONV_2D)"
    std::vector<RuntimeTensor*> inputs;   // nullptr for omitted optional inputs
    std::vector<RuntimeTensor*> outputs;
    SubgraphRunner* runner = nullptr;
    void* acceleratorState = nullptr;     // per compiled model, from Accelerator::createCompileState
    std::shared_ptr<void> state;          // the kernel's own, made by prepare (packed weights, ...)
    size_t scratchBytes = 0;              // set by prepare
    // Memory the kernel keeps outside the arena, sized by shapes rather than
    // by the file (set through holdMemory): in its state (a table) and on
    // each thread that runs it (rows kept thread_local, which later ops
    // reuse, so a model needs the largest of these, once a thread).
    size_t heldBytes = 0, heldBytesPerThread = 0;
    uint8_t* scratch = nullptr;           // valid during eval
    // True when prepare runs just before eval, every input already computed:
    // ops whose output shape depends on input values (RESHAPE by a computed
    // shape, TILE, TOPK_V2 with a run-time k, WHERE) read them then.
    bool valuesKnown = false;
    bool knows(const RuntimeTensor& tensor) const { return tensor.isConstant || valuesKnown; }

    Status error(const std::string& what) const { return Status::error(opLabel + ": " + what); }
    // An operand the model does not give (a hostile file's op with too few
    // inputs) reads as an empty tensor and marks the context, so the
    // runtime refuses the op after its prepare instead of crashing in it.
    RuntimeTensor& input(size_t index) const {
        return index < inputs.size() && inputs[index] ? *inputs[index] : absent(index, "input");
    }
    RuntimeTensor& output(size_t index) const {
        return index < outputs.size() && outputs[index] ? *outputs[index] : absent(index, "output");
    }
    mutable std::string missingOperand;   // "input 1" when one was asked for and absent
    bool hasInput(size_t index) const { return index < inputs.size() && inputs[index] != nullptr; }
    // Records what this op holds outside the arena, then refuses (naming
    // `what`) where the whole model, with this op's outputs (not yet in an
    // arena), would no longer fit in memory: each op's own check can pass
    // where their sum does not. Called before allocating.
    Status holdMemory(size_t bytes, size_t bytesPerThread, const std::string& what);

private:
    RuntimeTensor& absent(size_t index, const char* kind) const;
};

using KernelFunction = Status (*)(KernelContext&);

struct KernelDef {
    KernelFunction prepare;
    KernelFunction eval;
    // Whether the kernel reads and writes string tensors (through
    // string_tensor.h); the runtime refuses string operands otherwise.
    bool takesStrings = false;
    // Whether the kernel honours Op::fusedPadding and Op::fusedActivation,
    // so the runtime may fold a PAD before it or a RELU after it.
    bool fusesInputPadding = false;
    bool fusesActivation = false;
    // Whether it honours Op::fusedAddend, so an ADD before it may fold in.
    bool fusesAddend = false;
    // Whether it honours Op::fusedAttention (a BATCH_MATMUL kernel).
    bool fusesAttention = false;
    // Whether it honours Op::fusedResidual on a CONV_2D (its input 3 added
    // to the result) or a RESIZE_BILINEAR (its input 2), so the ADD after
    // it may fold in.
    bool fusesResidual = false;
    // Whether it honours Op::fusedBroadcastConcat on a CONV_2D.
    bool fusesBroadcastConcat = false;
    // Whether it honours Op::fusedInputAffine on a CONV_2D.
    bool fusesInputAffine = false;
    // Whether it can write output 0, and read input `input` of `op`,
    // channel-major (RuntimeTensor::channelMajor), so that the runtime may
    // hand a tensor between two such kernels without either transposing it
    // (core/runtime/channel_major_layout.h).
    bool writesChannelMajor = false;
    bool (*readsChannelMajor)(const Op& op, size_t input) = nullptr;
    // Whether eval hands its accelerator's thread pool to a library that
    // dispatches on it itself (XNNPACK's operators), so the runtime ends a
    // thread session (Accelerator::runSession) before the op.
    bool runsOutsideThreadSessions = false;
};

// The portable reference kernel for a builtin op, or nullptr.
const KernelDef* findReferenceKernel(int32_t builtinCode);

// Checks shared by kernels: arity and element types, with messages that
// name the op, the tensor and what was expected.
Status expectArity(const KernelContext& context, size_t minInputs, size_t maxInputs, size_t outputs);
Status expectType(const KernelContext& context, const RuntimeTensor& tensor, std::initializer_list<DataType> allowed);

}  // namespace litestudio

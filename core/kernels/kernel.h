#pragma once
// The contract between the runtime and one op's kernel: `prepare` checks
// types, computes output shapes and asks for scratch memory, once per shape
// change; `eval` computes, with no allocation.

#include <cstdint>
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

    int64_t elementCount() const {
        int64_t count = 1;
        for (int32_t dim : shape) count *= dim;
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

struct KernelContext {
    const Model* model = nullptr;
    const Op* op = nullptr;
    std::string opLabel;                  // "op 3 (CONV_2D)"
    std::vector<RuntimeTensor*> inputs;   // nullptr for omitted optional inputs
    std::vector<RuntimeTensor*> outputs;
    size_t scratchBytes = 0;              // set by prepare
    uint8_t* scratch = nullptr;           // valid during eval

    Status error(const std::string& what) const { return Status::error(opLabel + ": " + what); }
    RuntimeTensor& input(size_t index) const { return *inputs[index]; }
    RuntimeTensor& output(size_t index) const { return *outputs[index]; }
    bool hasInput(size_t index) const { return index < inputs.size() && inputs[index] != nullptr; }
};

using KernelFunction = Status (*)(KernelContext&);

struct KernelDef {
    KernelFunction prepare;
    KernelFunction eval;
};

// The portable reference kernel for a builtin op, or nullptr.
const KernelDef* findReferenceKernel(int32_t builtinCode);

// Checks shared by kernels: arity and element types, with messages that
// name the op, the tensor and what was expected.
Status expectArity(const KernelContext& context, size_t minInputs, size_t maxInputs, size_t outputs);
Status expectType(const KernelContext& context, const RuntimeTensor& tensor, std::initializer_list<DataType> allowed);

}  // namespace litestudio

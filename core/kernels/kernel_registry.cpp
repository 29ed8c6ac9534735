#include <map>

#include "core/kernels/kernel.h"
#include "core/kernels/reference/reference_kernels.h"
#include "core/support/memory_limit.h"

namespace litestudio {

size_t denseByteSize(DataType type, const std::vector<int32_t>& shape) {
    // A resource tensor holds int32 variable handles.
    int bits = type == DataType::Resource ? 32 : dataTypeBits(type);
    if (bits == 0) return 0;
    // Saturates instead of wrapping: a hostile shape must not come out small.
    uint64_t count = 1;
    for (int32_t dim : shape)
        if (__builtin_mul_overflow(count, static_cast<uint64_t>(std::max(dim, 0)), &count)) return SIZE_MAX;
    uint64_t totalBits;
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(bits), &totalBits) || totalBits > UINT64_MAX - 7) return SIZE_MAX;
    return static_cast<size_t>((totalBits + 7) / 8);
}

RuntimeTensor& KernelContext::absent(size_t index, const char* kind) const {
    if (missingOperand.empty()) missingOperand = std::string(kind) + " " + std::to_string(index);
    // Fresh each time: a kernel may have written to the last one.
    thread_local RuntimeTensor empty;
    empty = RuntimeTensor{};
    empty.name = "(absent)";
    empty.shape = {0};
    return empty;
}

Status KernelContext::holdMemory(size_t bytes, size_t bytesPerThread, const std::string& what) {
    heldBytes = bytes;
    heldBytesPerThread = bytesPerThread;
    double outputBytes = 0;
    for (const RuntimeTensor* output : outputs)
        if (output) outputBytes += double(denseByteSize(output->type, output->shape));
    if (runner) return runner->checkHeldMemory(outputBytes, what);
    return checkFitsInMemory(saturatedBytes(outputBytes + double(bytes) + double(bytesPerThread)), what);  // one thread, no model around it
}

const KernelDef* findReferenceKernel(int32_t builtinCode) {
    static const std::map<int32_t, KernelDef> kernels = reference::allKernels();
    auto found = kernels.find(builtinCode);
    return found == kernels.end() ? nullptr : &found->second;
}

Status expectArity(const KernelContext& context, size_t minInputs, size_t maxInputs, size_t outputs) {
    if (context.inputs.size() < minInputs || context.inputs.size() > maxInputs)
        return context.error("expected " +
                             (minInputs == maxInputs ? std::to_string(minInputs)
                                                     : std::to_string(minInputs) + " to " + std::to_string(maxInputs)) +
                             " inputs, got " + std::to_string(context.inputs.size()));
    if (context.outputs.size() != outputs)
        return context.error("expected " + std::to_string(outputs) + " outputs, got " +
                             std::to_string(context.outputs.size()));
    for (size_t i = 0; i < minInputs; ++i)
        if (!context.inputs[i]) return context.error("input " + std::to_string(i) + " is required but omitted");
    return Status::ok();
}

Status expectType(const KernelContext& context, const RuntimeTensor& tensor, std::initializer_list<DataType> allowed) {
    for (DataType type : allowed)
        if (tensor.type == type) return Status::ok();
    std::string names;
    for (DataType type : allowed) names += (names.empty() ? "" : ", ") + std::string(dataTypeName(type));
    return context.error("tensor '" + tensor.name + "' is " + std::string(dataTypeName(tensor.type)) +
                         ", expected " + names);
}

}  // namespace litestudio

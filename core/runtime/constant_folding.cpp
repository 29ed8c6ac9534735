#include "core/runtime/constant_folding.h"

#include <cstring>

#include "core/kernels/reference/kernel_util.h"

namespace litestudio {

namespace {
constexpr int32_t kDequantize = 6;
constexpr int32_t kDensify = 124;
}  // namespace

// Weights stored in a form no fast kernel takes are expanded once here, as
// LiteRT does at prepare: DENSIFY of sparse constants and DEQUANTIZE of
// float16 constants (how converters emit fp16 models). The consumers then
// see constant dense float32 weights, which the fast kernels accept.
void foldConstantWeights(Model& model, std::vector<std::vector<uint8_t>>& foldedData) {
    for (size_t s = 0; s < model.subgraphs.size(); ++s) {
        Subgraph& subgraph = model.subgraphs[s];
        std::vector<bool> isOutput(subgraph.tensors.size(), false);
        for (int output : subgraph.outputs) isOutput[static_cast<size_t>(output)] = true;
        for (Op& op : subgraph.ops) {
            // Sparse constant weights (DENSIFY) are expanded once here, so
            // the DEQUANTIZE after them folds too and the convolution sees
            // constant dense weights, as after LiteRT's prepare.
            if (model.opCode(op).builtin == kDensify && op.inputs.size() == 1 && op.outputs.size() == 1 && op.inputs[0] >= 0 &&
                subgraph.tensors[static_cast<size_t>(op.inputs[0])].isConstant() && !isOutput[static_cast<size_t>(op.outputs[0])]) {
                const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
                Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
                RuntimeTensor in, out;
                in.name = input.name, in.type = input.type, in.shape = input.shape, in.isConstant = true;
                in.data = const_cast<uint8_t*>(input.data.data()), in.bytes = input.data.size();
                out.name = output.name, out.type = output.type, out.shape = output.shape;
                KernelContext context;
                context.model = &model;
                context.op = &op;
                context.subgraph = static_cast<int>(s);
                context.opLabel = "DENSIFY";
                context.inputs = {&in};
                context.outputs = {&out};
                const KernelDef* kernel = findReferenceKernel(kDensify);
                if (!kernel || !kernel->prepare(context)) continue;
                std::vector<uint8_t> dense(denseByteSize(out.type, out.shape));
                out.data = dense.data(), out.bytes = dense.size();
                if (dense.empty() || !kernel->eval(context)) continue;  // left to run time, which reports the problem
                foldedData.push_back(std::move(dense));
                output.data = foldedData.back();
                output.shape = out.shape;
                op.folded = true;
                continue;
            }
            if (model.opCode(op).builtin != kDequantize || op.inputs.size() != 1 || op.outputs.size() != 1 || op.inputs[0] < 0)
                continue;
            const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
            Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
            if (!input.isConstant() || input.isSparse || input.type != DataType::Float16 ||
                output.type != DataType::Float32 || isOutput[static_cast<size_t>(op.outputs[0])] ||
                input.elementCount() < 0 || input.data.size() != static_cast<size_t>(input.elementCount()) * 2)
                continue;
            std::vector<uint8_t> values(input.data.size() * 2);
            const int64_t count = input.elementCount();  // a product over the shape: not once an element
            // Pointers held outside the loop: stores through uint8_t may
            // alias anything, and reloading them kept it from vectorising.
            const uint8_t* from = input.data.data();
            uint8_t* to = values.data();
            for (int64_t i = 0; i < count; ++i) {
                uint16_t half;
                std::memcpy(&half, from + i * 2, 2);
                const float value = reference::halfToFloat(half);
                std::memcpy(to + i * 4, &value, 4);
            }
            foldedData.push_back(std::move(values));
            output.data = foldedData.back();
            output.shape = input.shape;
            op.folded = true;
        }
    }
}

void alignConstants(Model& model, std::vector<std::vector<uint8_t>>& storage) {
    for (Subgraph& subgraph : model.subgraphs)
        for (Tensor& tensor : subgraph.tensors) {
            if (tensor.data.empty() || reinterpret_cast<uintptr_t>(tensor.data.data()) % 16 == 0) continue;
            storage.emplace_back(tensor.data.begin(), tensor.data.end());  // operator new aligns to 16
            tensor.data = storage.back();
        }
}

}  // namespace litestudio

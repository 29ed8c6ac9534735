#include "core/runtime/op_fusion.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

bool isConvolution(int32_t builtin) {
    return builtin == schema::BuiltinOperator_CONV_2D || builtin == schema::BuiltinOperator_DEPTHWISE_CONV_2D;
}

bool sameQuantization(const Tensor& a, const Tensor& b) {
    return a.type == b.type && a.quantization.scheme == b.quantization.scheme && a.quantization.scales == b.quantization.scales &&
           a.quantization.zeroPoints == b.quantization.zeroPoints;
}

// The activation an op applies by its own options; -1 for ops without one.
int ownActivation(const Model& model, const Op& op) {
    if (const auto* conv = op.options->builtin_options_as_Conv2DOptions()) return conv->fused_activation_function();
    if (const auto* depthwise = op.options->builtin_options_as_DepthwiseConv2DOptions())
        return depthwise->fused_activation_function();
    switch (model.opCode(op).builtin) {
    case schema::BuiltinOperator_ADD:
    case schema::BuiltinOperator_SUB:
    case schema::BuiltinOperator_MUL:
    case schema::BuiltinOperator_DIV: return reference::binaryActivation(*op.options);
    default: return -1;
    }
}

int64_t integerAt(const Tensor& tensor, int64_t index) {
    if (tensor.type == DataType::Int64) {
        int64_t value;
        std::memcpy(&value, tensor.data.data() + index * 8, 8);
        return value;
    }
    int32_t value;
    std::memcpy(&value, tensor.data.data() + index * 4, 4);
    return value;
}

// The value a PAD/PADV2 fills with is what the convolution pads with:
// 0.0 for float, the zero point for quantized tensors.
bool padsWithZero(const Subgraph& subgraph, const Op& pad, const Tensor& input) {
    if (pad.inputs.size() < 3 || pad.inputs[2] < 0) return true;
    const Tensor& value = subgraph.tensors[static_cast<size_t>(pad.inputs[2])];
    if (!value.isConstant() || value.elementCount() != 1 || value.type != input.type) return false;
    if (value.type == DataType::Float32) {
        float fill;
        std::memcpy(&fill, value.data.data(), 4);
        return fill == 0.0f;
    }
    int64_t zeroPoint = input.quantization.zeroPoints.empty() ? 0 : input.quantization.zeroPoints[0];
    if (value.type == DataType::Int8) return static_cast<int8_t>(value.data[0]) == zeroPoint;
    if (value.type == DataType::UInt8) return value.data[0] == zeroPoint;
    return false;
}

// Heights and widths padded by a 4-D PAD, or nothing if it pads anything else.
std::optional<std::array<int32_t, 4>> spatialPadding(const Subgraph& subgraph, const Op& pad) {
    if (pad.inputs.size() < 2 || pad.inputs[0] < 0 || pad.inputs[1] < 0 || pad.outputs.size() != 1) return std::nullopt;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(pad.inputs[0])];
    const Tensor& paddings = subgraph.tensors[static_cast<size_t>(pad.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(pad.outputs[0])];
    if (input.shape.size() != 4 || !paddings.isConstant() || paddings.elementCount() != 8 ||
        (paddings.type != DataType::Int32 && paddings.type != DataType::Int64) || !sameQuantization(input, output) ||
        !padsWithZero(subgraph, pad, input))
        return std::nullopt;
    if (input.type != DataType::Float32 && input.type != DataType::Int8 && input.type != DataType::UInt8) return std::nullopt;
    int64_t values[8];
    for (int i = 0; i < 8; ++i) {
        values[i] = integerAt(paddings, i);
        if (values[i] < 0 || values[i] > 1 << 16) return std::nullopt;
    }
    if (values[0] || values[1] || values[6] || values[7]) return std::nullopt;  // batch and channels untouched
    return std::array<int32_t, 4>{int32_t(values[2]), int32_t(values[3]), int32_t(values[4]), int32_t(values[5])};
}

}  // namespace

int fuseIntoConvolutions(const Model& model, Subgraph& subgraph, const std::vector<const KernelDef*>& kernels) {
    std::vector<int> readers(subgraph.tensors.size(), 0), producer(subgraph.tensors.size(), -1);
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        for (int input : subgraph.ops[o].inputs)
            if (input >= 0) ++readers[static_cast<size_t>(input)];
        for (int output : subgraph.ops[o].outputs) producer[static_cast<size_t>(output)] = static_cast<int>(o);
    }
    for (int output : subgraph.outputs) readers[static_cast<size_t>(output)] += 2;  // never fused away
    auto fold = [](Op& op) {
        op.fused = true;
        op.inputs.clear();
        op.outputs.clear();
    };

    int fused = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        Op& op = subgraph.ops[o];
        if (op.folded || op.fused || !kernels[o]) continue;
        int32_t builtin = model.opCode(op).builtin;
        // PAD -> convolutions: each reads the unpadded tensor. All of them
        // or none (pose detection pads once for two heads' depthwise
        // convolutions: a padding pass of 0.043 ms, on one thread).
        if ((builtin == schema::BuiltinOperator_PAD || builtin == schema::BuiltinOperator_PADV2)) {
            auto padding = spatialPadding(subgraph, op);
            int padded = op.outputs.empty() ? -1 : op.outputs[0];
            if (!padding || padded < 0 || readers[static_cast<size_t>(padded)] < 1) continue;
            std::vector<size_t> convolutions;
            for (size_t c = o + 1; c < subgraph.ops.size(); ++c) {
                const Op& conv = subgraph.ops[c];
                const auto reads = std::count(conv.inputs.begin(), conv.inputs.end(), padded);
                if (reads == 0) continue;
                if (reads != 1 || conv.inputs[0] != padded || !isConvolution(model.opCode(conv).builtin) || !kernels[c] ||
                    !kernels[c]->fusesInputPadding || conv.fusedPadding != std::array<int32_t, 4>{})
                    break;
                convolutions.push_back(c);
            }
            if (static_cast<int>(convolutions.size()) != readers[static_cast<size_t>(padded)]) continue;
            for (size_t c : convolutions) {
                subgraph.ops[c].inputs[0] = op.inputs[0];
                subgraph.ops[c].fusedPadding = *padding;
            }
            fold(op);
            ++fused;
            continue;
        }
        // ADD -> PRELU of the same shape: the PRELU adds first, in one pass
        // over memory instead of two.
        if (builtin == schema::BuiltinOperator_PRELU && kernels[o]->fusesAddend && op.inputs.size() == 2 && op.inputs[0] >= 0) {
            int sum = op.inputs[0];
            int a = producer[static_cast<size_t>(sum)];
            if (a < 0 || readers[static_cast<size_t>(sum)] != 1) continue;
            Op& add = subgraph.ops[static_cast<size_t>(a)];
            if (model.opCode(add).builtin != schema::BuiltinOperator_ADD || add.fused || add.folded || add.inputs.size() != 2 ||
                add.inputs[0] < 0 || add.inputs[1] < 0 || add.fusedActivation >= 0 ||
                ownActivation(model, add) != schema::ActivationFunctionType_NONE)
                continue;
            const Tensor& out = subgraph.tensors[static_cast<size_t>(sum)];
            const Tensor& left = subgraph.tensors[static_cast<size_t>(add.inputs[0])];
            const Tensor& right = subgraph.tensors[static_cast<size_t>(add.inputs[1])];
            if (out.type != DataType::Float32 || left.type != DataType::Float32 || right.type != DataType::Float32 ||
                left.shape != out.shape || right.shape != out.shape || out.hasDynamicShape())
                continue;
            op.inputs = {add.inputs[0], op.inputs[1], add.inputs[1]};
            op.fusedAddend = true;
            fold(add);
            ++fused;
            continue;
        }
        // convolution or ADD/SUB/MUL/DIV -> RELU/RELU6/RELU_N1_TO_1: the producer clamps.
        int activation = builtin == schema::BuiltinOperator_RELU           ? schema::ActivationFunctionType_RELU
                         : builtin == schema::BuiltinOperator_RELU6        ? schema::ActivationFunctionType_RELU6
                         : builtin == schema::BuiltinOperator_RELU_N1_TO_1 ? schema::ActivationFunctionType_RELU_N1_TO_1
                                                                          : -1;
        if (activation < 0 || op.inputs.size() != 1 || op.outputs.size() != 1 || op.inputs[0] < 0) continue;
        int middle = op.inputs[0];
        int c = producer[static_cast<size_t>(middle)];
        if (c < 0 || readers[static_cast<size_t>(middle)] != 1) continue;
        Op& conv = subgraph.ops[static_cast<size_t>(c)];
        if (!kernels[static_cast<size_t>(c)] || !kernels[static_cast<size_t>(c)]->fusesActivation ||
            conv.fusedActivation >= 0 || ownActivation(model, conv) != schema::ActivationFunctionType_NONE ||
            conv.outputs.size() != 1 ||
            !sameQuantization(subgraph.tensors[static_cast<size_t>(middle)], subgraph.tensors[static_cast<size_t>(op.outputs[0])]))
            continue;
        conv.outputs[0] = op.outputs[0];
        conv.fusedActivation = activation;
        producer[static_cast<size_t>(op.outputs[0])] = c;
        fold(op);
        ++fused;
    }
    return fused;
}

}  // namespace litestudio

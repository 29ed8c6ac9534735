#include "core/runtime/fusion_matching.h"

#include <cstring>

#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio {

TensorUse tensorUse(const Subgraph& subgraph) {
    TensorUse use{std::vector<int>(subgraph.tensors.size(), -1), std::vector<int>(subgraph.tensors.size(), -1)};
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        for (int input : subgraph.ops[o].inputs)
            if (input >= 0) {
                int& reader = use.reader[static_cast<size_t>(input)];
                reader = reader == -1 ? static_cast<int>(o) : -2;
            }
        for (int output : subgraph.ops[o].outputs)
            if (output >= 0) use.producer[static_cast<size_t>(output)] = static_cast<int>(o);
    }
    for (int output : subgraph.outputs)
        if (output >= 0) use.reader[static_cast<size_t>(output)] = -2;
    return use;
}

bool isStaticFloat(const Subgraph& subgraph, int tensor) {
    if (tensor < 0 || static_cast<size_t>(tensor) >= subgraph.tensors.size()) return false;
    const Tensor& t = subgraph.tensors[static_cast<size_t>(tensor)];
    return t.type == DataType::Float32 && !t.hasDynamicShape() && t.elementCount() >= 0;
}

namespace {

// -1 as the first dimension of the signature, every other one fixed.
bool hasOpenBatchOnly(const Tensor& t) {
    const std::vector<int32_t>& signature = t.shapeSignature;
    if (signature.size() != t.shape.size() || signature.empty() || signature[0] >= 0) return false;
    for (size_t i = 1; i < signature.size(); ++i)
        if (signature[i] < 0 || signature[i] != t.shape[i]) return false;
    return t.shape[0] >= 1;
}

}  // namespace

bool isFeatureMap(const Subgraph& subgraph, int tensor) {
    if (isStaticFloat(subgraph, tensor)) return true;
    if (tensor < 0 || static_cast<size_t>(tensor) >= subgraph.tensors.size()) return false;
    const Tensor& t = subgraph.tensors[static_cast<size_t>(tensor)];
    return t.type == DataType::Float32 && t.shape.size() == 4 && hasOpenBatchOnly(t) && t.elementCount() >= 0;
}

bool isFloatOrQuantizedFeatureMap(const Subgraph& subgraph, int tensor) {
    if (isFeatureMap(subgraph, tensor)) return true;
    if (tensor < 0 || static_cast<size_t>(tensor) >= subgraph.tensors.size()) return false;
    const Tensor& t = subgraph.tensors[static_cast<size_t>(tensor)];
    return (t.type == DataType::UInt8 || t.type == DataType::Int8) && t.quantization.scales.size() == 1 && t.shape.size() == 4 &&
           (!t.hasDynamicShape() || hasOpenBatchOnly(t)) && t.elementCount() >= 0;
}

bool sameFeatureMapShape(const Subgraph& subgraph, int a, int b) {
    const Tensor& first = subgraph.tensors[static_cast<size_t>(a)];
    const Tensor& second = subgraph.tensors[static_cast<size_t>(b)];
    return first.shape == second.shape && first.hasDynamicShape() == second.hasDynamicShape();
}

const std::vector<int32_t>& shapeOf(const Subgraph& subgraph, int tensor) { return subgraph.tensors[static_cast<size_t>(tensor)].shape; }

int activationAfter(const Op& op, int own) { return op.fusedActivation >= 0 ? op.fusedActivation : own; }

bool isPlainOp(const Model& model, const Op& op, int32_t builtin, size_t inputs) {
    return !op.fused && !op.folded && model.opCode(op).builtin == builtin && op.inputs.size() == inputs &&
           op.outputs.size() == 1 && op.outputs[0] >= 0 && op.fusedActivation < 0;
}

int onlyPlainReader(const Model& model, const Subgraph& subgraph, const TensorUse& use, int tensor, int32_t builtin,
                    size_t inputs) {
    int reader = use.reader[static_cast<size_t>(tensor)];
    if (reader < 0 || !isPlainOp(model, subgraph.ops[static_cast<size_t>(reader)], builtin, inputs)) return -1;
    return reader;
}

int plainProducerFor(const Model& model, const Subgraph& subgraph, const TensorUse& use, int tensor, int32_t builtin, size_t inputs,
                     int reader) {
    if (tensor < 0 || use.reader[static_cast<size_t>(tensor)] != reader) return -1;
    const int producer = use.producer[static_cast<size_t>(tensor)];
    if (producer < 0 || !isPlainOp(model, subgraph.ops[static_cast<size_t>(producer)], builtin, inputs)) return -1;
    return producer;
}

bool isUnfusedConvolution(const Model& model, const Op& conv) {
    Op withoutResidual = conv;
    withoutResidual.fusedResidual = false;
    const size_t inputs = conv.fusedResidual ? 4 : 3;
    return isUntouched(model, withoutResidual, schema::BuiltinOperator_CONV_2D) && conv.inputs.size() >= 2 && conv.inputs.size() <= inputs &&
           conv.inputs[0] >= 0 && conv.inputs[1] >= 0 && conv.fusedPadding == std::array<int32_t, 4>{};
}

bool hasNoActivation(const Op& op) {
    return op.options && reference::binaryActivation(*op.options) == schema::ActivationFunctionType_NONE;
}

std::vector<int64_t> constantIntegers(const Subgraph& subgraph, int tensor) {
    if (tensor < 0 || static_cast<size_t>(tensor) >= subgraph.tensors.size()) return {};
    const Tensor& t = subgraph.tensors[static_cast<size_t>(tensor)];
    size_t width = t.type == DataType::Int32 ? 4 : t.type == DataType::Int64 ? 8 : 0;
    int64_t count = t.elementCount();
    if (!t.isConstant() || width == 0 || count < 0 || t.data.size() < static_cast<size_t>(count) * width) return {};
    std::vector<int64_t> values(static_cast<size_t>(count));
    for (size_t i = 0; i < values.size(); ++i) {
        if (width == 4) {
            int32_t value;
            std::memcpy(&value, t.data.data() + i * 4, 4);
            values[i] = value;
        } else {
            std::memcpy(&values[i], t.data.data() + i * 8, 8);
        }
    }
    return values;
}

bool isConstantFloat(const Subgraph& subgraph, int tensor, int64_t count) {
    if (tensor < 0 || static_cast<size_t>(tensor) >= subgraph.tensors.size()) return false;
    const Tensor& t = subgraph.tensors[static_cast<size_t>(tensor)];
    return t.type == DataType::Float32 && t.isConstant() && t.elementCount() == count &&
           t.data.size() >= static_cast<size_t>(count) * sizeof(float);
}

std::vector<int> readerCounts(const Subgraph& subgraph) {
    std::vector<int> count(subgraph.tensors.size(), 0);
    for (const Op& op : subgraph.ops)
        for (int input : op.inputs)
            if (input >= 0 && static_cast<size_t>(input) < count.size()) ++count[static_cast<size_t>(input)];
    for (int output : subgraph.outputs)
        if (output >= 0 && static_cast<size_t>(output) < count.size()) ++count[static_cast<size_t>(output)];
    return count;
}

Op::Epilogue swishMaking(const Model& model, const Subgraph& subgraph, const TensorUse& use, const std::vector<int>& readerCount, int e,
                         int& p, std::array<int, 2>& ops) {
    using namespace schema;
    ops = {-1, -1};
    const int made = e < 0 ? -1 : use.producer[static_cast<size_t>(e)];
    if (made < 0 || !isFeatureMap(subgraph, e)) return Op::Epilogue::None;
    const Op& last = subgraph.ops[static_cast<size_t>(made)];
    if (isPlainOp(model, last, BuiltinOperator_HARD_SWISH, 1) && last.inputs[0] >= 0) {
        const int input = last.inputs[0];
        if (use.reader[static_cast<size_t>(input)] != made || !isFeatureMap(subgraph, input) || !sameFeatureMapShape(subgraph, input, e))
            return Op::Epilogue::None;
        p = input;
        ops = {made, -1};
        return Op::Epilogue::HardSwish;
    }
    if (!isPlainOp(model, last, BuiltinOperator_MUL, 2) || !hasNoActivation(last) || last.inputs[0] < 0 || last.inputs[1] < 0 ||
        last.inputs[0] == last.inputs[1])
        return Op::Epilogue::None;
    for (size_t side = 0; side < 2; ++side) {
        const int s = last.inputs[side], candidate = last.inputs[1 - side];
        const int l = use.producer[static_cast<size_t>(s)];
        if (l < 0 || use.reader[static_cast<size_t>(s)] != made) continue;
        const Op& logistic = subgraph.ops[static_cast<size_t>(l)];
        // p read by the LOGISTIC and the MUL alone: two reads, neither an output.
        if (!isPlainOp(model, logistic, BuiltinOperator_LOGISTIC, 1) || logistic.inputs[0] != candidate ||
            readerCount[static_cast<size_t>(candidate)] != 2 || !isFeatureMap(subgraph, candidate) || !isFeatureMap(subgraph, s) ||
            !sameFeatureMapShape(subgraph, candidate, e) || !sameFeatureMapShape(subgraph, s, e))
            continue;
        p = candidate;
        ops = {l, made};
        return Op::Epilogue::Swish;
    }
    return Op::Epilogue::None;
}

bool takesFusedEpilogue(const Model& model, const Op& op) {
    if (op.fused || op.folded || op.fusedEpilogue != Op::Epilogue::None || op.fusedBroadcastConcat || op.outputs.size() != 1 || op.outputs[0] < 0)
        return false;
    if (op.fusedSeparableBlock) return !op.fusedStem;  // the stem's kernel applies none
    const int32_t builtin = model.opCode(op).builtin;
    return (builtin == schema::BuiltinOperator_CONV_2D || builtin == schema::BuiltinOperator_DEPTHWISE_CONV_2D) && !op.fusedAddend;
}

int channelPaddingInput(const Model& model, const Subgraph& subgraph, const TensorUse& use, int tensor, int& pad) {
    pad = -1;
    if (tensor < 0 || use.reader[static_cast<size_t>(tensor)] < 0) return -1;
    const int o = use.producer[static_cast<size_t>(tensor)];
    if (o < 0) return -1;
    const Op& op = subgraph.ops[static_cast<size_t>(o)];
    const int32_t builtin = model.opCode(op).builtin;
    if (op.fused || op.folded || (builtin != schema::BuiltinOperator_PAD && builtin != schema::BuiltinOperator_PADV2) ||
        op.inputs.size() < 2 || op.inputs[0] < 0 || op.outputs.size() != 1 || !isFeatureMap(subgraph, op.inputs[0]) ||
        shapeOf(subgraph, op.inputs[0]).size() != 4)
        return -1;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
        if (!isConstantFloat(subgraph, op.inputs[2], 1)) return -1;
        float fill;
        std::memcpy(&fill, subgraph.tensors[static_cast<size_t>(op.inputs[2])].data.data(), sizeof fill);
        if (fill != 0.0f) return -1;
    }
    const std::vector<int64_t> paddings = constantIntegers(subgraph, op.inputs[1]);
    if (paddings.size() != 8 || paddings[7] <= 0) return -1;
    for (size_t i = 0; i < 7; ++i)
        if (paddings[i] != 0) return -1;
    pad = o;
    return op.inputs[0];
}

int absorbOps(Subgraph& subgraph, std::initializer_list<int> ops) {
    int absorbed = 0;
    for (int index : ops) {
        if (index < 0) continue;
        Op& op = subgraph.ops[static_cast<size_t>(index)];
        op.fused = true;
        op.inputs.clear();
        op.outputs.clear();
        ++absorbed;
    }
    return absorbed;
}

bool isUntouched(const Model& model, const Op& op, int32_t builtin) {
    return !op.fused && !op.folded && !op.fusedSeparableBlock && !op.fusedExpansion && !op.fusedStem && !op.fusedAddend && !op.fusedResidual &&
           !op.fusedBroadcastConcat && !op.fusedArgMax && !op.fusedInputAffine && !op.fusedMoments && op.fusedEpilogue == Op::Epilogue::None &&
           model.opCode(op).builtin == builtin && op.outputs.size() == 1 && op.outputs[0] >= 0 && op.options;
}

int placeFusedOp(Subgraph& subgraph, size_t o, Op fusedOp, const KernelDef* kernel, const Accelerator* chosen,
                 std::vector<const KernelDef*>& kernels, std::vector<const Accelerator*>& assignment, std::initializer_list<int> absorbed) {
    subgraph.ops[o] = std::move(fusedOp);
    kernels[o] = kernel;
    assignment[o] = chosen;
    return absorbOps(subgraph, absorbed);
}

const KernelDef* fusedKernelOf(const Model& model, const Subgraph& subgraph, const Op& fusedOp,
                               std::initializer_list<const Accelerator*> candidates, const Accelerator*& chosen) {
    for (const Accelerator* candidate : candidates) {
        if (!candidate) continue;
        if (const KernelDef* kernel = candidate->fusedKernelFor(model, subgraph, fusedOp)) {
            chosen = candidate;
            return kernel;
        }
    }
    return nullptr;
}

}  // namespace litestudio

#include "core/format/model_validator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <functional>
#include <limits>

namespace litestudio {

namespace {

std::string tensorLabel(const Subgraph& subgraph, int index) {
    return "tensor " + std::to_string(index) + " '" + subgraph.tensors[static_cast<size_t>(index)].name + "'";
}

Status checkTensorIndex(const Subgraph& subgraph, int index, bool optionalAllowed, const std::string& what) {
    if (optionalAllowed && index == -1) return Status::ok();
    if (index < 0 || static_cast<size_t>(index) >= subgraph.tensors.size())
        return Status::error(what + " refers to tensor " + std::to_string(index) + ", but the subgraph has " +
                             std::to_string(subgraph.tensors.size()) + " tensors");
    return Status::ok();
}

// A string tensor's buffer: int32 count N, N+1 int32 offsets from the
// buffer start, then the characters.
Status checkStringBuffer(const Tensor& tensor, int64_t elements) {
    std::span<const uint8_t> data = tensor.data;
    auto readInt = [&](size_t at) {
        int32_t value;
        std::memcpy(&value, data.data() + at, 4);
        return value;
    };
    if (data.size() < 4) return Status::error("string buffer is " + std::to_string(data.size()) + " bytes, too short");
    int64_t count = readInt(0);
    if (count < 0 || static_cast<uint64_t>(count + 2) * 4 > data.size())
        return Status::error("string buffer claims " + std::to_string(count) + " strings but holds " +
                             std::to_string(data.size()) + " bytes");
    if (elements >= 0 && count != elements)
        return Status::error("string buffer holds " + std::to_string(count) + " strings, shape " +
                             shapeText(tensor.shape) + " needs " + std::to_string(elements));
    int64_t previous = (count + 2) * 4;
    for (int64_t i = 0; i <= count; ++i) {
        int64_t offset = readInt(static_cast<size_t>(4 + i * 4));
        if (offset < previous || offset > static_cast<int64_t>(data.size()))
            return Status::error("string " + std::to_string(i) + " has offset " + std::to_string(offset) +
                                 " outside the buffer");
        previous = offset;
    }
    return Status::ok();
}

// Values a quantized type can store; none for other types.
std::optional<std::pair<int64_t, int64_t>> storedIntegerRange(DataType type) {
    switch (type) {
    case DataType::UInt8: return std::make_pair(int64_t{0}, int64_t{255});
    case DataType::Int8: return std::make_pair(int64_t{-128}, int64_t{127});
    case DataType::Int16: return std::make_pair(int64_t{-32768}, int64_t{32767});
    case DataType::Int4: return std::make_pair(int64_t{-8}, int64_t{7});
    default: return std::nullopt;
    }
}

Status checkTensor(const Model& model, const Subgraph& subgraph, int index) {
    const Tensor& tensor = subgraph.tensors[static_cast<size_t>(index)];
    if (!tensor.shapeSignature.empty() && tensor.shapeSignature.size() != tensor.shape.size())
        return Status::error("shape signature " + shapeText(tensor.shapeSignature) + " has a different rank than shape " +
                             shapeText(tensor.shape));
    // Converters leave -1 in the shape of some activations (calibrated LSTM
    // models); the runtime resolves them. Constants must have a real size.
    int64_t elements = tensor.elementCount();
    if (elements < 0 && tensor.isConstant())
        return Status::error("constant has shape " + shapeText(tensor.shape) + " with a negative or overflowing size");

    const Quantization& q = tensor.quantization;
    if (q.scheme == Quantization::Scheme::PerTensor || q.scheme == Quantization::Scheme::PerChannel) {
        if (!q.zeroPoints.empty() && q.zeroPoints.size() != q.scales.size())
            return Status::error("has " + std::to_string(q.scales.size()) + " quantization scales but " +
                                 std::to_string(q.zeroPoints.size()) + " zero points");
        for (float scale : q.scales)
            if (!std::isfinite(scale)) return Status::error("has a quantization scale that is not a finite number");
        // A zero point outside the stored type's range cannot be a real
        // value of it; kernels rely on this to keep their sums in int32.
        auto range = storedIntegerRange(tensor.type);
        for (int64_t zeroPoint : q.zeroPoints)
            if (range && (zeroPoint < range->first || zeroPoint > range->second))
                return Status::error("has zero point " + std::to_string(zeroPoint) + ", outside the " +
                                     std::string(dataTypeName(tensor.type)) + " range");
        if (q.scheme == Quantization::Scheme::PerChannel) {
            // Some converters record the filter's axis on a rank-1 bias
            // (tflite-micro's person_detect); its channels are its only dimension.
            bool biasQuirk = tensor.shape.size() == 1 && q.axis >= 1 &&
                             static_cast<int64_t>(q.scales.size()) == tensor.shape[0];
            if (!biasQuirk && (q.axis < 0 || static_cast<size_t>(q.axis) >= tensor.shape.size()))
                return Status::error("is quantized along dimension " + std::to_string(q.axis) + " but has rank " +
                                     std::to_string(tensor.shape.size()));
            if (!biasQuirk && static_cast<int64_t>(q.scales.size()) != tensor.shape[static_cast<size_t>(q.axis)])
                return Status::error("has " + std::to_string(q.scales.size()) + " per-channel scales for dimension " +
                                     std::to_string(q.axis) + " of size " +
                                     std::to_string(tensor.shape[static_cast<size_t>(q.axis)]));
        }
    }
    if (q.scheme == Quantization::Scheme::Blockwise || q.scheme == Quantization::Scheme::MultiAxis) {
        LS_RETURN_IF_ERROR(checkTensorIndex(subgraph, q.scalesTensor, false, "blockwise scales"));
        LS_RETURN_IF_ERROR(checkTensorIndex(subgraph, q.zeroPointsTensor, true, "blockwise zero points"));
        if (q.scheme == Quantization::Scheme::Blockwise && q.blockSize <= 0)
            return Status::error("has blockwise quantization with block size " + std::to_string(q.blockSize));
    }

    if (!tensor.isConstant() || tensor.isSparse) return Status::ok();
    if (tensor.type == DataType::String) return checkStringBuffer(tensor, elements);
    int bits = dataTypeBits(tensor.type);
    if (bits == 0) return Status::ok();
    // Sub-byte types are packed, rounded up to whole bytes.
    uint64_t expected = (static_cast<uint64_t>(elements) * static_cast<uint64_t>(bits) + 7) / 8;
    if (tensor.data.size() != expected)
        return Status::error("has a " + std::to_string(tensor.data.size()) + "-byte buffer (buffer " +
                             std::to_string(tensor.buffer) + "), but shape " + shapeText(tensor.shape) + " of " +
                             std::string(dataTypeName(tensor.type)) + " needs " + std::to_string(expected) + " bytes");
    (void)model;
    return Status::ok();
}

Status checkSubgraph(const Model& model, const Subgraph& subgraph) {
    for (size_t t = 0; t < subgraph.tensors.size(); ++t)
        LS_RETURN_IF_ERROR(checkTensor(model, subgraph, static_cast<int>(t)).withContext(tensorLabel(subgraph, static_cast<int>(t))));
    for (size_t i = 0; i < subgraph.inputs.size(); ++i)
        LS_RETURN_IF_ERROR(checkTensorIndex(subgraph, subgraph.inputs[i], false, "input " + std::to_string(i)));
    for (size_t i = 0; i < subgraph.outputs.size(); ++i)
        LS_RETURN_IF_ERROR(checkTensorIndex(subgraph, subgraph.outputs[i], false, "output " + std::to_string(i)));
    // Tensors with a value by the time an op runs, in execution order.
    std::vector<bool> written(subgraph.tensors.size(), false);
    for (int input : subgraph.inputs) written[static_cast<size_t>(input)] = true;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        const Op& op = subgraph.ops[o];
        std::string where = "op " + std::to_string(o) + " (" + model.opCode(op).displayName() + ")";
        for (size_t i = 0; i < op.inputs.size(); ++i)
            LS_RETURN_IF_ERROR(checkTensorIndex(subgraph, op.inputs[i], true, where + " input " + std::to_string(i)));
        for (size_t i = 0; i < op.outputs.size(); ++i)
            LS_RETURN_IF_ERROR(checkTensorIndex(subgraph, op.outputs[i], false, where + " output " + std::to_string(i)));
        for (size_t i = 0; i < op.intermediates.size(); ++i)
            LS_RETURN_IF_ERROR(
                checkTensorIndex(subgraph, op.intermediates[i], true, where + " intermediate " + std::to_string(i)));
        for (size_t i = 0; i < op.inputs.size(); ++i) {
            int input = op.inputs[i];
            if (input < 0 || written[static_cast<size_t>(input)]) continue;
            const Tensor& tensor = subgraph.tensors[static_cast<size_t>(input)];
            if (tensor.isConstant() || tensor.isVariable || tensor.elementCount() == 0) continue;
            bool producedLater = false;
            for (size_t later = o + 1; later < subgraph.ops.size() && !producedLater; ++later)
                for (int output : subgraph.ops[later].outputs) producedLater |= output == input;
            return Status::error(where + " input " + std::to_string(i) + " reads " + tensorLabel(subgraph, input) +
                                 (producedLater ? ", which only a later op produces (ops are out of execution order)"
                                                : ", which has no data, is not a subgraph input and no op produces it"));
        }
        // Kernels read their inputs while they write their outputs; one
        // tensor as both would have a kernel overwrite what it still reads
        // (a fuzzed CONCATENATION writing its own input: overlapping
        // copies). Control flow passes tensors through, so it may.
        if (op.calledSubgraphs.empty())
            for (int output : op.outputs)
                if (output >= 0 && std::find(op.inputs.begin(), op.inputs.end(), output) != op.inputs.end())
                    return Status::error(where + " writes " + tensorLabel(subgraph, output) + ", which it also reads");
        for (int output : op.outputs) written[static_cast<size_t>(output)] = true;
        for (int called : op.calledSubgraphs)
            if (called < 0 || static_cast<size_t>(called) >= model.subgraphs.size())
                return Status::error(where + " calls subgraph " + std::to_string(called) + ", but the model has " +
                                     std::to_string(model.subgraphs.size()) + " subgraphs");
    }
    for (size_t i = 0; i < subgraph.outputs.size(); ++i) {
        const Tensor& tensor = subgraph.tensors[static_cast<size_t>(subgraph.outputs[i])];
        if (!written[static_cast<size_t>(subgraph.outputs[i])] && !tensor.isConstant() && !tensor.isVariable &&
            tensor.elementCount() != 0)
            return Status::error("output " + std::to_string(i) + " is " + tensorLabel(subgraph, subgraph.outputs[i]) +
                                 ", which no op produces and is not a subgraph input");
    }
    return Status::ok();
}

// Subgraphs call each other through control-flow ops; a cycle would make
// every walker (runtime, layout, inspect) loop forever.
Status checkNoSubgraphCycles(const Model& model) {
    enum class Mark { Unvisited, InProgress, Done };
    std::vector<Mark> marks(model.subgraphs.size(), Mark::Unvisited);
    std::vector<std::pair<size_t, size_t>> stack;  // (subgraph, next op to follow)
    std::vector<std::vector<int>> callees(model.subgraphs.size());
    for (size_t s = 0; s < model.subgraphs.size(); ++s)
        for (const Op& op : model.subgraphs[s].ops)
            callees[s].insert(callees[s].end(), op.calledSubgraphs.begin(), op.calledSubgraphs.end());
    for (size_t root = 0; root < model.subgraphs.size(); ++root) {
        if (marks[root] != Mark::Unvisited) continue;
        stack.push_back({root, 0});
        marks[root] = Mark::InProgress;
        while (!stack.empty()) {
            auto& [current, next] = stack.back();
            if (next == callees[current].size()) {
                marks[current] = Mark::Done;
                stack.pop_back();
                continue;
            }
            size_t callee = static_cast<size_t>(callees[current][next++]);
            if (marks[callee] == Mark::InProgress)
                return Status::error("subgraph " + std::to_string(current) + " calls subgraph " +
                                     std::to_string(callee) + ", which is already on the call path (a cycle)");
            if (marks[callee] == Mark::Unvisited) {
                marks[callee] = Mark::InProgress;
                stack.push_back({callee, 0});
            }
        }
    }
    return Status::ok();
}

Status checkSignatures(const Model& model) {
    for (const Signature& signature : model.signatures) {
        std::string where = "signature '" + signature.key + "'";
        if (signature.subgraph < 0 || static_cast<size_t>(signature.subgraph) >= model.subgraphs.size())
            return Status::error(where + " runs subgraph " + std::to_string(signature.subgraph) +
                                 ", but the model has " + std::to_string(model.subgraphs.size()) + " subgraphs");
        const Subgraph& subgraph = model.subgraphs[static_cast<size_t>(signature.subgraph)];
        auto among = [](const std::vector<int>& list, int tensor) {
            return std::find(list.begin(), list.end(), tensor) != list.end();
        };
        for (const SignatureTensor& input : signature.inputs) {
            LS_RETURN_IF_ERROR(checkTensorIndex(subgraph, input.tensor, false, where + " input '" + input.name + "'"));
            if (!among(subgraph.inputs, input.tensor))
                return Status::error(where + " input '" + input.name + "' names " + tensorLabel(subgraph, input.tensor) +
                                     ", which is not an input of subgraph " + std::to_string(signature.subgraph));
        }
        for (const SignatureTensor& output : signature.outputs) {
            LS_RETURN_IF_ERROR(checkTensorIndex(subgraph, output.tensor, false, where + " output '" + output.name + "'"));
            if (!among(subgraph.outputs, output.tensor))
                return Status::error(where + " output '" + output.name + "' names " + tensorLabel(subgraph, output.tensor) +
                                     ", which is not an output of subgraph " + std::to_string(signature.subgraph));
        }
    }
    return Status::ok();
}

}  // namespace

Status validateModel(const Model& model) {
    for (size_t s = 0; s < model.subgraphs.size(); ++s)
        LS_RETURN_IF_ERROR(checkSubgraph(model, model.subgraphs[s]).withContext("subgraph " + std::to_string(s)));
    LS_RETURN_IF_ERROR(checkSignatures(model));
    return checkNoSubgraphCycles(model);
}

}  // namespace litestudio

#include "core/inspect/model_summary.h"

#include <algorithm>
#include <map>
#include <set>

namespace litestudio {

namespace {

bool isQuantizedType(DataType type) {
    switch (type) {
    case DataType::Int8: case DataType::UInt8: case DataType::Int16: case DataType::Int32:
    case DataType::Int4: case DataType::Int2: case DataType::UInt4: case DataType::UInt16:
        return true;
    default: return false;
    }
}

TensorSummary summarizeTensor(const Subgraph& subgraph, int index, const std::string& alias = {}) {
    const Tensor& tensor = subgraph.tensors[static_cast<size_t>(index)];
    TensorSummary summary;
    summary.name = alias.empty() ? tensor.name : alias;
    summary.index = index;
    summary.type = tensor.type;
    summary.shape = tensor.shapeSignature.empty() ? tensor.shape : tensor.shapeSignature;
    if (isQuantizedType(tensor.type)) summary.quantization = quantizationScheme(tensor);
    return summary;
}

std::vector<NamedCount> sortedCounts(const std::map<std::string, int>& counts) {
    std::vector<NamedCount> out;
    for (const auto& [name, count] : counts) out.push_back({name, count});
    std::stable_sort(out.begin(), out.end(), [](const NamedCount& a, const NamedCount& b) { return a.count > b.count; });
    return out;
}

void summarizeParameters(const Model& model, ModelSummary& summary) {
    std::map<int, ParameterGroup> groups;
    std::set<uint32_t> seenBuffers;  // weights shared by several tensors count once
    std::map<std::string, int> schemes;
    for (const Subgraph& subgraph : model.subgraphs) {
        for (const Tensor& tensor : subgraph.tensors) {
            if (isQuantizedType(tensor.type)) {
                std::string scheme = quantizationScheme(tensor);
                if (!scheme.empty()) ++schemes[scheme];
            }
            if (!tensor.isConstant()) continue;
            if (tensor.type == DataType::Float16) ++schemes["float16 weights"];
            if (!seenBuffers.insert(tensor.buffer).second) continue;
            ParameterGroup& group = groups[static_cast<int>(tensor.type)];
            group.type = tensor.type;
            ++group.tensors;
            int64_t elements = tensor.elementCount();
            group.elements += elements > 0 ? static_cast<uint64_t>(elements) : 0;
            group.bytes += tensor.data.size();
        }
    }
    for (const auto& [type, group] : groups) {
        summary.parameters.push_back(group);
        summary.parameterCount += group.elements;
        summary.parameterBytes += group.bytes;
    }
    std::stable_sort(summary.parameters.begin(), summary.parameters.end(),
                     [](const ParameterGroup& a, const ParameterGroup& b) { return a.bytes > b.bytes; });
    summary.quantization = sortedCounts(schemes);
}

}  // namespace

std::string quantizationScheme(const Tensor& tensor) {
    const Quantization& q = tensor.quantization;
    std::string type(dataTypeName(tensor.type));
    switch (q.scheme) {
    case Quantization::Scheme::None: return {};
    case Quantization::Scheme::PerTensor: return type + " per-tensor";
    case Quantization::Scheme::PerChannel: return type + " per-channel";
    case Quantization::Scheme::Blockwise: return type + " blockwise (block " + std::to_string(q.blockSize) + ")";
    case Quantization::Scheme::MultiAxis: return type + " multi-axis";
    case Quantization::Scheme::Custom: return type + " custom";
    }
    return {};
}

std::string shapeToString(const std::vector<int32_t>& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        // Appended piece by piece: "," + a temporary string makes GCC 12 warn (-Wrestrict, a false positive at -O3).
        if (i) text += ',';
        text += std::to_string(shape[i]);
    }
    return text + "]";
}

ModelSummary summarizeModel(const Model& model) {
    ModelSummary summary;
    summary.label = model.label();
    summary.bytes = model.bytes().size();
    summary.schemaVersion = model.schemaVersion;
    summary.description = model.description;

    for (const Signature& signature : model.signatures) {
        SignatureSummary out;
        out.key = signature.key;
        out.subgraph = signature.subgraph;
        const Subgraph& subgraph = model.subgraphs[static_cast<size_t>(signature.subgraph)];
        for (const SignatureTensor& input : signature.inputs)
            out.inputs.push_back(summarizeTensor(subgraph, input.tensor, input.name));
        for (const SignatureTensor& output : signature.outputs)
            out.outputs.push_back(summarizeTensor(subgraph, output.tensor, output.name));
        summary.signatures.push_back(std::move(out));
    }

    std::map<std::string, int> histogram, custom;
    std::set<std::string> flex;
    for (size_t s = 0; s < model.subgraphs.size(); ++s) {
        const Subgraph& subgraph = model.subgraphs[s];
        SubgraphSummary out;
        out.index = static_cast<int>(s);
        out.name = subgraph.name;
        out.tensorCount = subgraph.tensors.size();
        out.opCount = subgraph.ops.size();
        for (int input : subgraph.inputs) out.inputs.push_back(summarizeTensor(subgraph, input));
        for (int output : subgraph.outputs) out.outputs.push_back(summarizeTensor(subgraph, output));
        summary.subgraphs.push_back(std::move(out));
        for (const Op& op : subgraph.ops) {
            const OpCode& code = model.opCode(op);
            std::string name = code.displayName();
            ++histogram[name];
            ++summary.opCount;
            if (!code.isCustom()) continue;
            ++custom[name];
            // TensorFlow ops that a Flex delegate would run are custom ops named Flex<TfOp>.
            if (name.starts_with("Flex")) flex.insert(name.substr(4));
        }
    }
    summary.opHistogram = sortedCounts(histogram);
    summary.customOps = sortedCounts(custom);
    summary.flexOps.assign(flex.begin(), flex.end());
    summarizeParameters(model, summary);

    for (const MetadataEntry& entry : model.metadata) summary.metadataEntries.emplace_back(entry.name, entry.data.size());
    summary.metadata = readModelMetadata(model);
    summary.npuTarget = readNpuTarget(model);
    summary.dispatchOps = findDispatchOps(model);
    return summary;
}

FileSummary summarizeFile(const ModelFile& file) {
    FileSummary summary;
    summary.path = file.path;
    summary.fileSize = file.fileSize;
    summary.kind = file.kind;
    if (file.model) summary.model = summarizeModel(*file.model);
    if (file.bundle) {
        summary.bundleVersion = file.bundle->version;
        summary.bundleProperties = file.bundle->properties;
        for (const BundleSection& section : file.bundle->sections) {
            SectionSummary out;
            out.name = section.name;
            out.type = section.type;
            out.offset = section.offset;
            out.size = section.size;
            out.properties = section.properties;
            if (section.model) out.model = summarizeModel(*section.model);
            out.modelError = section.modelError;
            summary.sections.push_back(std::move(out));
        }
    }
    return summary;
}

}  // namespace litestudio

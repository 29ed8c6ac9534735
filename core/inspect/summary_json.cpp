#include "core/inspect/summary_json.h"

namespace litestudio {

namespace {

using nlohmann::json;

json tensorJson(const TensorSummary& tensor) {
    json out = {{"name", tensor.name}, {"tensor", tensor.index}, {"dtype", dataTypeName(tensor.type)},
                {"shape", tensor.shape}};
    if (!tensor.quantization.empty()) out["quantization"] = tensor.quantization;
    return out;
}

json tensorsJson(const std::vector<TensorSummary>& tensors) {
    json out = json::array();
    for (const TensorSummary& tensor : tensors) out.push_back(tensorJson(tensor));
    return out;
}

json countsJson(const std::vector<NamedCount>& counts) {
    json out = json::object();
    for (const NamedCount& entry : counts) out[entry.name] = entry.count;
    return out;
}

json pairsJson(const std::vector<std::pair<std::string, std::string>>& pairs) {
    json out = json::object();
    for (const auto& [key, value] : pairs) out[key] = value;
    return out;
}

}  // namespace

json modelSummaryToJson(const ModelSummary& summary) {
    json out;
    out["bytes"] = summary.bytes;
    out["schema_version"] = summary.schemaVersion;
    out["description"] = summary.description;
    out["signatures"] = json::array();
    for (const SignatureSummary& signature : summary.signatures)
        out["signatures"].push_back({{"key", signature.key}, {"subgraph", signature.subgraph},
                                     {"inputs", tensorsJson(signature.inputs)},
                                     {"outputs", tensorsJson(signature.outputs)}});
    out["subgraphs"] = json::array();
    for (const SubgraphSummary& subgraph : summary.subgraphs)
        out["subgraphs"].push_back({{"index", subgraph.index}, {"name", subgraph.name},
                                    {"tensors", subgraph.tensorCount}, {"ops", subgraph.opCount},
                                    {"inputs", tensorsJson(subgraph.inputs)},
                                    {"outputs", tensorsJson(subgraph.outputs)}});
    out["op_count"] = summary.opCount;
    out["op_histogram"] = countsJson(summary.opHistogram);
    json parameters = {{"count", summary.parameterCount}, {"bytes", summary.parameterBytes}, {"by_dtype", json::object()}};
    for (const ParameterGroup& group : summary.parameters)
        parameters["by_dtype"][std::string(dataTypeName(group.type))] = {
            {"tensors", group.tensors}, {"count", group.elements}, {"bytes", group.bytes}};
    out["parameters"] = parameters;
    out["quantization"] = countsJson(summary.quantization);
    json metadata = {{"entries", json::object()}};
    for (const auto& [name, bytes] : summary.metadataEntries) metadata["entries"][name] = bytes;
    const ModelMetadataInfo& info = summary.metadata;
    for (const MetadataField& field : presentMetadataFields(info)) metadata[field.key] = *field.value;
    metadata["associated_files"] = json::array();
    for (const AssociatedFileInfo& file : info.associatedFiles) {
        json entry = {{"name", file.name}, {"type", file.type}, {"attached_to", file.attachedTo},
                      {"packed", file.packed}, {"bytes", file.bytes}};
        if (!file.description.empty()) entry["description"] = file.description;
        if (file.lineCount >= 0) entry["lines"] = file.lineCount;
        metadata["associated_files"].push_back(entry);
    }
    if (!info.warnings.empty()) metadata["warnings"] = info.warnings;
    out["metadata"] = metadata;
    out["custom_ops"] = countsJson(summary.customOps);
    out["flex_ops"] = summary.flexOps;
    json npu = {{"vendor", summary.npuTarget.vendor}, {"soc", summary.npuTarget.soc}, {"dispatch_ops", json::array()}};
    for (const DispatchOpInfo& op : summary.dispatchOps) {
        json entry = {{"subgraph", op.subgraph}, {"op", op.op}, {"name", op.name},
                      {"bytecode_offset", op.bytecodeOffset}, {"bytecode_size", op.bytecodeSize},
                      {"bytecode_in_file", op.bytecodeInFile}};
        if (!op.problem.empty()) entry["problem"] = op.problem;
        npu["dispatch_ops"].push_back(entry);
    }
    out["npu"] = npu;
    return out;
}

json fileSummaryToJson(const FileSummary& summary) {
    json out;
    out["format_version"] = kInspectJsonVersion;
    out["path"] = summary.path;
    out["file_bytes"] = summary.fileSize;
    out["kind"] = fileKindName(summary.kind);
    if (summary.model) out["model"] = modelSummaryToJson(*summary.model);
    if (summary.kind != FileKind::TfliteModel) {
        out["bundle"] = {{"version", summary.bundleVersion}, {"properties", pairsJson(summary.bundleProperties)},
                         {"sections", json::array()}};
        for (const SectionSummary& section : summary.sections) {
            json entry = {{"name", section.name}, {"type", section.type}, {"offset", section.offset},
                          {"bytes", section.size}, {"properties", pairsJson(section.properties)}};
            if (section.model) entry["model"] = modelSummaryToJson(*section.model);
            if (!section.modelError.empty()) entry["error"] = section.modelError;
            out["bundle"]["sections"].push_back(entry);
        }
    }
    return out;
}

}  // namespace litestudio

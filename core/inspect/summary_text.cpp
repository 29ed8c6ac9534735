#include "core/inspect/summary_text.h"

#include <cstdio>
#include <sstream>

namespace litestudio {

namespace {

std::string formatScaled(double value, const char* unit) {
    char text[32];
    std::snprintf(text, sizeof text, value < 10 ? "%.2f%s" : value < 100 ? "%.1f%s" : "%.0f%s", value, unit);
    return text;
}

std::string pad(const std::string& text, size_t width) {
    return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

void writeTensors(std::ostringstream& out, const char* heading, const std::vector<TensorSummary>& tensors) {
    out << "    " << heading << "\n";
    if (tensors.empty()) out << "      (none)\n";
    size_t width = 8;
    for (const TensorSummary& tensor : tensors) width = std::max(width, tensor.name.size() + 2);
    for (const TensorSummary& tensor : tensors) {
        out << "      " << pad(tensor.name, width) << pad(std::string(dataTypeName(tensor.type)), 9)
            << shapeToString(tensor.shape);
        if (!tensor.quantization.empty()) out << "  (" << tensor.quantization << ")";
        out << "\n";
    }
}

void writeModel(std::ostringstream& out, const ModelSummary& model, const std::string& indent) {
    out << indent << "Schema        TFLite v" << model.schemaVersion << "\n";
    if (!model.description.empty()) out << indent << "Description   " << model.description << "\n";
    out << indent << "Subgraphs     " << model.subgraphs.size() << "\n";
    for (const SubgraphSummary& subgraph : model.subgraphs)
        out << indent << "  #" << subgraph.index << " " << (subgraph.name.empty() ? "(unnamed)" : subgraph.name) << ": "
            << subgraph.opCount << " ops, " << subgraph.tensorCount << " tensors\n";

    out << "\n" << indent << "Signatures (" << model.signatures.size() << ")\n";
    for (const SignatureSummary& signature : model.signatures) {
        out << indent << "  " << signature.key << "  (subgraph " << signature.subgraph << ")\n";
        writeTensors(out, "inputs", signature.inputs);
        writeTensors(out, "outputs", signature.outputs);
    }
    if (model.signatures.empty() && !model.subgraphs.empty()) {
        out << indent << "  (none; subgraph 0 is the entry point)\n";
        writeTensors(out, "inputs", model.subgraphs[0].inputs);
        writeTensors(out, "outputs", model.subgraphs[0].outputs);
    }

    out << "\n" << indent << "Ops (" << model.opCount << " in " << model.opHistogram.size() << " types)\n";
    for (const NamedCount& entry : model.opHistogram)
        out << indent << "  " << pad(std::to_string(entry.count), 7) << entry.name << "\n";

    out << "\n" << indent << "Parameters    " << formatCount(model.parameterCount) << " in "
        << formatBytes(model.parameterBytes) << "\n";
    for (const ParameterGroup& group : model.parameters)
        out << indent << "  " << pad(std::string(dataTypeName(group.type)), 10) << pad(formatCount(group.elements), 9)
            << pad(formatBytes(group.bytes), 11) << group.tensors << " tensors\n";

    if (!model.quantization.empty()) {
        out << "\n" << indent << "Quantization\n";
        for (const NamedCount& entry : model.quantization)
            out << indent << "  " << pad(entry.name, 28) << entry.count << " tensors\n";
    }
    if (!model.customOps.empty()) {
        out << "\n" << indent << "Custom ops\n";
        for (const NamedCount& entry : model.customOps)
            out << indent << "  " << pad(entry.name, 28) << entry.count << "\n";
    }
    if (!model.flexOps.empty()) {
        out << indent << "  Flex (TensorFlow) ops:";
        for (const std::string& name : model.flexOps) out << " " << name;
        out << "\n";
    }
    if (!model.dispatchOps.empty() || !model.npuTarget.vendor.empty()) {
        out << "\n" << indent << "NPU\n";
        if (!model.npuTarget.vendor.empty() || !model.npuTarget.soc.empty())
            out << indent << "  compiled for " << (model.npuTarget.vendor.empty() ? "?" : model.npuTarget.vendor) << " "
                << (model.npuTarget.soc.empty() ? "(SoC not recorded)" : model.npuTarget.soc) << "\n";
        for (const DispatchOpInfo& op : model.dispatchOps) {
            out << indent << "  " << kDispatchOpName << " subgraph " << op.subgraph << " op " << op.op;
            if (!op.name.empty()) out << " '" << op.name << "'";
            if (op.problem.empty())
                out << ": bytecode " << formatBytes(op.bytecodeSize) << " at byte " << op.bytecodeOffset
                    << (op.bytecodeInFile ? "" : " (outside the file)");
            else
                out << ": " << op.problem;
            out << "\n";
        }
    }

    const ModelMetadataInfo& info = model.metadata;
    if (!model.metadataEntries.empty()) {
        out << "\n" << indent << "Metadata\n";
        for (const auto& [name, bytes] : model.metadataEntries)
            out << indent << "  " << pad(name, 28) << formatBytes(bytes) << "\n";
        for (const MetadataField& field : presentMetadataFields(info))
            out << indent << "  " << pad(field.label, 28) << *field.value << "\n";
        for (const AssociatedFileInfo& file : info.associatedFiles) {
            out << indent << "  associated file " << file.name << " (" << file.type << ", " << file.attachedTo;
            if (file.packed) out << ", " << formatBytes(file.bytes);
            if (file.lineCount >= 0) out << ", " << file.lineCount << " lines";
            if (!file.packed) out << ", not packed in the file";
            out << ")\n";
        }
        for (const std::string& warning : info.warnings) out << indent << "  warning: " << warning << "\n";
    }
}

}  // namespace

std::string formatBytes(uint64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + " B";
    if (bytes < (1ull << 20)) return formatScaled(bytes / 1024.0, " KiB");
    if (bytes < (1ull << 30)) return formatScaled(bytes / 1048576.0, " MiB");
    return formatScaled(bytes / 1073741824.0, " GiB");
}

std::string formatCount(uint64_t count) {
    if (count < 1000) return std::to_string(count);
    if (count < 1000000) return formatScaled(count / 1e3, "K");
    if (count < 1000000000) return formatScaled(count / 1e6, "M");
    return formatScaled(count / 1e9, "B");
}

std::string fileSummaryToText(const FileSummary& summary) {
    std::ostringstream out;
    out << "File          " << summary.path << "\n";
    out << "Size          " << formatBytes(summary.fileSize) << " (" << summary.fileSize << " bytes)\n";
    out << "Format        " << fileKindName(summary.kind);
    if (!summary.bundleVersion.empty()) out << " " << summary.bundleVersion;
    out << "\n";
    if (summary.model) writeModel(out, *summary.model, "");
    if (summary.kind == FileKind::TfliteModel) return out.str();
    for (const auto& [key, value] : summary.bundleProperties) out << "  " << pad(key, 26) << value << "\n";
    out << "\nSections (" << summary.sections.size() << ")\n";
    for (const SectionSummary& section : summary.sections) {
        out << "  " << pad(section.name, 22) << pad(section.type, 20) << formatBytes(section.size);
        if (summary.kind == FileKind::LitertlmBundle) out << " at byte " << section.offset;
        out << "\n";
        for (const auto& [key, value] : section.properties) out << "      " << pad(key, 24) << value << "\n";
        if (!section.modelError.empty()) out << "      error: " << section.modelError << "\n";
    }
    for (const SectionSummary& section : summary.sections) {
        if (!section.model) continue;
        out << "\n== " << section.name << " (" << section.type << ") ==\n";
        writeModel(out, *section.model, "  ");
    }
    return out.str();
}

}  // namespace litestudio

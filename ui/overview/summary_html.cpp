#include "ui/overview/summary_html.h"

#include <QFileInfo>

#include "core/inspect/summary_text.h"

namespace litestudio::ui {

namespace {

QString escaped(const std::string& text) { return QString::fromStdString(text).toHtmlEscaped(); }

QString row(const QStringList& cells, bool header = false) {
    QString tag = header ? "th" : "td";
    QString html = "<tr>";
    for (const QString& cell : cells) html += "<" + tag + ">" + cell + "</" + tag + ">";
    return html + "</tr>";
}

QString tensorTable(const QString& caption, const std::vector<TensorSummary>& tensors) {
    QString html = "<p class='caption'>" + caption + "</p><table>" +
                   row({"name", "dtype", "shape", "quantization"}, true);
    for (const TensorSummary& tensor : tensors)
        html += row({escaped(tensor.name), escaped(std::string(dataTypeName(tensor.type))),
                     escaped(shapeToString(tensor.shape)), escaped(tensor.quantization)});
    return html + "</table>";
}

QString modelHtml(const ModelSummary& model) {
    QString html;
    html += "<table class='facts'>";
    html += row({"<b>Schema</b>", "TFLite v" + QString::number(model.schemaVersion)});
    if (!model.description.empty()) html += row({"<b>Description</b>", escaped(model.description)});
    html += row({"<b>Ops</b>", QString::number(model.opCount) + " in " + QString::number(model.opHistogram.size()) +
                                   " types"});
    html += row({"<b>Parameters</b>", escaped(formatCount(model.parameterCount)) + " in " +
                                          escaped(formatBytes(model.parameterBytes))});
    html += "</table>";
    if (!model.dispatchOps.empty() || !model.npuTarget.vendor.empty()) {
        html += "<h2>NPU</h2>";
        if (!model.npuTarget.vendor.empty())
            html += "<p>Compiled for <b>" + escaped(model.npuTarget.vendor) + " " + escaped(model.npuTarget.soc) +
                    "</b></p>";
        html += "<table>" + row({"subgraph", "op", "partition", "bytecode"}, true);
        for (const DispatchOpInfo& op : model.dispatchOps)
            html += row({QString::number(op.subgraph), QString::number(op.op), escaped(op.name),
                         op.problem.empty() ? escaped(formatBytes(op.bytecodeSize)) : escaped(op.problem)});
        html += "</table>";
    }

    html += "<h2>Signatures</h2>";
    for (const SignatureSummary& signature : model.signatures) {
        html += "<h3>" + escaped(signature.key) + " <span class='dim'>(subgraph " +
                QString::number(signature.subgraph) + ")</span></h3>";
        html += tensorTable("Inputs", signature.inputs) + tensorTable("Outputs", signature.outputs);
    }
    if (model.signatures.empty() && !model.subgraphs.empty()) {
        html += "<p class='dim'>No signatures; subgraph 0 is the entry point.</p>";
        html += tensorTable("Inputs", model.subgraphs[0].inputs) + tensorTable("Outputs", model.subgraphs[0].outputs);
    }

    html += "<h2>Subgraphs</h2><table>" + row({"#", "name", "ops", "tensors"}, true);
    for (const SubgraphSummary& subgraph : model.subgraphs)
        html += row({QString::number(subgraph.index), escaped(subgraph.name), QString::number(subgraph.opCount),
                     QString::number(subgraph.tensorCount)});
    html += "</table>";

    html += "<h2>Operators</h2><table>" + row({"op", "count"}, true);
    for (const NamedCount& entry : model.opHistogram)
        html += row({escaped(entry.name), QString::number(entry.count)});
    html += "</table>";

    if (!model.parameters.empty()) {
        html += "<h2>Parameters by dtype</h2><table>" + row({"dtype", "tensors", "values", "bytes"}, true);
        for (const ParameterGroup& group : model.parameters)
            html += row({escaped(std::string(dataTypeName(group.type))), QString::number(group.tensors),
                         escaped(formatCount(group.elements)), escaped(formatBytes(group.bytes))});
        html += "</table>";
    }

    if (!model.quantization.empty()) {
        html += "<h2>Quantization</h2><table>" + row({"scheme", "tensors"}, true);
        for (const NamedCount& entry : model.quantization)
            html += row({escaped(entry.name), QString::number(entry.count)});
        html += "</table>";
    }
    if (!model.customOps.empty()) {
        html += "<h2>Custom ops</h2><table>" + row({"op", "count"}, true);
        for (const NamedCount& entry : model.customOps) html += row({escaped(entry.name), QString::number(entry.count)});
        html += "</table>";
    }
    const ModelMetadataInfo& info = model.metadata;
    if (!model.metadataEntries.empty()) {
        html += "<h2>Metadata</h2><table>";
        for (const MetadataField& field : presentMetadataFields(info))
            html += row({QString("<b>") + field.label + "</b>", escaped(*field.value)});
        for (const auto& [name, bytes] : model.metadataEntries)
            html += row({"<span class='dim'>entry</span> " + escaped(name), escaped(formatBytes(bytes))});
        html += "</table>";
        if (!info.associatedFiles.empty()) {
            html += "<p class='caption'>Associated files</p><table>" +
                    row({"file", "type", "attached to", "size"}, true);
            for (const AssociatedFileInfo& file : info.associatedFiles)
                html += row({escaped(file.name), escaped(file.type), escaped(file.attachedTo),
                             file.packed ? escaped(formatBytes(file.bytes)) +
                                               (file.lineCount >= 0 ? ", " + QString::number(file.lineCount) + " lines"
                                                                    : QString())
                                         : QString("not packed")});
            html += "</table>";
        }
        for (const std::string& warning : info.warnings) html += "<p class='warn'>" + escaped(warning) + "</p>";
    }
    return html;
}

const char* kStyle =
    "<style>"
    "h1 { font-size: 18pt; margin-bottom: 2px; } h2 { font-size: 13pt; margin-top: 18px; }"
    "h3 { font-size: 11pt; } table { border-collapse: collapse; margin-bottom: 6px; }"
    "th { text-align: left; padding: 2px 14px 2px 0; color: palette(mid); }"
    "td { padding: 2px 14px 2px 0; } .dim { color: gray; } .caption { font-weight: bold; margin: 6px 0 2px 0; }"
    ".warn { color: #b36b00; } .error { color: #c0392b; font-size: 12pt; }"
    "</style>";

}  // namespace

QString summaryToHtml(const FileSummary& summary) {
    QString html = kStyle;
    html += "<h1>" + QFileInfo(QString::fromStdString(summary.path)).fileName().toHtmlEscaped() + "</h1>";
    html += "<p class='dim'>" + escaped(summary.path) + " &middot; " + escaped(formatBytes(summary.fileSize)) +
            " &middot; " + fileKindName(summary.kind) +
            (summary.bundleVersion.empty() ? QString() : " " + escaped(summary.bundleVersion)) + "</p>";
    if (summary.model) html += modelHtml(*summary.model);
    if (summary.kind == FileKind::TfliteModel) return html;
    html += "<h2>Sections</h2><table>" + row({"section", "type", "size", "details"}, true);
    for (const SectionSummary& section : summary.sections) {
        QString details;
        for (const auto& [key, value] : section.properties) details += escaped(key) + "=" + escaped(value) + " ";
        if (!section.modelError.empty()) details += "<span class='warn'>" + escaped(section.modelError) + "</span>";
        html += row({escaped(section.name), escaped(section.type), escaped(formatBytes(section.size)), details});
    }
    html += "</table>";
    for (const SectionSummary& section : summary.sections) {
        if (!section.model) continue;
        html += "<hr><h2>" + escaped(section.name) + " &middot; " + escaped(section.type) + "</h2>" +
                modelHtml(*section.model);
    }
    return html;
}

QString errorToHtml(const QString& path, const QString& message) {
    return QString(kStyle) + "<h1>" + QFileInfo(path).fileName().toHtmlEscaped() +
           "</h1><p class='error'><b>This file cannot be opened.</b></p><p>" + message.toHtmlEscaped() + "</p>";
}

}  // namespace litestudio::ui

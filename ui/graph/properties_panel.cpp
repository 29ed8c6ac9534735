#include "ui/graph/properties_panel.h"

#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>

#include <map>

#include "core/inspect/model_summary.h"
#include "core/inspect/op_attributes.h"
#include "core/inspect/summary_text.h"
#include "core/inspect/tensor_statistics.h"
#include "ui/graph/histogram_widget.h"

namespace litestudio::ui {

namespace {

QString escaped(const std::string& text) { return QString::fromStdString(text).toHtmlEscaped(); }

QString row(const QString& name, const QString& value) {
    return "<tr><td class='key'>" + name + "</td><td>" + value + "</td></tr>";
}

QString tensorLink(const Subgraph& subgraph, int tensor) {
    if (tensor < 0) return "<i>(omitted)</i>";
    const Tensor& t = subgraph.tensors[static_cast<size_t>(tensor)];
    QString name = t.name.empty() ? "tensor " + QString::number(tensor) : escaped(t.name);
    if (name.size() > 60) name = name.left(28) + "…" + name.right(28);
    return "<a href='tensor:" + QString::number(tensor) + "'>" + name + "</a>";
}

QString tensorSummary(const Tensor& tensor) {
    QString text = escaped(shapeText(tensor.shape)) + " " + QString::fromUtf8(dataTypeName(tensor.type).data());
    std::string scheme = quantizationScheme(tensor);
    if (tensor.quantization.scheme != Quantization::Scheme::None && !scheme.empty()) text += ", " + escaped(scheme);
    if (tensor.isConstant()) text += ", constant " + escaped(formatBytes(tensor.data.size()));
    return text;
}

QString operandTable(const Subgraph& subgraph, const std::vector<int>& tensors) {
    QString html = "<table>";
    for (size_t i = 0; i < tensors.size(); ++i) {
        int tensor = tensors[i];
        html += row(QString::number(i), tensorLink(subgraph, tensor) +
                                            (tensor >= 0 ? "<br><span class='dim'>" +
                                                               tensorSummary(subgraph.tensors[static_cast<size_t>(tensor)]) +
                                                               "</span>"
                                                         : QString()));
    }
    return html + "</table>";
}

QString opLink(const Model& model, const Subgraph& subgraph, int op) {
    return "<a href='op:" + QString::number(op) + "'>#" + QString::number(op) + " " +
           escaped(model.opCode(subgraph.ops[static_cast<size_t>(op)]).displayName()) + "</a>";
}

const char* kStyle =
    "<style>td{padding:2px 8px 2px 0;vertical-align:top} td.key{color:#777} .dim{color:#888}"
    " h3{margin-bottom:2px}</style>";

QString numberText(double value) { return QString::number(value, 'g', 6); }

}  // namespace

PropertiesPanel::PropertiesPanel(QWidget* parent) : QWidget(parent) {
    setObjectName("propertiesPanel");
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    text_ = new QTextBrowser(this);
    text_->setOpenLinks(false);
    text_->setObjectName("propertiesText");
    histogram_ = new HistogramWidget(this);
    histogram_->hide();
    layout->addWidget(text_, 1);
    layout->addWidget(histogram_);
    connect(text_, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
        QString link = url.toString();
        if (link.startsWith("tensor:")) emit tensorRequested(link.mid(7).toInt());
        else if (link.startsWith("op:")) emit opRequested(link.mid(3).toInt());
    });
    clear();
}

void PropertiesPanel::clear() {
    text_->setHtml(QString(kStyle) + "<p class='dim'>Select an op or an edge to see its properties.</p>");
    histogram_->hide();
}

QString PropertiesPanel::plainText() const { return text_->toPlainText(); }
bool PropertiesPanel::histogramShown() const { return !histogram_->isHidden(); }

void PropertiesPanel::showNode(const GraphScene& scene, int node, const GraphOverlay& overlay) {
    const Model& model = *scene.model;
    const Subgraph& subgraph = model.subgraphs[static_cast<size_t>(scene.subgraph)];
    const DisplayNode& display = scene.graph.nodes[static_cast<size_t>(node)];
    histogram_->hide();
    if (display.kind == DisplayNode::Kind::Input || display.kind == DisplayNode::Kind::Output) {
        showTensor(scene, display.tensor);
        return;
    }
    QString html = kStyle;
    double latency = nodeLatencyMs(scene, node, &overlay);
    QString accelerator = nodeAccelerator(scene, node, &overlay);
    if (display.kind == DisplayNode::Kind::Group) {
        html += "<h3>" + escaped(display.group) + "</h3><p class='dim'>namespace, " +
                QString::number(display.ops.size()) + " ops (double-click to open)</p><table>";
        if (latency >= 0) html += row("latency", QString::number(latency, 'f', 3) + " ms (sum of its ops)");
        if (!accelerator.isEmpty()) html += row("accelerator", accelerator);
        html += "</table><h4>Ops</h4><table>";
        std::map<std::string, int> histogram;
        for (int op : display.ops) ++histogram[model.opCode(subgraph.ops[static_cast<size_t>(op)]).displayName()];
        for (const auto& [name, count] : histogram) html += row(escaped(name), QString::number(count));
        text_->setHtml(html + "</table>");
        return;
    }
    const Op& op = subgraph.ops[static_cast<size_t>(display.op)];
    std::string name = !op.outputs.empty() && op.outputs[0] >= 0 ? subgraph.tensors[static_cast<size_t>(op.outputs[0])].name : "";
    html += "<h3>" + escaped(model.opCode(op).displayName()) + "</h3><p class='dim'>op #" + QString::number(display.op) +
            " of subgraph " + QString::number(scene.subgraph) + (name.empty() ? "" : "<br>" + escaped(name)) + "</p><table>";
    if (model.opCode(op).isCustom()) html += row("custom code", escaped(model.opCode(op).customName));
    html += row("version", QString::number(model.opCode(op).version));
    if (latency >= 0) html += row("latency", QString::number(latency, 'f', 3) + " ms");
    if (!accelerator.isEmpty()) html += row("accelerator", accelerator);
    html += "</table>";
    auto attributes = opAttributes(model, op);
    if (!attributes.empty()) {
        html += "<h4>Options</h4><table>";
        for (const OpAttribute& attribute : attributes) html += row(escaped(attribute.name), escaped(attribute.value));
        html += "</table>";
    }
    html += "<h4>Inputs</h4>" + operandTable(subgraph, op.inputs);
    html += "<h4>Outputs</h4>" + operandTable(subgraph, op.outputs);
    if (!op.calledSubgraphs.empty()) {
        html += "<h4>Calls</h4><table>";
        for (int called : op.calledSubgraphs) {
            QString calledName = called >= 0 && static_cast<size_t>(called) < model.subgraphs.size()
                                     ? escaped(model.subgraphs[static_cast<size_t>(called)].name)
                                     : QString("(missing)");
            html += row("subgraph " + QString::number(called), calledName);
        }
        html += "</table><p class='dim'>Double-click the op to open its body.</p>";
    }
    text_->setHtml(html);
}

void PropertiesPanel::showTensor(const GraphScene& scene, int tensorIndex) {
    const Model& model = *scene.model;
    const Subgraph& subgraph = model.subgraphs[static_cast<size_t>(scene.subgraph)];
    if (tensorIndex < 0 || static_cast<size_t>(tensorIndex) >= subgraph.tensors.size()) return clear();
    const Tensor& tensor = subgraph.tensors[static_cast<size_t>(tensorIndex)];
    QString html = QString(kStyle) + "<h3>" + escaped(tensor.name.empty() ? "tensor" : tensor.name) +
                   "</h3><p class='dim'>tensor #" + QString::number(tensorIndex) + "</p><table>";
    html += row("dtype", QString::fromUtf8(dataTypeName(tensor.type).data()));
    html += row("shape", escaped(shapeText(tensor.shape)));
    if (!tensor.shapeSignature.empty() && tensor.shapeSignature != tensor.shape)
        html += row("shape signature", escaped(shapeText(tensor.shapeSignature)));
    int64_t elements = tensor.elementCount();
    int bits = dataTypeBits(tensor.type);
    if (elements >= 0 && bits > 0)
        html += row("size", escaped(formatBytes(static_cast<uint64_t>((elements * bits + 7) / 8))) + " (" +
                                QString::number(elements) + " elements)");
    html += row("kind", tensor.isConstant() ? "constant, buffer " + QString::number(tensor.buffer) + ", " +
                                                  escaped(formatBytes(tensor.data.size()))
                        : tensor.isVariable ? QString("variable") : QString("activation"));
    if (tensor.isSparse) html += row("sparse", "yes");
    const Quantization& q = tensor.quantization;
    if (q.scheme != Quantization::Scheme::None) {
        html += row("quantization", escaped(quantizationScheme(tensor)));
        auto list = [](const auto& values) {
            QString text;
            for (size_t i = 0; i < values.size() && i < 6; ++i) text += (i ? ", " : "") + QString::number(values[i], 'g', 6);
            if (values.size() > 6) text += ", … (" + QString::number(values.size()) + ")";
            return text;
        };
        if (!q.scales.empty()) html += row("scale", list(q.scales));
        if (!q.zeroPoints.empty()) html += row("zero point", list(q.zeroPoints));
        if (q.scheme == Quantization::Scheme::PerChannel) html += row("axis", QString::number(q.axis));
    }
    html += "</table>";
    // Who writes and reads it.
    QString producers, consumers;
    for (size_t i = 0; i < subgraph.ops.size(); ++i) {
        const Op& op = subgraph.ops[i];
        for (int output : op.outputs)
            if (output == tensorIndex) producers += opLink(model, subgraph, static_cast<int>(i)) + " ";
        for (int input : op.inputs)
            if (input == tensorIndex) {
                consumers += opLink(model, subgraph, static_cast<int>(i)) + " ";
                break;
            }
    }
    html += "<table>";
    if (!producers.isEmpty()) html += row("written by", producers);
    if (!consumers.isEmpty()) html += row("read by", consumers);
    html += "</table>";
    histogram_->hide();
    if (tensor.isConstant()) {
        auto stats = constantStatistics(tensor);
        if (stats) {
            html += "<h4>Values" + QString(stats->dequantized ? " (dequantized)" : "") + "</h4><table>";
            html += row("min", numberText(stats->min)) + row("max", numberText(stats->max));
            html += row("mean", numberText(stats->mean)) + row("std", numberText(stats->std));
            html += row("zeros", QString::number(stats->zeros) + " (" +
                                     QString::number(100.0 * static_cast<double>(stats->zeros) / std::max<int64_t>(stats->count, 1), 'f', 1) + " %)");
            if (stats->nonFinite) html += row("NaN or inf", QString::number(stats->nonFinite));
            html += "</table>";
            histogram_->setData(stats->histogram, stats->min, stats->max);
            histogram_->show();
        } else {
            html += "<p class='dim'>" + escaped(stats.errorMessage()) + "</p>";
        }
    }
    text_->setHtml(html);
}

}  // namespace litestudio::ui

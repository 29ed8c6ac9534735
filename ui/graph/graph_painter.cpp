#include "ui/graph/graph_painter.h"

#include <QFontMetricsF>

#include <algorithm>
#include <map>

namespace litestudio::ui {

namespace {

// Families of ops share a hue, as in Netron and Model Explorer, so the eye
// finds the convolutions in a MobileNet or the matmuls in a transformer.
QColor opTypeColour(const QString& type) {
    static const std::map<QString, QColor> families = [] {
        std::map<QString, QColor> map;
        auto add = [&](QColor colour, std::initializer_list<const char*> names) {
            for (const char* name : names) map[name] = colour;
        };
        add(QColor(0x8d, 0xb6, 0xe3), {"CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "CONV_3D", "CONV_3D_TRANSPOSE"});
        add(QColor(0x93, 0xd3, 0xcf), {"FULLY_CONNECTED", "BATCH_MATMUL", "EMBEDDING_LOOKUP", "GATHER", "GATHER_ND"});
        add(QColor(0xa6, 0xd9, 0x8e), {"ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", "POW",
                                        "ADD_N", "FLOOR_DIV", "FLOOR_MOD", "RSQRT", "SQRT", "SQUARE", "EXP", "LOG",
                                        "ABS", "NEG", "SIN", "COS"});
        add(QColor(0xf5, 0xdc, 0x7a), {"RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LEAKY_RELU", "PRELU",
                                        "LOGISTIC", "TANH", "HARD_SWISH", "GELU", "ELU"});
        add(QColor(0xf7, 0xb9, 0x84), {"SOFTMAX", "LOG_SOFTMAX", "L2_NORMALIZATION", "LOCAL_RESPONSE_NORMALIZATION"});
        add(QColor(0xcf, 0xb1, 0xd6), {"AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D", "MEAN", "SUM", "REDUCE_MAX",
                                        "REDUCE_MIN", "REDUCE_PROD", "ARG_MAX", "ARG_MIN"});
        add(QColor(0xd5, 0xd5, 0xd5), {"RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "CONCATENATION", "PACK",
                                        "UNPACK", "SPLIT", "SPLIT_V", "SLICE", "STRIDED_SLICE", "PAD", "PADV2",
                                        "MIRROR_PAD", "TILE", "BROADCAST_TO", "SHAPE", "RESIZE_BILINEAR",
                                        "RESIZE_NEAREST_NEIGHBOR", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH"});
        add(QColor(0xe0, 0xd6, 0xc8), {"QUANTIZE", "DEQUANTIZE", "CAST", "DENSIFY"});
        add(QColor(0xf2, 0x9e, 0x9b), {"WHILE", "IF", "CALL_ONCE", "STABLEHLO_COMPOSITE"});
        return map;
    }();
    auto it = families.find(type);
    return it != families.end() ? it->second : QColor(0xe8, 0xc9, 0xe6);
}

// A fixed, readable colour per name for categories without a natural hue.
QColor categoryColour(const QString& name) {
    static const QColor palette[] = {QColor(0x8d, 0xb6, 0xe3), QColor(0xf7, 0xb9, 0x84), QColor(0xa6, 0xd9, 0x8e),
                                     QColor(0xf2, 0x9e, 0x9b), QColor(0xcf, 0xb1, 0xd6), QColor(0xf5, 0xdc, 0x7a),
                                     QColor(0x93, 0xd3, 0xcf), QColor(0xd5, 0xd5, 0xd5)};
    static const std::map<QString, int> known = {{"float32", 0}, {"int8", 1}, {"float16", 2}, {"uint8", 5},
                                                 {"int32", 4},   {"int64", 7}, {"bool", 3},    {"int16", 6},
                                                 {"cpu", 0},     {"reference", 1}, {"fused", 7}, {"folded", 7},
                                                 {"gpu", 2},     {"npu", 4}};
    auto it = known.find(name);
    if (it != known.end()) return palette[it->second];
    return palette[qHash(name) % (sizeof palette / sizeof palette[0])];
}

QColor latencyColour(double share) {
    // Pale yellow for the cheapest ops to deep red for the most expensive.
    share = std::clamp(share, 0.0, 1.0);
    QColor cold(0xff, 0xf3, 0xc4), hot(0xd7, 0x30, 0x27);
    return QColor::fromRgbF(cold.redF() + (hot.redF() - cold.redF()) * share,
                            cold.greenF() + (hot.greenF() - cold.greenF()) * share,
                            cold.blueF() + (hot.blueF() - cold.blueF()) * share);
}

double maximumLatency(const GraphScene& scene, const GraphOverlay* overlay) {
    double maximum = 0;
    for (size_t node = 0; node < scene.nodes.size(); ++node)
        maximum = std::max(maximum, nodeLatencyMs(scene, static_cast<int>(node), overlay));
    return maximum;
}

}  // namespace

double nodeLatencyMs(const GraphScene& scene, int node, const GraphOverlay* overlay) {
    if (!overlay || overlay->opLatencyMs.empty()) return -1;
    const DisplayNode& display = scene.graph.nodes[static_cast<size_t>(node)];
    if (display.ops.empty()) return -1;
    double total = 0;
    for (int op : display.ops)
        if (static_cast<size_t>(op) < overlay->opLatencyMs.size()) total += overlay->opLatencyMs[static_cast<size_t>(op)];
    return total;
}

QString nodeAccelerator(const GraphScene& scene, int node, const GraphOverlay* overlay) {
    if (!overlay || overlay->opAccelerator.empty()) return {};
    const DisplayNode& display = scene.graph.nodes[static_cast<size_t>(node)];
    QString found;
    for (int op : display.ops) {
        if (static_cast<size_t>(op) >= overlay->opAccelerator.size()) continue;
        const QString& name = overlay->opAccelerator[static_cast<size_t>(op)];
        if (name == "fused" || name == "folded") continue;
        if (found.isEmpty()) found = name;
        else if (found != name) return "mixed";
    }
    if (found.isEmpty() && !display.ops.empty() && static_cast<size_t>(display.ops.front()) < overlay->opAccelerator.size())
        return overlay->opAccelerator[static_cast<size_t>(display.ops.front())];
    return found;
}

QColor nodeColour(const GraphScene& scene, int node, const GraphPaintState& state) {
    const DisplayNode& display = scene.graph.nodes[static_cast<size_t>(node)];
    const SceneNode& drawn = scene.nodes[static_cast<size_t>(node)];
    if (display.kind == DisplayNode::Kind::Input || display.kind == DisplayNode::Kind::Output)
        return state.palette.color(QPalette::Base);
    switch (state.colouring) {
    case GraphColouring::OpType:
        return display.kind == DisplayNode::Kind::Group ? QColor(0xc9, 0xd3, 0xe6) : opTypeColour(drawn.title);
    case GraphColouring::DataType: return categoryColour(drawn.dtype);
    case GraphColouring::Accelerator: {
        QString accelerator = nodeAccelerator(scene, node, state.overlay);
        return accelerator.isEmpty() ? QColor(0xee, 0xee, 0xee) : categoryColour(accelerator);
    }
    case GraphColouring::Latency: {
        double latency = nodeLatencyMs(scene, node, state.overlay);
        double maximum = state.latencyScaleMs > 0 ? state.latencyScaleMs : maximumLatency(scene, state.overlay);
        return latency < 0 || maximum <= 0 ? QColor(0xee, 0xee, 0xee) : latencyColour(latency / maximum);
    }
    }
    return Qt::white;
}

std::vector<LegendEntry> legendFor(const GraphScene& scene, const GraphPaintState& state) {
    std::vector<LegendEntry> legend;
    if (state.colouring == GraphColouring::Latency) {
        double maximum = maximumLatency(scene, state.overlay);
        if (maximum <= 0) return {{"no benchmark yet", QColor(0xee, 0xee, 0xee)}};
        for (double share : {0.0, 0.5, 1.0})
            legend.push_back({QString::number(maximum * share, 'f', 3) + " ms", latencyColour(share)});
        return legend;
    }
    if (state.colouring == GraphColouring::OpType) return legend;
    std::map<QString, int> seen;
    for (size_t node = 0; node < scene.nodes.size(); ++node) {
        QString name = state.colouring == GraphColouring::DataType ? scene.nodes[node].dtype
                                                                   : nodeAccelerator(scene, static_cast<int>(node), state.overlay);
        if (scene.graph.nodes[node].kind == DisplayNode::Kind::Input || scene.graph.nodes[node].kind == DisplayNode::Kind::Output)
            continue;
        ++seen[name.isEmpty() ? QString("unknown") : name];
    }
    for (const auto& [name, count] : seen)
        legend.push_back({name + " (" + QString::number(count) + ")",
                          name == "unknown" ? QColor(0xee, 0xee, 0xee) : categoryColour(name)});
    return legend;
}

void paintGraph(QPainter& painter, const GraphScene& scene, const QRectF& visible, double scale,
                const GraphPaintState& givenState) {
    GraphPaintState state = givenState;
    if (state.colouring == GraphColouring::Latency) state.latencyScaleMs = maximumLatency(scene, state.overlay);
    const QColor text = QColor(0x20, 0x20, 0x20);
    const QColor edgeColour = state.palette.color(QPalette::Text);
    const QColor highlight = state.palette.color(QPalette::Highlight);
    const bool drawText = scale >= 0.35;
    const bool drawDetail = scale >= 0.55;
    const bool drawEdgeLabels = scale >= 0.8;
    const double hairline = 1.0 / std::max(scale, 1e-3);

    painter.setRenderHint(QPainter::Antialiasing, scale >= 0.2);
    QColor normalEdge = edgeColour;
    normalEdge.setAlphaF(0.55);
    QPen edgePen(normalEdge, std::max(1.2, hairline));
    QPen selectedEdgePen(highlight, std::max(3.0, 2.5 * hairline));
    QFont labelFont = painter.font();
    if (labelFont.pixelSize() > 0) labelFont.setPixelSize(std::max(1, qRound(labelFont.pixelSize() * 0.85)));
    else labelFont.setPointSizeF(labelFont.pointSizeF() * 0.85);
    painter.setBrush(Qt::NoBrush);
    for (const SceneEdge& edge : scene.edges) {
        if (!edge.bounds.intersects(visible)) continue;
        bool selected = edge.tensor == state.selectedTensor;
        painter.setPen(selected ? selectedEdgePen : edgePen);
        if (edge.reversed) {
            QPen dashed = painter.pen();
            dashed.setStyle(Qt::DashLine);
            painter.setPen(dashed);
        }
        QRectF margin = visible.adjusted(-20, -20, 20, 20);
        painter.drawPath(visiblePath(edge, margin));
        QPointF end = edge.points.back();
        if (edge.target >= 0 && scale >= 0.2 && margin.contains(end)) {  // arrow head
            double size = 6;
            QPolygonF head({end, end + QPointF(-size / 2, -size), end + QPointF(size / 2, -size)});
            painter.setBrush(painter.pen().color());
            painter.drawPolygon(head);
            painter.setBrush(Qt::NoBrush);
        }
        if (drawEdgeLabels && !edge.label.isEmpty()) {
            painter.setFont(labelFont);
            painter.setPen(edgeColour);
            QPointF start = edge.points.front();
            painter.drawText(QPointF(start.x() + 5, start.y() + 13), edge.label);
        }
    }

    SceneMetrics fonts = sceneMetricsFor(painter.font());
    const QFont& titleFont = fonts.titleFont;
    const QFont& detailFont = fonts.detailFont;
    QFontMetricsF titleMetrics(titleFont);
    for (int node : scene.nodesIn(visible)) {
        const SceneNode& drawn = scene.nodes[static_cast<size_t>(node)];
        const DisplayNode& display = scene.graph.nodes[static_cast<size_t>(node)];
        bool selected = node == state.selectedNode;
        bool matched = state.matches && static_cast<size_t>(node) < state.matches->size() && (*state.matches)[static_cast<size_t>(node)];
        QPen border(QColor(0x55, 0x55, 0x55), std::max(1.0, hairline));
        if (matched) border = QPen(QColor(0xff, 0x8c, 0x00), std::max(3.0, 3 * hairline));
        if (selected) border = QPen(highlight, std::max(3.5, 3.5 * hairline));
        painter.setPen(border);
        painter.setBrush(nodeColour(scene, node, state));
        bool io = display.kind == DisplayNode::Kind::Input || display.kind == DisplayNode::Kind::Output;
        double radius = io ? drawn.rect.height() / 2 : 5;
        if (display.kind == DisplayNode::Kind::Group) {
            // A stacked look says "more inside".
            painter.drawRoundedRect(drawn.rect.translated(4, 4), radius, radius);
        }
        painter.drawRoundedRect(drawn.rect, radius, radius);
        if (!drawText) continue;
        painter.setPen(io ? state.palette.color(QPalette::Text) : text);
        painter.setFont(titleFont);
        QString title = drawn.title + (drawn.callsSubgraph ? "  ▸" : "") + (display.kind == DisplayNode::Kind::Group ? "  +" : "");
        if (drawDetail && !drawn.detail.isEmpty()) {
            QRectF top = drawn.rect.adjusted(6, 5, -6, -drawn.rect.height() / 2);
            painter.drawText(top, Qt::AlignHCenter | Qt::AlignBottom, title);
            painter.setFont(detailFont);
            QRectF bottom = drawn.rect.adjusted(6, drawn.rect.height() / 2, -6, -5);
            painter.drawText(bottom, Qt::AlignHCenter | Qt::AlignTop, drawn.detail);
        } else {
            painter.drawText(drawn.rect, Qt::AlignCenter, titleMetrics.elidedText(title, Qt::ElideRight, drawn.rect.width() - 8));
        }
    }
}

}  // namespace litestudio::ui

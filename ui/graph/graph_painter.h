#pragma once
// Draws a laid-out graph with a QPainter: the same code paints the canvas,
// the minimap and the SVG/PNG exports. Detail follows the scale: labels on
// edges only close up, node text only while it is legible, boxes alone when
// a whole LLM is on screen.

#include <QColor>
#include <QPainter>
#include <QPalette>
#include <QString>

#include <vector>

#include "ui/graph/graph_scene.h"

namespace litestudio::ui {

enum class GraphColouring { OpType, DataType, Accelerator, Latency };

// What the benchmark (and the runtime's partitioning) knows about each op of
// one subgraph; empty vectors when nothing was measured yet.
struct GraphOverlay {
    std::vector<double> opLatencyMs;
    std::vector<QString> opAccelerator;
};

struct GraphPaintState {
    GraphColouring colouring = GraphColouring::OpType;
    const GraphOverlay* overlay = nullptr;
    int selectedNode = -1;
    int selectedTensor = -1;
    const std::vector<bool>* matches = nullptr;  // per node: search hits
    QPalette palette;
    double latencyScaleMs = 0;  // the slowest node's time; paintGraph fills it in
};

struct LegendEntry {
    QString label;
    QColor colour;
};

void paintGraph(QPainter& painter, const GraphScene& scene, const QRectF& visible, double scale,
                const GraphPaintState& state);
QColor nodeColour(const GraphScene& scene, int node, const GraphPaintState& state);
// The colours the current mode uses in this scene, for a legend.
std::vector<LegendEntry> legendFor(const GraphScene& scene, const GraphPaintState& state);
// Milliseconds an op (or a group: its members) took in the last benchmark; -1 unknown.
double nodeLatencyMs(const GraphScene& scene, int node, const GraphOverlay* overlay);
QString nodeAccelerator(const GraphScene& scene, int node, const GraphOverlay* overlay);

}  // namespace litestudio::ui

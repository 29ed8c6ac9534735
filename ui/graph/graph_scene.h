#pragma once
// One laid-out subgraph, ready to draw: the display graph, where each node
// and route is, the text on them, and an index by layer so that drawing a
// viewport touches only what is in it. Built off the GUI thread, then
// shared read-only.

#include <QColor>
#include <QFont>
#include <QPainterPath>
#include <QRectF>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/graph/display_graph.h"
#include "core/graph/layered_layout.h"
#include "core/support/status.h"

namespace litestudio::ui {

struct SceneNode {
    QRectF rect;
    QString title;
    QString detail;
    QString dtype;       // of its first output, for colouring by dtype
    bool callsSubgraph = false;
};

struct SceneEdge {
    int displayEdge = 0;
    int tensor = 0;
    int target = 0;      // node; -1 for a trunk shared by several readers
    std::vector<QPointF> points;  // the layout's route; drawn as S-curves between layers
    QRectF bounds;
    QString label;       // "[1,56,56,24] float32", drawn once per tensor at its source
    bool reversed = false;
};

struct GraphScene {
    std::shared_ptr<const Model> model;
    int subgraph = 0;
    std::set<std::string> expanded;
    DisplayGraph graph;
    std::vector<SceneNode> nodes;
    std::vector<SceneEdge> edges;
    std::vector<int> nodesByTop;  // node indices sorted by rect.top()
    QRectF bounds;
    double tallestNode = 0;
    int layerCount = 0;

    // Nodes whose rectangles meet `area`.
    std::vector<int> nodesIn(const QRectF& area) const;
    int nodeAt(QPointF point) const;
    // The tensor of the edge passing within `tolerance` of `point`, or -1.
    int tensorNear(QPointF point, double tolerance) const;
};

// The fonts nodes are drawn in (graph_painter.cpp derives them the same
// way), measured on the laying-out thread.
struct SceneMetrics {
    QFont titleFont;
    QFont detailFont;
    double lineHeight = 15;
};
SceneMetrics sceneMetricsFor(const QFont& base);

// The part of an edge that meets `visible`: an LLM's attention mask runs
// through thousands of layers, and stroking all of it for every frame is
// what makes panning stutter.
QPainterPath visiblePath(const SceneEdge& edge, const QRectF& visible);

Expected<std::shared_ptr<const GraphScene>> buildGraphScene(std::shared_ptr<const Model> model, int subgraph,
                                                            const NamespaceIndex& namespaces,
                                                            std::set<std::string> expanded,
                                                            const SceneMetrics& metrics, const LayoutControl& control);

}  // namespace litestudio::ui

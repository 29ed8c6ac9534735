#include "ui/graph/graph_scene.h"

#include <QFontMetricsF>
#include <QLineF>

#include <algorithm>
#include <cmath>

namespace litestudio::ui {

namespace {

constexpr double kNodePadding = 14;
constexpr double kMinimumNodeWidth = 96;

bool callsSubgraph(const Model& model, const DisplayNode& node, const Subgraph& subgraph) {
    return node.kind == DisplayNode::Kind::Op &&
           !subgraph.ops[static_cast<size_t>(node.op)].calledSubgraphs.empty() && !model.subgraphs.empty();
}

QString tensorLabel(const Tensor& tensor) {
    return QString::fromStdString(shapeText(tensor.shape) + " " + std::string(dataTypeName(tensor.type)));
}

// Vertical runs through dummies stay straight; the hops between layers
// become S-curves, which read better than diagonal lines. The curve's
// control points stay inside the segment's bounding box.
void addSegment(QPainterPath& path, QPointF from, QPointF to) {
    if (path.isEmpty() || path.currentPosition() != from) path.moveTo(from);
    if (std::abs(from.x() - to.x()) < 0.5) {
        path.lineTo(to);
        return;
    }
    double middle = (from.y() + to.y()) / 2;
    path.cubicTo(QPointF(from.x(), middle), QPointF(to.x(), middle), to);
}

double distanceToSegment(QPointF p, QPointF a, QPointF b) {
    QPointF ab = b - a;
    double length2 = QPointF::dotProduct(ab, ab);
    double t = length2 > 0 ? std::clamp(QPointF::dotProduct(p - a, ab) / length2, 0.0, 1.0) : 0.0;
    QPointF nearest = a + t * ab;
    return QLineF(p, nearest).length();
}

}  // namespace

SceneMetrics sceneMetricsFor(const QFont& base) {
    SceneMetrics metrics;
    metrics.titleFont = base;
    metrics.titleFont.setBold(true);
    metrics.detailFont = base;
    if (base.pixelSize() > 0) metrics.detailFont.setPixelSize(std::max(1, qRound(base.pixelSize() * 0.9)));
    else metrics.detailFont.setPointSizeF(base.pointSizeF() * 0.9);
    metrics.lineHeight = QFontMetricsF(base).height();
    return metrics;
}

QPainterPath visiblePath(const SceneEdge& edge, const QRectF& visible) {
    QPainterPath path;
    for (size_t i = 1; i < edge.points.size(); ++i) {
        QPointF from = edge.points[i - 1], to = edge.points[i];
        QRectF box = QRectF(from, to).normalized().adjusted(-1, -1, 1, 1);
        if (box.intersects(visible)) addSegment(path, from, to);
    }
    return path;
}

std::vector<int> GraphScene::nodesIn(const QRectF& area) const {
    std::vector<int> found;
    // Nodes sorted by top: everything from the first node whose top could
    // reach the area down to the area's bottom. Nodes are at most a few
    // lines tall, so starting one tallest node's height above is enough.
    auto first = std::lower_bound(nodesByTop.begin(), nodesByTop.end(), area.top() - tallestNode,
                                  [this](int node, double y) { return nodes[static_cast<size_t>(node)].rect.top() < y; });
    for (auto it = first; it != nodesByTop.end(); ++it) {
        const QRectF& rect = nodes[static_cast<size_t>(*it)].rect;
        if (rect.top() > area.bottom()) break;
        if (rect.intersects(area)) found.push_back(*it);
    }
    return found;
}

int GraphScene::nodeAt(QPointF point) const {
    for (int node : nodesIn(QRectF(point, QSizeF(1, 1))))
        if (nodes[static_cast<size_t>(node)].rect.contains(point)) return node;
    return -1;
}

int GraphScene::tensorNear(QPointF point, double tolerance) const {
    QRectF probe(point - QPointF(tolerance, tolerance), QSizeF(2 * tolerance, 2 * tolerance));
    int best = -1;
    double bestDistance = tolerance;
    for (const SceneEdge& edge : edges) {
        if (!edge.bounds.intersects(probe)) continue;
        // Flattened curves are close enough for a click.
        for (const QPolygonF& polygon : visiblePath(edge, probe).toSubpathPolygons()) {
            for (int i = 1; i < polygon.size(); ++i) {
                double distance = distanceToSegment(point, polygon[i - 1], polygon[i]);
                if (distance <= bestDistance) {
                    bestDistance = distance;
                    best = edge.tensor;
                }
            }
        }
    }
    return best;
}

Expected<std::shared_ptr<const GraphScene>> buildGraphScene(std::shared_ptr<const Model> model, int subgraphIndex,
                                                            const NamespaceIndex& namespaces,
                                                            std::set<std::string> expanded,
                                                            const SceneMetrics& metrics, const LayoutControl& control) {
    if (subgraphIndex < 0 || static_cast<size_t>(subgraphIndex) >= model->subgraphs.size())
        return Status::error("graph: no subgraph " + std::to_string(subgraphIndex));
    auto scene = std::make_shared<GraphScene>();
    scene->model = model;
    scene->subgraph = subgraphIndex;
    scene->graph = buildDisplayGraph(*model, subgraphIndex, namespaces, expanded);
    scene->expanded = std::move(expanded);
    const Subgraph& subgraph = model->subgraphs[static_cast<size_t>(subgraphIndex)];

    QFontMetricsF titleMetrics(metrics.titleFont), detailMetrics(metrics.detailFont);
    LayoutInput input;
    scene->nodes.reserve(scene->graph.nodes.size());
    for (const DisplayNode& node : scene->graph.nodes) {
        SceneNode drawn;
        drawn.title = QString::fromStdString(node.title);
        drawn.detail = QString::fromStdString(node.detail);
        if (drawn.detail.size() > 40) drawn.detail = drawn.detail.left(18) + "…" + drawn.detail.right(20);
        int tensor = node.tensor;
        if (node.kind == DisplayNode::Kind::Op || node.kind == DisplayNode::Kind::Group) {
            const Op& first = subgraph.ops[static_cast<size_t>(node.ops.front())];
            if (!first.outputs.empty()) tensor = first.outputs.front();
        }
        if (tensor >= 0 && static_cast<size_t>(tensor) < subgraph.tensors.size())
            drawn.dtype = QString::fromUtf8(dataTypeName(subgraph.tensors[static_cast<size_t>(tensor)].type).data());
        drawn.callsSubgraph = callsSubgraph(*model, node, subgraph);
        // Room for the "  ▸" / "  +" the painter adds after the title.
        double textWidth = std::max(titleMetrics.horizontalAdvance(drawn.title + "  ▸"),
                                    detailMetrics.horizontalAdvance(drawn.detail));
        double width = std::max(kMinimumNodeWidth, textWidth + 2 * kNodePadding);
        double height = (drawn.detail.isEmpty() ? 1 : 2) * metrics.lineHeight + 12;
        input.nodes.push_back({static_cast<float>(width), static_cast<float>(height)});
        scene->nodes.push_back(std::move(drawn));
    }
    for (const DisplayEdge& edge : scene->graph.edges) input.edges.push_back({edge.source, edge.targets});
    input.layerGap = static_cast<float>(metrics.lineHeight * 2.6);
    auto layout = layoutLayered(input, control);
    if (!layout) return layout.status();

    for (size_t i = 0; i < scene->nodes.size(); ++i) {
        const LayoutPoint& center = layout->centers[i];
        const auto& size = input.nodes[i];
        scene->nodes[i].rect = QRectF(center.x - size.width / 2, center.y - size.height / 2, size.width, size.height);
        scene->tallestNode = std::max(scene->tallestNode, static_cast<double>(size.height));
    }
    // A tensor read in many layers is one trunk through the dummies, drawn
    // once, plus a short branch into each reader; drawing every route whole
    // would stroke the trunk once per reader.
    std::vector<std::vector<const LayoutRoute*>> routesOf(scene->graph.edges.size());
    for (const LayoutRoute& route : layout->routes) routesOf[static_cast<size_t>(route.edge)].push_back(&route);
    auto addEdge = [&](int displayEdge, int target, bool reversed, const std::vector<LayoutPoint>& points, size_t from,
                       size_t to, bool labelled) {
        SceneEdge edge;
        edge.displayEdge = displayEdge;
        edge.tensor = scene->graph.edges[static_cast<size_t>(displayEdge)].tensor;
        edge.target = target;
        edge.reversed = reversed;
        double left = points[from].x, right = left, top = points[from].y, bottom = top;
        for (size_t i = from; i < to; ++i) {
            edge.points.emplace_back(points[i].x, points[i].y);
            left = std::min<double>(left, points[i].x);
            right = std::max<double>(right, points[i].x);
            top = std::min<double>(top, points[i].y);
            bottom = std::max<double>(bottom, points[i].y);
        }
        edge.bounds = QRectF(QPointF(left, top), QPointF(right, bottom)).adjusted(-2, -2, 2, 2);
        if (labelled) edge.label = tensorLabel(subgraph.tensors[static_cast<size_t>(edge.tensor)]);
        scene->edges.push_back(std::move(edge));
    };
    for (size_t e = 0; e < routesOf.size(); ++e) {
        const LayoutRoute* longest = nullptr;
        for (const LayoutRoute* route : routesOf[e])
            if (!route->reversed && (!longest || route->points.size() > longest->points.size())) longest = route;
        bool labelled = false;
        if (longest && longest->points.size() > 2) {  // the trunk: source to the last dummy
            addEdge(static_cast<int>(e), -1, false, longest->points, 0, longest->points.size() - 1, true);
            labelled = true;
        }
        for (const LayoutRoute* route : routesOf[e]) {
            size_t count = route->points.size();
            size_t first = route->reversed || count <= 2 || !longest || longest->points.size() <= 2 ? 0 : count - 2;
            addEdge(static_cast<int>(e), route->target, route->reversed, route->points, first, count, !labelled && first == 0);
            labelled = labelled || first == 0;
        }
    }
    scene->nodesByTop.resize(scene->nodes.size());
    for (size_t i = 0; i < scene->nodes.size(); ++i) scene->nodesByTop[i] = static_cast<int>(i);
    std::sort(scene->nodesByTop.begin(), scene->nodesByTop.end(), [&](int a, int b) {
        return scene->nodes[static_cast<size_t>(a)].rect.top() < scene->nodes[static_cast<size_t>(b)].rect.top();
    });
    scene->bounds = QRectF(0, 0, layout->width, layout->height);
    scene->layerCount = layout->layerCount;
    return std::shared_ptr<const GraphScene>(std::move(scene));
}

}  // namespace litestudio::ui

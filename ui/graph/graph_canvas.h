#pragma once
// The zoomable, pannable drawing of one laid-out subgraph. It paints only
// what the viewport shows, at the level of detail the zoom allows, so a
// 10k-op graph pans as smoothly as a small one.

#include <QWidget>

#include <memory>

#include "ui/graph/graph_painter.h"
#include "ui/graph/graph_scene.h"

namespace litestudio::ui {

class GraphMinimap;

class GraphCanvas : public QWidget {
    Q_OBJECT
public:
    explicit GraphCanvas(QWidget* parent = nullptr);

    void setScene(std::shared_ptr<const GraphScene> scene);
    const GraphScene* scene() const { return scene_.get(); }
    GraphPaintState& paintState() { return state_; }
    const GraphPaintState& paintState() const { return state_; }
    void refresh();

    void fitToView();
    void centerOn(QPointF scenePoint);
    void zoomBy(double factor, QPointF anchor);
    // Makes a node visible, zooming in far enough to read it.
    void reveal(int node);
    double scale() const { return scale_; }
    QRectF visibleSceneRect() const;
    QPointF toScene(QPointF widgetPoint) const;
    QPointF toWidget(QPointF scenePoint) const;

signals:
    void nodeClicked(int node);
    void nodeActivated(int node);  // double-click: expand a group, enter a body
    void tensorClicked(int tensor);
    void backgroundClicked();
    void viewChanged();

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    void paintLegend(QPainter& painter);
    void placeMinimap();

    std::shared_ptr<const GraphScene> scene_;
    GraphPaintState state_;
    GraphMinimap* minimap_ = nullptr;
    double scale_ = 1;
    QPointF offset_;  // widget position of scene (0, 0)
    QPoint pressPosition_;
    QPointF pressOffset_;
    bool dragging_ = false;
    bool pressed_ = false;
};

}  // namespace litestudio::ui

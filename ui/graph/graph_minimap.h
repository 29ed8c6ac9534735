#pragma once
// The whole graph in a corner of the canvas, with the part on screen
// outlined; clicking or dragging in it moves the view there.

#include <QImage>
#include <QWidget>

namespace litestudio::ui {

class GraphCanvas;

class GraphMinimap : public QWidget {
    Q_OBJECT
public:
    explicit GraphMinimap(GraphCanvas* canvas);
    // Redraws the cached picture of the graph (new scene, new colours).
    void rebuild();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent*) override { picture_ = QImage(); }

private:
    void renderPicture();
    QRectF pictureRect() const;  // where the scene is drawn inside the widget
    void moveViewTo(QPointF widgetPoint);

    GraphCanvas* canvas_;
    QImage picture_;
};

}  // namespace litestudio::ui

#include "ui/graph/graph_minimap.h"

#include <QMouseEvent>
#include <QPainter>

#include "ui/graph/graph_canvas.h"

namespace litestudio::ui {

GraphMinimap::GraphMinimap(GraphCanvas* canvas) : QWidget(canvas), canvas_(canvas) {
    setObjectName("graphMinimap");
    setCursor(Qt::PointingHandCursor);
    connect(canvas, &GraphCanvas::viewChanged, this, qOverload<>(&QWidget::update));
}

QRectF GraphMinimap::pictureRect() const {
    const GraphScene* scene = canvas_->scene();
    if (!scene || scene->bounds.isEmpty()) return {};
    QRectF area = QRectF(rect()).adjusted(4, 4, -4, -4);
    double scale = std::min(area.width() / scene->bounds.width(), area.height() / scene->bounds.height());
    QSizeF size = scene->bounds.size() * scale;
    return QRectF(area.center() - QPointF(size.width() / 2, size.height() / 2), size);
}

void GraphMinimap::rebuild() {
    renderPicture();
    update();
}

void GraphMinimap::renderPicture() {
    picture_ = QImage();
    const GraphScene* scene = canvas_->scene();
    QRectF target = pictureRect();
    if (!scene || target.isEmpty()) return;
    picture_ = QImage(target.size().toSize().expandedTo(QSize(1, 1)) * devicePixelRatioF(), QImage::Format_ARGB32_Premultiplied);
    picture_.setDevicePixelRatio(devicePixelRatioF());
    picture_.fill(Qt::transparent);
    QPainter painter(&picture_);
    painter.setFont(canvas_->font());
    double scale = target.width() / scene->bounds.width();
    painter.scale(scale, scale);
    painter.translate(-scene->bounds.topLeft());
    GraphPaintState state = canvas_->paintState();
    state.selectedNode = -1;
    state.matches = nullptr;
    state.palette = palette();
    paintGraph(painter, *scene, scene->bounds, scale, state);
}

void GraphMinimap::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    QColor background = palette().color(QPalette::Window);
    background.setAlpha(235);
    painter.setPen(palette().color(QPalette::Mid));
    painter.setBrush(background);
    painter.drawRect(rect().adjusted(0, 0, -1, -1));
    QRectF target = pictureRect();
    const GraphScene* scene = canvas_->scene();
    if (!scene || target.isEmpty()) return;
    if (picture_.isNull()) renderPicture();
    painter.drawImage(target, picture_);
    double scale = target.width() / scene->bounds.width();
    QRectF visible = canvas_->visibleSceneRect().intersected(scene->bounds.adjusted(-1e6, -1e6, 1e6, 1e6));
    QRectF outline((visible.left() - scene->bounds.left()) * scale + target.left(),
                   (visible.top() - scene->bounds.top()) * scale + target.top(), visible.width() * scale,
                   visible.height() * scale);
    painter.setClipRect(rect());
    painter.setPen(QPen(palette().color(QPalette::Highlight), 2));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(outline.intersected(QRectF(rect())).adjusted(1, 1, -1, -1).united(QRectF(outline.center(), QSizeF(2, 2))));
}

void GraphMinimap::moveViewTo(QPointF widgetPoint) {
    const GraphScene* scene = canvas_->scene();
    QRectF target = pictureRect();
    if (!scene || target.isEmpty()) return;
    double scale = target.width() / scene->bounds.width();
    canvas_->centerOn((widgetPoint - target.topLeft()) / scale + scene->bounds.topLeft());
}

void GraphMinimap::mousePressEvent(QMouseEvent* event) { moveViewTo(event->position()); }
void GraphMinimap::mouseMoveEvent(QMouseEvent* event) {
    if (event->buttons() & Qt::LeftButton) moveViewTo(event->position());
}

}  // namespace litestudio::ui

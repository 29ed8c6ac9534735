#include "ui/graph/graph_canvas.h"

#include <QFontInfo>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

#include "ui/graph/graph_minimap.h"

namespace litestudio::ui {

namespace {
constexpr double kMinimumScale = 0.002;
constexpr double kMaximumScale = 4.0;
constexpr int kDragThreshold = 4;
}  // namespace

GraphCanvas::GraphCanvas(QWidget* parent) : QWidget(parent) {
    setObjectName("graphCanvas");
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(false);
    setAutoFillBackground(false);
    // Sizes in pixels, not points: node boxes are measured once and drawn on
    // the screen, into SVG (72 dpi) and into PNG alike.
    QFont pixelFont = font();
    pixelFont.setPixelSize(QFontInfo(pixelFont).pixelSize());
    setFont(pixelFont);
    minimap_ = new GraphMinimap(this);
    minimap_->hide();
}

void GraphCanvas::setScene(std::shared_ptr<const GraphScene> scene) {
    scene_ = std::move(scene);
    state_.selectedNode = -1;
    state_.selectedTensor = -1;
    minimap_->setVisible(scene_ != nullptr && !scene_->nodes.empty());
    minimap_->rebuild();
    placeMinimap();
    fitToView();
}

void GraphCanvas::refresh() {
    minimap_->rebuild();
    update();
}

QRectF GraphCanvas::visibleSceneRect() const {
    return QRectF(toScene(QPointF(0, 0)), toScene(QPointF(width(), height())));
}

QPointF GraphCanvas::toScene(QPointF widgetPoint) const { return (widgetPoint - offset_) / scale_; }
QPointF GraphCanvas::toWidget(QPointF scenePoint) const { return scenePoint * scale_ + offset_; }

void GraphCanvas::fitToView() {
    if (!scene_ || scene_->bounds.isEmpty()) {
        scale_ = 1;
        offset_ = QPointF(20, 20);
    } else {
        QRectF bounds = scene_->bounds.adjusted(-30, -30, 30, 30);
        scale_ = std::clamp(std::min(width() / bounds.width(), height() / bounds.height()), kMinimumScale, 1.0);
        // A deep graph (an LLM is thousands of layers tall) fits its width
        // and starts at the top instead of shrinking to a line.
        double widthScale = std::min(width() / bounds.width(), 1.0);
        if (scale_ < 0.3 && widthScale > scale_) scale_ = std::clamp(std::min(widthScale, 0.85), kMinimumScale, 1.0);
        offset_ = QPointF((width() - bounds.width() * scale_) / 2 - bounds.left() * scale_, -bounds.top() * scale_);
        if (bounds.height() * scale_ < height()) offset_.setY((height() - bounds.height() * scale_) / 2 - bounds.top() * scale_);
    }
    update();
    emit viewChanged();
}

void GraphCanvas::centerOn(QPointF scenePoint) {
    offset_ = QPointF(width() / 2.0, height() / 2.0) - scenePoint * scale_;
    update();
    emit viewChanged();
}

void GraphCanvas::zoomBy(double factor, QPointF anchor) {
    QPointF sceneAnchor = toScene(anchor);
    scale_ = std::clamp(scale_ * factor, kMinimumScale, kMaximumScale);
    offset_ = anchor - sceneAnchor * scale_;
    update();
    emit viewChanged();
}

void GraphCanvas::reveal(int node) {
    if (!scene_ || node < 0 || static_cast<size_t>(node) >= scene_->nodes.size()) return;
    if (scale_ < 0.8) scale_ = 1.0;
    centerOn(scene_->nodes[static_cast<size_t>(node)].rect.center());
}

void GraphCanvas::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    if (!scene_) return;
    state_.palette = palette();
    painter.save();
    painter.translate(offset_);
    painter.scale(scale_, scale_);
    paintGraph(painter, *scene_, visibleSceneRect(), scale_, state_);
    painter.restore();
    paintLegend(painter);
}

void GraphCanvas::paintLegend(QPainter& painter) {
    std::vector<LegendEntry> legend = legendFor(*scene_, state_);
    if (legend.empty()) return;
    QFontMetrics metrics(font());
    int lineHeight = metrics.height() + 4;
    int width = 0;
    for (const LegendEntry& entry : legend) width = std::max(width, metrics.horizontalAdvance(entry.label));
    QRect box(10, 10, width + 40, lineHeight * static_cast<int>(legend.size()) + 10);
    QColor background = palette().color(QPalette::Window);
    background.setAlpha(230);
    painter.setPen(palette().color(QPalette::Mid));
    painter.setBrush(background);
    painter.drawRoundedRect(box, 4, 4);
    int y = box.top() + 5;
    for (const LegendEntry& entry : legend) {
        painter.setPen(QColor(0x55, 0x55, 0x55));
        painter.setBrush(entry.colour);
        painter.drawRect(box.left() + 8, y + 3, 16, lineHeight - 8);
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(QRect(box.left() + 30, y, width + 8, lineHeight), Qt::AlignVCenter, entry.label);
        y += lineHeight;
    }
}

void GraphCanvas::resizeEvent(QResizeEvent*) {
    placeMinimap();
    emit viewChanged();
}

void GraphCanvas::placeMinimap() {
    QSize size(std::min(220, width() / 4), std::min(220, height() / 3));
    minimap_->setGeometry(width() - size.width() - 10, height() - size.height() - 10, size.width(), size.height());
}

void GraphCanvas::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    pressed_ = true;
    dragging_ = false;
    pressPosition_ = event->position().toPoint();
    pressOffset_ = offset_;
}

void GraphCanvas::mouseMoveEvent(QMouseEvent* event) {
    if (!pressed_) return;
    QPoint moved = event->position().toPoint() - pressPosition_;
    if (!dragging_ && moved.manhattanLength() < kDragThreshold) return;
    dragging_ = true;
    setCursor(Qt::ClosedHandCursor);
    offset_ = pressOffset_ + moved;
    update();
    emit viewChanged();
}

void GraphCanvas::mouseReleaseEvent(QMouseEvent* event) {
    if (!pressed_ || event->button() != Qt::LeftButton) return;
    pressed_ = false;
    unsetCursor();
    if (dragging_ || !scene_) return;
    QPointF point = toScene(event->position());
    int node = scene_->nodeAt(point);
    if (node >= 0) {
        emit nodeClicked(node);
        return;
    }
    int tensor = scene_->tensorNear(point, 5 / scale_);
    if (tensor >= 0) emit tensorClicked(tensor);
    else emit backgroundClicked();
}

void GraphCanvas::mouseDoubleClickEvent(QMouseEvent* event) {
    if (!scene_) return;
    int node = scene_->nodeAt(toScene(event->position()));
    if (node >= 0) emit nodeActivated(node);
}

void GraphCanvas::wheelEvent(QWheelEvent* event) {
    double steps = event->angleDelta().y() / 120.0;
    if (steps == 0) return;
    if (event->modifiers() & Qt::ShiftModifier) {  // scroll sideways
        offset_ += QPointF(event->angleDelta().y() / 2.0, 0);
        update();
        emit viewChanged();
        return;
    }
    zoomBy(std::pow(1.15, steps), event->position());
}

void GraphCanvas::keyPressEvent(QKeyEvent* event) {
    QPointF center(width() / 2.0, height() / 2.0);
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomBy(1.25, center); break;
    case Qt::Key_Minus: zoomBy(0.8, center); break;
    case Qt::Key_0: fitToView(); break;
    case Qt::Key_Up: offset_ += QPointF(0, 60); update(); emit viewChanged(); break;
    case Qt::Key_Down: offset_ -= QPointF(0, 60); update(); emit viewChanged(); break;
    case Qt::Key_Left: offset_ += QPointF(60, 0); update(); emit viewChanged(); break;
    case Qt::Key_Right: offset_ -= QPointF(60, 0); update(); emit viewChanged(); break;
    default: QWidget::keyPressEvent(event);
    }
}

}  // namespace litestudio::ui

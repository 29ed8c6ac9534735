#include "ui/graph/histogram_widget.h"

#include <QPainter>

#include <algorithm>

namespace litestudio::ui {

HistogramWidget::HistogramWidget(QWidget* parent) : QWidget(parent) {
    setObjectName("weightHistogram");
    setMinimumHeight(110);
}

void HistogramWidget::setData(std::vector<int64_t> bins, double minimum, double maximum) {
    bins_ = std::move(bins);
    minimum_ = minimum;
    maximum_ = maximum;
    update();
}

void HistogramWidget::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    if (bins_.empty()) return;
    QFontMetrics metrics(font());
    QRectF plot = QRectF(rect()).adjusted(8, 6, -8, -metrics.height() - 6);
    int64_t tallest = *std::max_element(bins_.begin(), bins_.end());
    if (tallest <= 0) return;
    double barWidth = plot.width() / static_cast<double>(bins_.size());
    painter.setPen(Qt::NoPen);
    painter.setBrush(palette().color(QPalette::Highlight));
    for (size_t i = 0; i < bins_.size(); ++i) {
        double height = plot.height() * static_cast<double>(bins_[i]) / static_cast<double>(tallest);
        if (bins_[i] > 0) height = std::max(height, 1.0);
        painter.drawRect(QRectF(plot.left() + barWidth * static_cast<double>(i), plot.bottom() - height,
                                std::max(barWidth - 1, 1.0), height));
    }
    painter.setPen(palette().color(QPalette::Text));
    QRectF labels(plot.left(), plot.bottom() + 3, plot.width(), metrics.height());
    painter.drawText(labels, Qt::AlignLeft, QString::number(minimum_, 'g', 4));
    painter.drawText(labels, Qt::AlignRight, QString::number(maximum_, 'g', 4));
}

}  // namespace litestudio::ui

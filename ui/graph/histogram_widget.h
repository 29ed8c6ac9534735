#pragma once
// A compact bar chart of a weight tensor's value distribution.

#include <QWidget>

#include <cstdint>
#include <vector>

namespace litestudio::ui {

class HistogramWidget : public QWidget {
    Q_OBJECT
public:
    explicit HistogramWidget(QWidget* parent = nullptr);
    void setData(std::vector<int64_t> bins, double minimum, double maximum);
    const std::vector<int64_t>& bins() const { return bins_; }
    QSize sizeHint() const override { return {260, 120}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<int64_t> bins_;
    double minimum_ = 0;
    double maximum_ = 0;
};

}  // namespace litestudio::ui

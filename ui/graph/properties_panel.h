#pragma once
// Everything known about the selected op, group or tensor: options,
// operands with shapes and quantization, buffer sizes, and for weights
// their statistics and a histogram of their values.

#include <QWidget>

#include <vector>

#include "ui/graph/graph_painter.h"
#include "ui/graph/graph_scene.h"

class QTextBrowser;

namespace litestudio::ui {

class HistogramWidget;

class PropertiesPanel : public QWidget {
    Q_OBJECT
public:
    explicit PropertiesPanel(QWidget* parent = nullptr);

    void clear();
    void showNode(const GraphScene& scene, int node, const GraphOverlay& overlay);
    void showTensor(const GraphScene& scene, int tensor);
    QString plainText() const;
    bool histogramShown() const;

signals:
    void tensorRequested(int tensor);  // a tensor name was clicked
    void opRequested(int op);          // an op (producer, consumer) was clicked

private:
    QTextBrowser* text_ = nullptr;
    HistogramWidget* histogram_ = nullptr;
};

}  // namespace litestudio::ui

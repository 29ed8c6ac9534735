#pragma once
// The Overview: everything `inspect` knows about the file in readable
// tables, the op histogram as a bar chart, and a clear message panel when
// the file is broken or unsupported.

#include <QStringList>
#include <QWidget>

#include "core/inspect/model_summary.h"

class QChartView;
class QTextBrowser;

namespace litestudio::ui {

class OverviewView : public QWidget {
    Q_OBJECT
public:
    explicit OverviewView(QWidget* parent = nullptr);

    void showSummary(const FileSummary& summary);
    void showError(const QString& path, const QString& message);
    QString plainText() const;
    // Op types on the chart, most used first, with their counts.
    QStringList chartedOps() const { return chartedOps_; }
    bool isShowingError() const { return showingError_; }

private:
    void chartHistogram(const ModelSummary& model);

    QTextBrowser* text_ = nullptr;
    QChartView* chart_ = nullptr;
    QStringList chartedOps_;
    bool showingError_ = false;
};

}  // namespace litestudio::ui

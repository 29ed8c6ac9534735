#pragma once
// The benchmark pane's four charts: latency per run (a line per run),
// the latency distribution, the slowest ops, and memory. They follow a
// running benchmark sample by sample, or show finished runs side by side.

#include <QElapsedTimer>
#include <QWidget>

#include <vector>

#include "core/bench/bench_report.h"

class QChart;
class QChartView;

namespace litestudio::ui {

class BenchmarkCharts : public QWidget {
    Q_OBJECT
public:
    explicit BenchmarkCharts(QWidget* parent = nullptr);

    void startLive(const QString& name);
    void addSample(double milliseconds);
    void showRuns(const std::vector<ReportRun>& runs);

    int plottedSamples() const;     // points on the latency chart, all lines
    QStringList opLabels() const;   // bars on the slowest-ops chart, top first
    int memoryBars() const;

private:
    void updateHistogram(const std::vector<double>& values);
    void setOps(const BenchmarkReport* report, const QString& runName);
    void setMemory(const std::vector<ReportRun>& runs);
    void styleChart(QChart* chart, const QString& title);

    QChartView* latency_ = nullptr;
    QChartView* histogram_ = nullptr;
    QChartView* ops_ = nullptr;
    QChartView* memory_ = nullptr;
    std::vector<double> live_;
    QElapsedTimer sinceHistogram_;
    QStringList opLabels_;
    int memoryBars_ = 0;
};

}  // namespace litestudio::ui

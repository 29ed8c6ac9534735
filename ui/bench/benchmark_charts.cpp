#include "ui/bench/benchmark_charts.h"

#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QGridLayout>
#include <QHorizontalBarSeries>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace litestudio::ui {

namespace {

constexpr int kBins = 20;
constexpr int kTopOps = 8;  // Qt Charts elides category labels under ~30 px a bar
constexpr qint64 kHistogramEveryMs = 150;  // re-binning per sample would waste the GUI thread

QChartView* makeView(QWidget* parent) {
    auto* view = new QChartView(parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(220, 190);
    view->setChart(new QChart);
    return view;
}

void replaceChart(QChartView* view, QChart* chart) {
    QChart* old = view->chart();
    view->setChart(chart);
    delete old;
}

}  // namespace

BenchmarkCharts::BenchmarkCharts(QWidget* parent) : QWidget(parent) {
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    latency_ = makeView(this);
    latency_->setObjectName("latencyChart");
    histogram_ = makeView(this);
    histogram_->setObjectName("histogramChart");
    ops_ = makeView(this);
    ops_->setObjectName("opsChart");
    ops_->setMinimumHeight(250);
    memory_ = makeView(this);
    memory_->setObjectName("memoryChart");
    // The slowest-ops chart gets the whole width: op names need room.
    grid->addWidget(latency_, 0, 0);
    grid->addWidget(histogram_, 0, 1);
    grid->addWidget(memory_, 0, 2);
    grid->addWidget(ops_, 1, 0, 1, 3);
    grid->setColumnStretch(0, 3);
    grid->setColumnStretch(1, 2);
    grid->setColumnStretch(2, 2);
    showRuns({});
}

void BenchmarkCharts::styleChart(QChart* chart, const QString& title) {
    chart->setTitle(title);
    chart->setAnimationOptions(QChart::NoAnimation);
    bool dark = palette().color(QPalette::Window).lightness() < 128;
    chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    chart->setBackgroundBrush(palette().color(QPalette::Base));
    chart->setTitleBrush(palette().color(QPalette::Text));
    chart->setMargins(QMargins(4, 4, 4, 4));
}

void BenchmarkCharts::startLive(const QString& name) {
    live_.clear();
    auto* chart = new QChart;
    styleChart(chart, "Latency per run (live)");
    auto* series = new QLineSeries;
    series->setName(name);
    chart->addSeries(series);
    chart->createDefaultAxes();
    chart->legend()->hide();
    replaceChart(latency_, chart);
    updateHistogram({});
    setOps(nullptr, {});
    sinceHistogram_.start();
}

void BenchmarkCharts::addSample(double milliseconds) {
    live_.push_back(milliseconds);
    QChart* chart = latency_->chart();
    if (chart->series().isEmpty()) return;
    auto* series = static_cast<QLineSeries*>(chart->series().first());
    series->append(static_cast<double>(live_.size()), milliseconds);
    auto axes = chart->axes();
    for (QAbstractAxis* axis : axes) {
        auto* value = qobject_cast<QValueAxis*>(axis);
        if (!value) continue;
        if (axis->orientation() == Qt::Horizontal) value->setRange(1, std::max<double>(live_.size(), 2));
        else value->setRange(0, *std::max_element(live_.begin(), live_.end()) * 1.1);
    }
    if (sinceHistogram_.elapsed() >= kHistogramEveryMs) {
        updateHistogram(live_);
        sinceHistogram_.restart();
    }
}

int BenchmarkCharts::plottedSamples() const {
    int count = 0;
    for (QAbstractSeries* series : latency_->chart()->series())
        if (auto* line = qobject_cast<QLineSeries*>(series)) count += line->count();
    return count;
}

QStringList BenchmarkCharts::opLabels() const { return opLabels_; }
int BenchmarkCharts::memoryBars() const { return memoryBars_; }

// Drawn as a stepped area over a real millisecond axis: bar series only
// take category axes, whose labels do not fit under 20 narrow bins.
void BenchmarkCharts::updateHistogram(const std::vector<double>& values) {
    auto* chart = new QChart;
    styleChart(chart, "Latency distribution");
    chart->legend()->hide();
    auto* upper = new QLineSeries;
    double minimum = 0, maximum = 1, tallest = 1;
    if (!values.empty()) {
        auto [low, high] = std::minmax_element(values.begin(), values.end());
        minimum = *low;
        double width = std::max((*high - minimum) / kBins, 1e-6);
        maximum = minimum + width * kBins;
        std::vector<int> counts(kBins, 0);
        for (double v : values) ++counts[static_cast<size_t>(std::min<int>(kBins - 1, static_cast<int>((v - minimum) / width)))];
        upper->append(minimum, 0);
        for (int i = 0; i < kBins; ++i) {
            double count = counts[static_cast<size_t>(i)];
            upper->append(minimum + width * i, count);
            upper->append(minimum + width * (i + 1), count);
            tallest = std::max(tallest, count);
        }
        upper->append(maximum, 0);
    }
    auto* area = new QAreaSeries(upper);
    area->setColor(palette().color(QPalette::Highlight));
    area->setBorderColor(palette().color(QPalette::Highlight).darker(120));
    chart->addSeries(area);
    auto* x = new QValueAxis;
    x->setRange(minimum, maximum);
    x->setTitleText("ms");
    x->setLabelFormat("%.2f");
    x->setTickCount(5);
    chart->addAxis(x, Qt::AlignBottom);
    area->attachAxis(x);
    auto* y = new QValueAxis;
    // Counts: a range in fours over five ticks keeps every label a whole
    // number (0..1.1 labelled "0 0 0 0 1" before).
    int top = std::max(4, static_cast<int>(std::ceil(tallest * 1.1)));
    y->setRange(0, (top + 3) / 4 * 4);
    y->setTickCount(5);
    y->setLabelFormat("%d");
    y->setTitleText("runs");
    chart->addAxis(y, Qt::AlignLeft);
    area->attachAxis(y);
    replaceChart(histogram_, chart);
}

void BenchmarkCharts::showRuns(const std::vector<ReportRun>& runs) {
    auto* chart = new QChart;
    styleChart(chart, runs.size() > 1 ? "Latency per run (compared)" : "Latency per run");
    double top = 0;
    int longest = 0;
    for (const ReportRun& run : runs) {
        auto* series = new QLineSeries;
        series->setName(QString::fromStdString(run.name));
        const auto& values = run.report.steadyLatenciesMs;
        for (size_t i = 0; i < values.size(); ++i) {
            series->append(static_cast<double>(i + 1), values[i]);
            top = std::max(top, values[i]);
        }
        longest = std::max(longest, static_cast<int>(values.size()));
        chart->addSeries(series);
    }
    if (runs.empty()) chart->addSeries(new QLineSeries);
    chart->createDefaultAxes();
    for (QAbstractAxis* axis : chart->axes()) {
        auto* value = qobject_cast<QValueAxis*>(axis);
        if (!value) continue;
        if (axis->orientation() == Qt::Horizontal) value->setRange(1, std::max(longest, 2));
        else value->setRange(0, std::max(top * 1.1, 1.0));
    }
    chart->legend()->setVisible(runs.size() > 1);
    replaceChart(latency_, chart);
    live_.clear();
    updateHistogram(runs.empty() ? std::vector<double>{} : runs.front().report.steadyLatenciesMs);
    const ReportRun* profiled = nullptr;
    for (const ReportRun& run : runs)
        if (!run.report.ops.empty()) {
            profiled = &run;
            break;
        }
    setOps(profiled ? &profiled->report : nullptr,
           profiled && runs.size() > 1 ? QString::fromStdString(profiled->name) : QString());
    if (runs.size() > 1) histogram_->chart()->setTitle("Latency distribution: " + QString::fromStdString(runs.front().name));
    setMemory(runs);
}

void BenchmarkCharts::setOps(const BenchmarkReport* report, const QString& runName) {
    auto* chart = new QChart;
    styleChart(chart, report ? "Slowest ops, ms" + (runName.isEmpty() ? QString() : ": " + runName)
                             : "Slowest ops (run with op profile)");
    chart->legend()->hide();
    opLabels_.clear();
    auto* set = new QBarSet("ms");
    QStringList categories;
    if (report) {
        std::vector<OpTiming> ops = report->ops;
        std::stable_sort(ops.begin(), ops.end(), [](const OpTiming& a, const OpTiming& b) { return a.averageMs > b.averageMs; });
        if (ops.size() > kTopOps) ops.resize(kTopOps);
        for (const OpTiming& op : ops) opLabels_ << "#" + QString::number(op.index) + " " + QString::fromStdString(op.type);
        // Horizontal bars draw bottom-up: slowest last so it ends on top.
        for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
            categories << "#" + QString::number(it->index) + " " + QString::fromStdString(it->type);
            *set << it->averageMs;
        }
    }
    auto* series = new QHorizontalBarSeries;
    series->append(set);
    chart->addSeries(series);
    auto* y = new QBarCategoryAxis;
    y->append(categories);
    chart->addAxis(y, Qt::AlignLeft);
    // After addAxis: the chart theme sets the axis font when it is added.
    // Ten op names must fit ten bar heights, or Qt Charts elides them all.
    QFont small = y->labelsFont();
    small.setPixelSize(10);
    y->setLabelsFont(small);
    series->attachAxis(y);
    auto* x = new QValueAxis;
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    replaceChart(ops_, chart);
}

void BenchmarkCharts::setMemory(const std::vector<ReportRun>& runs) {
    auto* chart = new QChart;
    styleChart(chart, "Memory (MiB)");
    auto* peak = new QBarSet("peak RSS");
    auto* arena = new QBarSet("arena");
    QStringList categories;
    double top = 1;
    for (const ReportRun& run : runs) {
        double rss = static_cast<double>(run.report.peakResidentBytes) / (1024.0 * 1024.0);
        double planned = static_cast<double>(run.report.arenaBytes) / (1024.0 * 1024.0);
        *peak << rss;
        *arena << planned;
        top = std::max({top, rss, planned});
        QString name = QString::fromStdString(run.name);
        categories << (name.size() > 24 ? name.left(23) + "…" : name);
    }
    memoryBars_ = static_cast<int>(runs.size());
    auto* series = new QBarSeries;
    series->append(peak);
    series->append(arena);
    chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    auto* y = new QValueAxis;
    y->setRange(0, top * 1.1);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
    replaceChart(memory_, chart);
}

}  // namespace litestudio::ui

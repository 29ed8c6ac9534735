#include "ui/overview/overview_view.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHorizontalBarSeries>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>

#include "ui/overview/summary_html.h"

namespace litestudio::ui {

namespace {
constexpr int kChartedTypes = 15;  // more bars than this stop being readable
}

OverviewView::OverviewView(QWidget* parent) : QWidget(parent) {
    setObjectName("overviewView");
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* splitter = new QSplitter(this);
    text_ = new QTextBrowser(splitter);
    text_->setObjectName("overview");
    text_->setOpenLinks(false);
    text_->document()->setDocumentMargin(18);
    chart_ = new QChartView(splitter);
    chart_->setObjectName("opHistogramChart");
    chart_->setRenderHint(QPainter::Antialiasing);
    chart_->setMinimumWidth(320);
    splitter->addWidget(text_);
    splitter->addWidget(chart_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter);
}

QString OverviewView::plainText() const { return text_->toPlainText(); }

void OverviewView::showSummary(const FileSummary& summary) {
    showingError_ = false;
    text_->setHtml(summaryToHtml(summary));
    text_->moveCursor(QTextCursor::Start);
    const ModelSummary* model = summary.model ? &*summary.model : nullptr;
    for (const SectionSummary& section : summary.sections)
        if (!model && section.model) model = &*section.model;
    chartedOps_.clear();
    if (model) chartHistogram(*model);
    chart_->setVisible(model != nullptr && !model->opHistogram.empty());
}

void OverviewView::showError(const QString& path, const QString& message) {
    showingError_ = true;
    text_->setHtml(errorToHtml(path, message));
    chartedOps_.clear();
    chart_->hide();
}

void OverviewView::chartHistogram(const ModelSummary& model) {
    auto* chart = new QChart;
    chart->setTitle("Ops by type");
    chart->legend()->hide();
    chart->setAnimationOptions(QChart::NoAnimation);
    auto* counts = new QBarSet("ops");
    QStringList categories;
    int shown = std::min<int>(kChartedTypes, static_cast<int>(model.opHistogram.size()));
    int others = 0;
    for (size_t i = static_cast<size_t>(shown); i < model.opHistogram.size(); ++i) others += model.opHistogram[i].count;
    // Horizontal bars draw bottom-up: add the least used first so the most
    // used ends on top.
    if (others > 0) {
        categories << QString("%1 other types").arg(model.opHistogram.size() - static_cast<size_t>(shown));
        *counts << others;
    }
    int maximum = 1;
    for (int i = shown - 1; i >= 0; --i) {
        const NamedCount& entry = model.opHistogram[static_cast<size_t>(i)];
        categories << QString::fromStdString(entry.name);
        *counts << entry.count;
        maximum = std::max(maximum, entry.count);
    }
    for (int i = 0; i < shown; ++i)
        chartedOps_ << QString::fromStdString(model.opHistogram[static_cast<size_t>(i)].name) + " " +
                           QString::number(model.opHistogram[static_cast<size_t>(i)].count);
    counts->setColor(palette().color(QPalette::Highlight));
    counts->setLabelColor(palette().color(QPalette::Text));
    auto* series = new QHorizontalBarSeries;
    series->append(counts);
    series->setLabelsVisible(true);
    series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
    chart->addSeries(series);
    auto* axisY = new QBarCategoryAxis;
    axisY->append(categories);
    chart->addAxis(axisY, Qt::AlignLeft);
    series->attachAxis(axisY);
    auto* axisX = new QValueAxis;
    axisX->setRange(0, maximum * 1.15);
    axisX->setLabelFormat("%d");
    chart->addAxis(axisX, Qt::AlignBottom);
    series->attachAxis(axisX);
    bool dark = palette().color(QPalette::Window).lightness() < 128;
    chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    counts->setColor(palette().color(QPalette::Highlight));
    chart->setBackgroundBrush(palette().color(QPalette::Base));
    chart->setTitleBrush(palette().color(QPalette::Text));
    axisX->setLabelsBrush(palette().color(QPalette::Text));
    axisY->setLabelsBrush(palette().color(QPalette::Text));
    QChart* old = chart_->chart();
    chart_->setChart(chart);
    delete old;
}

}  // namespace litestudio::ui

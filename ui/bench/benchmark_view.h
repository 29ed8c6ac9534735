#pragma once
// The Benchmark view: drop models (or folders, or take the opened ones),
// choose accelerators, threads, runs or duration and warm-up, and watch
// the runs arrive on live charts; every run lands in the history, where
// runs are compared against a baseline, renamed, deleted, exported as
// reports, and their per-op times shown on the graph.

#include <QFutureWatcher>
#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

#include "core/bench/benchmark.h"
#include "ui/bench/run_history.h"

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace litestudio::ui {

class BenchmarkCharts;

class BenchmarkView : public QWidget {
    Q_OBJECT
public:
    explicit BenchmarkView(const QString& historyPath = RunHistory::defaultPath(), QWidget* parent = nullptr);
    ~BenchmarkView() override;

    // Files and folders (every .tflite inside, for a batch).
    void addModels(const QStringList& paths);
    QStringList models() const;
    void configure(const QStringList& accelerators, const QList<int>& threads, int runs, double seconds = 0,
                   int warmup = 1, bool opProfile = true);
    void setOpenedModelsProvider(std::function<QStringList()> provider) { openedModels_ = std::move(provider); }

    void start();
    void cancel();
    bool isRunning() const { return running_; }

    RunHistory& history() { return history_; }
    void refreshHistory();
    // Shows these history runs side by side, with ratios to `baseline`.
    void compare(const std::vector<qint64>& ids, qint64 baseline);
    bool exportRuns(const std::vector<qint64>& ids, const QString& path, QString* error = nullptr);
    std::vector<qint64> selectedRuns() const;

    BenchmarkCharts* charts() const { return charts_; }
    QTableWidget* historyTable() const { return historyTable_; }
    QTableWidget* summaryTable() const { return summary_; }
    QString progressText() const;

signals:
    void jobsFinished();
    void runStored(qint64 id);
    void sampleShown(int runIndex);  // a steady-state run reached the charts
    // Per-op milliseconds of a run, indexed like the ops of `subgraph`.
    void showOnGraph(const QString& modelPath, const QString& signature, const std::vector<double>& opMilliseconds);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    struct Job {
        QString model;
        QString accelerator;
        int threads = 1;
    };
    void runNext();
    void jobFinished();
    void onSample(const RunSample& sample);
    void showSummary(const std::vector<ReportRun>& runs, size_t baseline);
    void exportSelected();
    void renameSelected();
    void deleteSelected();
    void showSelectedOnGraph();
    void updateButtons();

    RunHistory history_;
    std::vector<Job> queue_;
    int jobCount_ = 0;
    int jobIndex_ = 0;
    bool running_ = false;
    bool cancelRequested_ = false;
    qint64 currentRun_ = 0;
    std::shared_ptr<Benchmark> benchmark_;
    QFutureWatcher<Expected<BenchmarkReport>> watcher_;
    std::vector<qint64> sessionRuns_;
    qint64 baseline_ = 0;
    RunSample lastSample_;
    double jobStartedSeconds_ = 0;
    std::function<QStringList()> openedModels_;

    QListWidget* modelList_ = nullptr;
    QCheckBox* cpu_ = nullptr;
    QCheckBox* reference_ = nullptr;
    QLineEdit* threads_ = nullptr;
    QSpinBox* runs_ = nullptr;
    QDoubleSpinBox* seconds_ = nullptr;
    QSpinBox* warmup_ = nullptr;
    QCheckBox* opProfile_ = nullptr;
    QPushButton* start_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* progressLabel_ = nullptr;
    BenchmarkCharts* charts_ = nullptr;
    QTableWidget* summary_ = nullptr;
    QTableWidget* historyTable_ = nullptr;
    QPushButton* compare_ = nullptr;
    QPushButton* baselineButton_ = nullptr;
    QPushButton* rename_ = nullptr;
    QPushButton* delete_ = nullptr;
    QPushButton* export_ = nullptr;
    QPushButton* graph_ = nullptr;
};

}  // namespace litestudio::ui

#include "ui/bench/benchmark_view.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

#include "accelerators/cpu/xnnpack_accelerator.h"
#include "ui/bench/benchmark_charts.h"
#include "ui/reports/pdf_report.h"

namespace litestudio::ui {

namespace {

QTableWidgetItem* cell(const QString& text, bool number = false) {
    auto* item = new QTableWidgetItem(text);
    item->setFlags(item->flags() & ~Qt::ItemIsEditable);
    if (number) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QString ms(double value) { return QString::number(value, 'f', 3); }

}  // namespace

BenchmarkView::BenchmarkView(const QString& historyPath, QWidget* parent) : QWidget(parent) {
    setObjectName("benchmarkView");
    setAcceptDrops(true);
    QString error;
    bool historyOpen = history_.open(historyPath, &error);

    auto* layout = new QHBoxLayout(this);
    auto* settings = new QWidget(this);
    settings->setMaximumWidth(300);
    auto* form = new QVBoxLayout(settings);
    form->setContentsMargins(0, 0, 0, 0);
    form->addWidget(new QLabel("<b>Models</b> (drop files or a folder)", settings));
    modelList_ = new QListWidget(settings);
    modelList_->setObjectName("benchmarkModels");
    modelList_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    form->addWidget(modelList_, 1);
    auto* modelButtons = new QHBoxLayout;
    auto* add = new QPushButton("Add…", settings);
    auto* addOpened = new QPushButton("Add opened", settings);
    auto* remove = new QPushButton("Remove", settings);
    modelButtons->addWidget(add);
    modelButtons->addWidget(addOpened);
    modelButtons->addWidget(remove);
    form->addLayout(modelButtons);
    auto* options = new QFormLayout;
    auto* accelerators = new QHBoxLayout;
    cpu_ = new QCheckBox("cpu", settings);
    cpu_->setChecked(true);
    reference_ = new QCheckBox("reference", settings);
    accelerators->addWidget(cpu_);
    accelerators->addWidget(reference_);
    options->addRow("Accelerators", accelerators);
    threads_ = new QLineEdit("1", settings);
    threads_->setToolTip("Thread counts to run, e.g. 1, 2");
    options->addRow("Threads", threads_);
    runs_ = new QSpinBox(settings);
    runs_->setRange(1, 1000000);
    runs_->setValue(50);
    options->addRow("Runs", runs_);
    seconds_ = new QDoubleSpinBox(settings);
    seconds_->setRange(0, 3600);
    seconds_->setSuffix(" s");
    seconds_->setToolTip("Keep running at least this long (0: runs only)");
    options->addRow("At least", seconds_);
    warmup_ = new QSpinBox(settings);
    warmup_->setRange(0, 10000);
    warmup_->setValue(1);
    options->addRow("Warm-up runs", warmup_);
    opProfile_ = new QCheckBox("time every op", settings);
    opProfile_->setChecked(true);
    options->addRow("Op profile", opProfile_);
    form->addLayout(options);
    auto* controls = new QHBoxLayout;
    start_ = new QPushButton("Start", settings);
    start_->setObjectName("startBenchmark");
    cancel_ = new QPushButton("Cancel", settings);
    cancel_->setObjectName("cancelBenchmark");
    cancel_->setEnabled(false);
    controls->addWidget(start_);
    controls->addWidget(cancel_);
    form->addLayout(controls);
    progress_ = new QProgressBar(settings);
    progress_->setRange(0, 100);
    progress_->setValue(0);
    progressLabel_ = new QLabel(historyOpen ? "Ready" : "History unavailable: " + error, settings);
    progressLabel_->setWordWrap(true);
    form->addWidget(progress_);
    form->addWidget(progressLabel_);
    layout->addWidget(settings);

    auto* right = new QSplitter(Qt::Vertical, this);
    charts_ = new BenchmarkCharts(right);
    summary_ = new QTableWidget(right);
    summary_->setObjectName("benchmarkSummary");
    summary_->verticalHeader()->hide();
    auto* historyPanel = new QWidget(right);
    auto* historyLayout = new QVBoxLayout(historyPanel);
    historyLayout->setContentsMargins(0, 0, 0, 0);
    auto* historyButtons = new QHBoxLayout;
    historyButtons->addWidget(new QLabel("<b>History</b>", historyPanel));
    historyButtons->addStretch();
    compare_ = new QPushButton("Compare", historyPanel);
    baselineButton_ = new QPushButton("Set baseline", historyPanel);
    rename_ = new QPushButton("Rename…", historyPanel);
    delete_ = new QPushButton("Delete", historyPanel);
    export_ = new QPushButton("Export…", historyPanel);
    graph_ = new QPushButton("Show on graph", historyPanel);
    for (QPushButton* button : {compare_, baselineButton_, rename_, delete_, export_, graph_}) historyButtons->addWidget(button);
    historyLayout->addLayout(historyButtons);
    historyTable_ = new QTableWidget(historyPanel);
    historyTable_->setObjectName("benchmarkHistory");
    historyTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
    historyTable_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    historyTable_->verticalHeader()->hide();
    historyLayout->addWidget(historyTable_);
    right->addWidget(charts_);
    right->addWidget(summary_);
    right->addWidget(historyPanel);
    summary_->setMinimumHeight(110);
    historyPanel->setMinimumHeight(150);
    right->setStretchFactor(0, 4);
    right->setStretchFactor(1, 1);
    right->setStretchFactor(2, 1);
    layout->addWidget(right, 1);

    connect(add, &QPushButton::clicked, this, [this] {
        addModels(QFileDialog::getOpenFileNames(this, "Models to benchmark", QString(), "Models (*.tflite);;All files (*)"));
    });
    connect(addOpened, &QPushButton::clicked, this, [this] {
        if (openedModels_) addModels(openedModels_());
    });
    connect(remove, &QPushButton::clicked, this, [this] { qDeleteAll(modelList_->selectedItems()); });
    connect(start_, &QPushButton::clicked, this, &BenchmarkView::start);
    connect(cancel_, &QPushButton::clicked, this, &BenchmarkView::cancel);
    connect(&watcher_, &QFutureWatcher<Expected<BenchmarkReport>>::finished, this, &BenchmarkView::jobFinished);
    connect(compare_, &QPushButton::clicked, this, [this] {
        auto ids = selectedRuns();
        compare(ids, std::count(ids.begin(), ids.end(), baseline_) ? baseline_ : (ids.empty() ? 0 : ids.back()));
    });
    connect(baselineButton_, &QPushButton::clicked, this, [this] {
        auto ids = selectedRuns();
        if (ids.size() == 1) baseline_ = ids.front();
        refreshHistory();
    });
    connect(rename_, &QPushButton::clicked, this, &BenchmarkView::renameSelected);
    connect(delete_, &QPushButton::clicked, this, &BenchmarkView::deleteSelected);
    connect(export_, &QPushButton::clicked, this, &BenchmarkView::exportSelected);
    connect(graph_, &QPushButton::clicked, this, &BenchmarkView::showSelectedOnGraph);
    connect(historyTable_, &QTableWidget::itemSelectionChanged, this, &BenchmarkView::updateButtons);
    refreshHistory();
}

BenchmarkView::~BenchmarkView() {
    if (benchmark_) benchmark_->cancel();
    watcher_.waitForFinished();
}

void BenchmarkView::addModels(const QStringList& paths) {
    QStringList files;
    for (const QString& path : paths) {
        QFileInfo info(path);
        if (info.isDir()) {
            QStringList found;
            QDirIterator it(path, {"*.tflite"}, QDir::Files, QDirIterator::Subdirectories);
            while (it.hasNext()) found << it.next();
            found.sort();
            files << found;
        } else if (info.isFile()) {
            files << info.absoluteFilePath();
        }
    }
    QStringList present = models();
    for (const QString& file : files) {
        if (present.contains(file)) continue;
        present << file;
        auto* item = new QListWidgetItem(QFileInfo(file).fileName(), modelList_);
        item->setData(Qt::UserRole, file);
        item->setToolTip(file);
    }
}

QStringList BenchmarkView::models() const {
    QStringList paths;
    for (int i = 0; i < modelList_->count(); ++i) paths << modelList_->item(i)->data(Qt::UserRole).toString();
    return paths;
}

void BenchmarkView::configure(const QStringList& accelerators, const QList<int>& threads, int runs, double seconds,
                              int warmup, bool opProfile) {
    cpu_->setChecked(accelerators.contains("cpu"));
    reference_->setChecked(accelerators.contains("reference"));
    QStringList counts;
    for (int count : threads) counts << QString::number(count);
    threads_->setText(counts.join(", "));
    runs_->setValue(runs);
    seconds_->setValue(seconds);
    warmup_->setValue(warmup);
    opProfile_->setChecked(opProfile);
}

void BenchmarkView::start() {
    if (running_) return;
    QList<int> threadCounts;
    for (const QString& part : threads_->text().split(',', Qt::SkipEmptyParts)) {
        bool ok = false;
        int count = part.trimmed().toInt(&ok);
        if (!ok || count < 1 || count > 256) {
            progressLabel_->setText("Threads: '" + part.trimmed() + "' is not a thread count (1 to 256)");
            return;
        }
        threadCounts << count;
    }
    QStringList accelerators;
    if (cpu_->isChecked()) accelerators << "cpu";
    if (reference_->isChecked()) accelerators << "reference";
    queue_.clear();
    for (const QString& model : models())
        for (const QString& accelerator : accelerators)
            for (int threads : threadCounts) queue_.push_back({model, accelerator, threads});
    if (queue_.empty()) {
        progressLabel_->setText("Nothing to run: add a model and pick an accelerator.");
        return;
    }
    std::reverse(queue_.begin(), queue_.end());  // taken from the back
    jobCount_ = static_cast<int>(queue_.size());
    jobIndex_ = 0;
    running_ = true;
    cancelRequested_ = false;
    sessionRuns_.clear();
    start_->setEnabled(false);
    cancel_->setEnabled(true);
    runNext();
}

void BenchmarkView::cancel() {
    if (!running_) return;
    cancelRequested_ = true;
    queue_.clear();
    if (benchmark_) benchmark_->cancel();
    progressLabel_->setText("Cancelling…");
}

void BenchmarkView::runNext() {
    if (queue_.empty() || cancelRequested_) {
        running_ = false;
        start_->setEnabled(true);
        cancel_->setEnabled(false);
        progress_->setValue(cancelRequested_ ? progress_->value() : 100);
        refreshHistory();
        if (!sessionRuns_.empty()) compare(sessionRuns_, sessionRuns_.front());
        progressLabel_->setText(cancelRequested_ ? "Cancelled"
                                                 : "Done: " + QString::number(sessionRuns_.size()) +
                                                       (sessionRuns_.size() == 1 ? " benchmark" : " benchmarks"));
        emit jobsFinished();
        return;
    }
    Job job = queue_.back();
    queue_.pop_back();
    ++jobIndex_;
    BenchmarkOptions options;
    options.accelerator = job.accelerator.toStdString();
    options.acceleratorChain = cpu::acceleratorChain(options.accelerator);
    options.threads = job.threads;
    options.runs = runs_->value();
    options.minSeconds = seconds_->value();
    options.warmupRuns = warmup_->value();
    options.opProfile = opProfile_->isChecked();
    QString name = QFileInfo(job.model).completeBaseName() + " · " + job.accelerator + " · " + QString::number(job.threads) +
                   (job.threads == 1 ? " thread" : " threads");
    currentRun_ = history_.isOpen() ? history_.beginRun(name, job.model, job.accelerator, job.threads) : 0;
    refreshHistory();
    charts_->startLive(name);
    lastSample_ = {};
    progressLabel_->setText("Job " + QString::number(jobIndex_) + " of " + QString::number(jobCount_) + ": loading " + name);
    benchmark_ = std::make_shared<Benchmark>(cpu::createStandardEnvironment(), options,
                                             QCoreApplication::applicationVersion().toStdString());
    auto benchmark = benchmark_;
    QPointer<BenchmarkView> self(this);
    std::string path = job.model.toStdString();
    watcher_.setFuture(QtConcurrent::run([benchmark, self, path] {
        return benchmark->run(path, [self](const RunSample& sample) {
            QMetaObject::invokeMethod(
                self, [self, sample] {
                    if (self) self->onSample(sample);
                },
                Qt::QueuedConnection);
        });
    }));
}

void BenchmarkView::onSample(const RunSample& sample) {
    if (sample.phase != RunPhase::Steady) return;
    lastSample_ = sample;
    charts_->addSample(sample.milliseconds);
    int done = sample.index + 1;
    double fraction = sample.plannedRuns > 0 ? std::min(1.0, static_cast<double>(done) / sample.plannedRuns) : 0;
    if (seconds_->value() > 0) fraction = std::max(fraction, std::min(1.0, sample.elapsedSeconds / seconds_->value()));
    double overall = (jobIndex_ - 1 + fraction) / std::max(jobCount_, 1);
    progress_->setValue(static_cast<int>(overall * 100));
    double perJob = fraction > 0 ? sample.elapsedSeconds / fraction : 0;
    double left = perJob * (1 - fraction) + perJob * (jobCount_ - jobIndex_);
    progressLabel_->setText("Job " + QString::number(jobIndex_) + " of " + QString::number(jobCount_) + " · run " +
                            QString::number(done) + " · " + ms(sample.milliseconds) + " ms · about " +
                            QString::number(std::ceil(left)) + " s left");
    emit sampleShown(sample.index);
}

QString BenchmarkView::progressText() const { return progressLabel_->text(); }

void BenchmarkView::jobFinished() {
    auto result = watcher_.result();
    benchmark_.reset();
    if (result) {
        if (currentRun_ > 0 && history_.finishRun(currentRun_, *result)) {
            sessionRuns_.push_back(currentRun_);
            emit runStored(currentRun_);
        }
    } else {
        if (currentRun_ > 0) history_.failRun(currentRun_, QString::fromStdString(result.errorMessage()));
        progressLabel_->setText(QString::fromStdString(result.errorMessage()));
    }
    refreshHistory();
    runNext();
}

void BenchmarkView::refreshHistory() {
    const QStringList headers = {"name", "when", "model", "accelerator", "threads", "avg ms", "p50 ms", "p99 ms", "status",
                                 "CPU", "version"};
    auto selected = selectedRuns();
    historyTable_->clear();
    historyTable_->setColumnCount(static_cast<int>(headers.size()));
    historyTable_->setHorizontalHeaderLabels(headers);
    auto entries = history_.list();
    historyTable_->setRowCount(static_cast<int>(entries.size()));
    for (int row = 0; row < static_cast<int>(entries.size()); ++row) {
        const HistoryEntry& e = entries[static_cast<size_t>(row)];
        bool hasResult = e.status == "finished" || e.status == "cancelled";
        auto* name = cell(e.name + (e.id == baseline_ ? "  (baseline)" : ""));
        name->setData(Qt::UserRole, e.id);
        historyTable_->setItem(row, 0, name);
        historyTable_->setItem(row, 1, cell(e.createdAt.toLocalTime().toString("yyyy-MM-dd hh:mm:ss")));
        historyTable_->setItem(row, 2, cell(QFileInfo(e.modelPath).fileName()));
        historyTable_->setItem(row, 3, cell(e.accelerator));
        historyTable_->setItem(row, 4, cell(QString::number(e.threads), true));
        historyTable_->setItem(row, 5, cell(hasResult ? ms(e.averageMs) : "", true));
        historyTable_->setItem(row, 6, cell(hasResult ? ms(e.p50Ms) : "", true));
        historyTable_->setItem(row, 7, cell(hasResult ? ms(e.p99Ms) : "", true));
        historyTable_->setItem(row, 8, cell(e.status + (e.error.isEmpty() ? "" : ": " + e.error)));
        historyTable_->setItem(row, 9, cell(e.cpu));
        historyTable_->setItem(row, 10, cell(e.appVersion));
        if (std::count(selected.begin(), selected.end(), e.id)) historyTable_->selectRow(row);
    }
    historyTable_->resizeColumnsToContents();
    updateButtons();
}

std::vector<qint64> BenchmarkView::selectedRuns() const {
    std::vector<qint64> ids;
    for (QTableWidgetItem* item : historyTable_->selectedItems())
        if (item->column() == 0) ids.push_back(item->data(Qt::UserRole).toLongLong());
    return ids;
}

void BenchmarkView::updateButtons() {
    size_t count = selectedRuns().size();
    compare_->setEnabled(count >= 1);
    baselineButton_->setEnabled(count == 1);
    rename_->setEnabled(count == 1);
    delete_->setEnabled(count >= 1 && !running_);
    export_->setEnabled(count >= 1);
    graph_->setEnabled(count == 1);
}

void BenchmarkView::compare(const std::vector<qint64>& ids, qint64 baseline) {
    std::vector<ReportRun> runs;
    size_t baselineIndex = 0;
    for (qint64 id : ids) {
        auto run = history_.load(id);
        if (!run) continue;
        if (id == baseline) baselineIndex = runs.size();
        runs.push_back(std::move(*run));
    }
    charts_->showRuns(runs);
    showSummary(runs, baselineIndex);
}

void BenchmarkView::showSummary(const std::vector<ReportRun>& runs, size_t baseline) {
    const QStringList headers = {"run", "runs", "avg ms", "std ms", "min ms", "p50 ms", "p90 ms", "p99 ms", "max ms",
                                 "init ms", "first ms", "peak RSS MiB", "arena MiB", "vs baseline"};
    summary_->clear();
    summary_->setColumnCount(static_cast<int>(headers.size()));
    summary_->setHorizontalHeaderLabels(headers);
    summary_->setRowCount(static_cast<int>(runs.size()));
    double base = runs.empty() ? 0 : runs[std::min(baseline, runs.size() - 1)].report.steady.averageMs;
    for (int row = 0; row < static_cast<int>(runs.size()); ++row) {
        const BenchmarkReport& r = runs[static_cast<size_t>(row)].report;
        const LatencyStatistics& s = r.steady;
        QStringList values = {QString::number(s.runs), ms(s.averageMs), ms(s.deviationMs), ms(s.minMs), ms(s.p50Ms),
                              ms(s.p90Ms), ms(s.p99Ms), ms(s.maxMs), ms(r.initMs), ms(r.firstRunMs),
                              QString::number(r.peakResidentBytes / (1024.0 * 1024.0), 'f', 1),
                              QString::number(r.arenaBytes / (1024.0 * 1024.0), 'f', 2),
                              base > 0 ? QString::number(s.averageMs / base, 'f', 3) + "x" : QString()};
        summary_->setItem(row, 0, cell(QString::fromStdString(runs[static_cast<size_t>(row)].name)));
        for (int column = 0; column < values.size(); ++column) summary_->setItem(row, column + 1, cell(values[column], true));
    }
    summary_->resizeColumnsToContents();
}

bool BenchmarkView::exportRuns(const std::vector<qint64>& ids, const QString& path, QString* error) {
    std::vector<ReportRun> runs;
    size_t baselineIndex = 0;
    for (qint64 id : ids) {
        auto run = history_.load(id);
        if (!run) continue;
        if (id == baseline_) baselineIndex = runs.size();
        runs.push_back(std::move(*run));
    }
    if (runs.empty()) {
        if (error) *error = "none of the selected runs has a result";
        return false;
    }
    Status status = writeReport(path, runs, baselineIndex);
    if (!status.isOk() && error) *error = QString::fromStdString(status.message());
    return status.isOk();
}

void BenchmarkView::exportSelected() {
    QString path = QFileDialog::getSaveFileName(this, "Export report", "benchmark.html",
                                                "HTML (*.html);;PDF (*.pdf);;Markdown (*.md);;CSV (*.csv);;JSON (*.json)");
    if (path.isEmpty()) return;
    QString error;
    if (!exportRuns(selectedRuns(), path, &error)) QMessageBox::warning(this, "Export report", error);
}

void BenchmarkView::renameSelected() {
    auto ids = selectedRuns();
    if (ids.size() != 1) return;
    bool ok = false;
    QString name = QInputDialog::getText(this, "Rename run", "Name", QLineEdit::Normal,
                                         historyTable_->selectedItems().value(0)->text().remove("  (baseline)"), &ok);
    if (ok && !name.trimmed().isEmpty()) history_.rename(ids.front(), name.trimmed());
    refreshHistory();
}

void BenchmarkView::deleteSelected() {
    for (qint64 id : selectedRuns()) history_.remove(id);
    refreshHistory();
}

void BenchmarkView::showSelectedOnGraph() {
    auto ids = selectedRuns();
    if (ids.size() != 1) return;
    auto run = history_.load(ids.front());
    if (!run || run->report.ops.empty()) {
        progressLabel_->setText("That run has no per-op times (run it with the op profile).");
        return;
    }
    int count = 0;
    for (const OpTiming& op : run->report.ops) count = std::max(count, op.index + 1);
    std::vector<double> times(static_cast<size_t>(count), 0.0);
    for (const OpTiming& op : run->report.ops) times[static_cast<size_t>(op.index)] = op.averageMs;
    emit showOnGraph(QString::fromStdString(run->report.modelPath), QString::fromStdString(run->report.signature), times);
}

void BenchmarkView::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void BenchmarkView::dropEvent(QDropEvent* event) {
    QStringList paths;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    if (paths.isEmpty()) return;
    event->acceptProposedAction();
    addModels(paths);
}

}  // namespace litestudio::ui

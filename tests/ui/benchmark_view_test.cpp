// The benchmark pane, driven offscreen: a run to completion, a cancel
// midway, a batch compared against a baseline, history across a restart
// and across a kill -9 mid-run, exported reports, and per-op times shown
// on the graph.

#include <QFile>
#include <QImage>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include "core/bench/bench_report.h"
#include "ui/bench/benchmark_charts.h"
#include "ui/bench/benchmark_view.h"
#include "ui/graph/graph_canvas.h"
#include "ui/graph/graph_view.h"
#include "ui/main_window.h"

using namespace litestudio;
using litestudio::ui::BenchmarkView;

class BenchmarkViewTest : public QObject {
    Q_OBJECT
private:
    QTemporaryDir data_;
    static QString shared(const char* relative) { return QString(LITESTUDIO_SHARED_DIR) + "/models/" + relative; }
    QString historyPath() const { return data_.filePath("history.sqlite"); }
    static bool runAll(BenchmarkView& view, int timeoutMs = 120000) {
        QSignalSpy done(&view, &BenchmarkView::jobsFinished);
        view.start();
        return done.count() > 0 || done.wait(timeoutMs);
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setApplicationVersion("0.0.test");
        QVERIFY(data_.isValid());
    }

    void runsToCompletion() {
        BenchmarkView view(historyPath());
        view.resize(1280, 800);
        view.show();
        view.addModels({shared("mediapipe/palm_detection_lite.tflite")});
        view.configure({"cpu"}, {1}, 20, 0, 1, true);
        QSignalSpy samples(&view, &BenchmarkView::sampleShown);
        QVERIFY(runAll(view));
        qInfo() << "progress:" << view.progressText() << "samples shown:" << samples.count();
        QCOMPARE(samples.count(), 20);
        QCOMPARE(view.progressText(), QString("Done: 1 benchmark"));  // one model at one setting, its 20 runs
        auto entries = view.history().list();
        QCOMPARE(entries.size(), size_t(1));
        QCOMPARE(entries[0].status, QString("finished"));
        QVERIFY(entries[0].averageMs > 0);
        QCOMPARE(entries[0].appVersion, QString("0.0.test"));
        QVERIFY(!entries[0].cpu.isEmpty());
        QCOMPARE(view.charts()->plottedSamples(), 20);
        qInfo() << "slowest ops:" << view.charts()->opLabels();
        QCOMPARE(view.charts()->opLabels().size(), 8);
        QCOMPARE(view.charts()->memoryBars(), 1);
        QCOMPARE(view.summaryTable()->rowCount(), 1);
        QCOMPARE(view.historyTable()->rowCount(), 1);
    }

    void cancelsMidway() {
        BenchmarkView view(historyPath());
        view.show();
        view.addModels({shared("mediapipe/palm_detection_lite.tflite")});
        view.configure({"cpu"}, {1}, 1000000, 0, 0, false);
        QSignalSpy done(&view, &BenchmarkView::jobsFinished);
        QSignalSpy samples(&view, &BenchmarkView::sampleShown);
        view.start();
        QTRY_VERIFY_WITH_TIMEOUT(samples.count() >= 5, 60000);
        QVERIFY(view.isRunning());
        view.cancel();
        QVERIFY(done.count() > 0 || done.wait(20000));
        auto entries = view.history().list();
        QCOMPARE(entries.front().status, QString("cancelled"));
        auto run = view.history().load(entries.front().id);
        QVERIFY(run.has_value());
        qInfo() << "cancelled after" << run->report.steady.runs << "runs";
        QVERIFY(run->report.steady.runs >= 5 && run->report.steady.runs < 1000000);
        QVERIFY(!view.isRunning());
    }

    void batchOfAFolderIsCompared() {
        QTemporaryDir folder;
        QVERIFY(QFile::link(shared("mediapipe/iris_landmark.tflite"), folder.filePath("a_iris.tflite")));
        QVERIFY(QFile::link(shared("mediapipe/face_detection_short_range.tflite"), folder.filePath("b_face.tflite")));
        QFile(folder.filePath("notes.txt")).open(QIODevice::WriteOnly);
        BenchmarkView view(historyPath());
        view.show();
        view.addModels({folder.path()});
        QCOMPARE(view.models().size(), 2);
        view.configure({"cpu", "reference"}, {1}, 5, 0, 0, false);
        QVERIFY(runAll(view));
        // 2 models x 2 accelerators, compared against the first.
        QCOMPARE(view.summaryTable()->rowCount(), 4);
        QCOMPARE(view.summaryTable()->item(0, 13)->text(), QString("1.000x"));
        QStringList ratios;
        for (int row = 0; row < 4; ++row)
            ratios << view.summaryTable()->item(row, 0)->text() + " " + view.summaryTable()->item(row, 13)->text();
        qInfo() << "batch:" << ratios;
        QCOMPARE(view.charts()->plottedSamples(), 4 * 5);
        QCOMPARE(view.charts()->memoryBars(), 4);
    }

    void historySurvivesARestartAndCanBeEdited() {
        size_t before = 0;
        qint64 renamed = 0, removed = 0;
        {
            BenchmarkView view(historyPath());
            auto entries = view.history().list();
            before = entries.size();
            QVERIFY(before >= 6);
            renamed = entries[0].id;
            removed = entries[1].id;
            QVERIFY(view.history().rename(renamed, "renamed run"));
            QVERIFY(view.history().remove(removed));
        }
        BenchmarkView again(historyPath());
        auto entries = again.history().list();
        QCOMPARE(entries.size(), before - 1);
        QCOMPARE(entries[0].name, QString("renamed run"));
        for (const auto& entry : entries) QVERIFY(entry.id != removed);
        QCOMPARE(again.historyTable()->rowCount(), static_cast<int>(before - 1));
        QCOMPARE(again.history().integrityCheck(), QString("ok"));
    }

    void exportsReportsThatReadBack() {
        BenchmarkView view(historyPath());
        auto entries = view.history().list();
        std::vector<qint64> ids;
        for (const auto& entry : entries)
            if (entry.status == "finished") ids.push_back(entry.id);
        QVERIFY(ids.size() >= 2);
        QTemporaryDir out;
        QString error;
        for (const char* name : {"r.html", "r.md", "r.csv", "r.json", "r.pdf"})
            QVERIFY2(view.exportRuns(ids, out.filePath(name), &error), qPrintable(QString(name) + ": " + error));
        QFile html(out.filePath("r.html"));
        QVERIFY(html.open(QIODevice::ReadOnly));
        QByteArray page = html.readAll();
        QVERIFY(page.count("<svg") >= 4);
        QVERIFY(!page.contains("<script"));
        QFile csv(out.filePath("r.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        auto rows = parseReportCsv(csv.readAll().toStdString());
        QVERIFY2(rows.hasValue(), rows.hasValue() ? "" : rows.errorMessage().c_str());
        QCOMPARE(rows->size(), ids.size());
        QFile json(out.filePath("r.json"));
        QVERIFY(json.open(QIODevice::ReadOnly));
        auto runs = parseReportJson(json.readAll().toStdString());
        QVERIFY(runs.hasValue());
        QCOMPARE(runs->size(), ids.size());
        for (size_t i = 0; i < ids.size(); ++i) {
            auto stored = view.history().load(ids[i]);
            QCOMPARE((*runs)[i].report.steadyLatenciesMs, stored->report.steadyLatenciesMs);
            QVERIFY(std::abs((*rows)[i].averageMs - stored->report.steady.averageMs) < 5e-4);
        }
        // The PDF renders to pictures.
        QProcess render;
        render.start("pdftoppm", {"-png", "-r", "50", out.filePath("r.pdf"), out.filePath("page")});
        QVERIFY2(render.waitForFinished(60000) && render.exitCode() == 0, "pdftoppm failed (poppler-utils installed?)");
        QImage first(out.filePath("page-1.png"));
        qInfo() << "PDF page 1:" << first.size();
        QVERIFY(!first.isNull());
        QVERIFY(first.height() > first.width());  // A4 portrait
    }

    void aKillMidRunLeavesTheHistoryWhole() {
        QTemporaryDir folder;
        qint64 kept = 0;
        {
            litestudio::ui::RunHistory history;
            QVERIFY(history.open(folder.filePath("history.sqlite")));
            BenchmarkReport report;
            report.modelPath = "/models/earlier.tflite";
            report.steadyLatenciesMs = {1, 2, 3};
            report.steady = computeStatistics(report.steadyLatenciesMs);
            kept = history.beginRun("earlier run", report.modelPath.c_str(), "cpu", 1);
            QVERIFY(history.finishRun(kept, report));
        }
        QProcess studio;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert("LITESTUDIO_DATA_DIR", folder.path());
        environment.insert("QT_QPA_PLATFORM", "offscreen");
        studio.setProcessEnvironment(environment);
        studio.start(LITESTUDIO_GUI_BINARY, {shared("mediapipe/palm_detection_lite.tflite"), "--view", "bench",
                                             "--benchmark-runs", "1000000"});
        QVERIFY(studio.waitForStarted());
        // Watch the database from outside until the run is under way.
        {
            QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "watch");
            db.setDatabaseName(folder.filePath("history.sqlite"));
            QVERIFY(db.open());
            QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    QSqlQuery query(db);
                    return query.exec("SELECT count(*) FROM benchmark_runs WHERE status = 'running'") && query.next() &&
                           query.value(0).toInt() == 1;
                }(),
                60000);
            QTest::qWait(1500);  // mid-run
            db.close();
        }
        QSqlDatabase::removeDatabase("watch");
        studio.kill();  // SIGKILL
        QVERIFY(studio.waitForFinished(10000));
        QCOMPARE(studio.exitStatus(), QProcess::CrashExit);

        litestudio::ui::RunHistory history;
        QVERIFY(history.open(folder.filePath("history.sqlite")));
        QCOMPARE(history.integrityCheck(), QString("ok"));
        auto entries = history.list();
        QCOMPARE(entries.size(), size_t(2));
        qInfo() << "after kill -9:" << entries[0].name << entries[0].status << "|" << entries[1].name << entries[1].status;
        QCOMPARE(entries[0].status, QString("interrupted"));
        QCOMPARE(entries[1].id, kept);
        QCOMPARE(entries[1].status, QString("finished"));
        QVERIFY(history.load(kept).has_value());
    }

    void perOpTimesColourTheGraph() {
        qputenv("LITESTUDIO_DATA_DIR", data_.path().toUtf8());
        litestudio::ui::MainWindow window;
        window.show();
        QSignalSpy shown(&window, &litestudio::ui::MainWindow::fileShown);
        window.openFile(shared("mediapipe/palm_detection_lite.tflite"));
        QVERIFY(shown.count() > 0 || shown.wait(20000));
        auto* bench = window.benchmarkView();
        bench->addModels(window.openedFiles());
        bench->configure({"cpu"}, {1}, 5, 0, 0, true);
        QVERIFY(runAll(*bench));
        bench->historyTable()->selectRow(0);
        QPushButton* showButton = nullptr;
        for (QPushButton* button : bench->findChildren<QPushButton*>())
            if (button->text() == "Show on graph") showButton = button;
        QVERIFY(showButton && showButton->isEnabled());
        showButton->click();
        QCOMPARE(window.view(), litestudio::ui::MainWindow::View::Graph);
        auto& state = window.graphView()->canvas()->paintState();
        QCOMPARE(state.colouring, litestudio::ui::GraphColouring::Latency);
        QTRY_VERIFY_WITH_TIMEOUT(window.graphView()->isReady(), 20000);
        QVERIFY(state.overlay && !state.overlay->opLatencyMs.empty());
        double total = 0;
        for (double ms : state.overlay->opLatencyMs) total += ms;
        qInfo() << "per-op times on the graph, sum" << total << "ms";
        QVERIFY(total > 0);
    }
};

QTEST_MAIN(BenchmarkViewTest)
#include "benchmark_view_test.moc"

#pragma once
// Every benchmark run, kept in SQLite (QtSql) in the user's data folder
// with the machine it ran on and the app version, so runs from different
// days compare knowingly. A run is written when it starts ("running") and
// again when it ends; SQLite's write-ahead log with synchronous commits
// means a crash or a kill -9 mid-run leaves the database whole, and the
// next start marks such a run "interrupted".

#include <QDateTime>
#include <QString>

#include <optional>
#include <vector>

#include "core/bench/bench_report.h"
#include "ui/storage/sqlite_connection.h"

namespace litestudio::ui {

struct HistoryEntry {
    qint64 id = 0;
    QString name;
    QDateTime createdAt;
    QString status;  // running, finished, cancelled, failed, interrupted
    QString modelPath;
    QString accelerator;
    int threads = 1;
    QString cpu;
    QString appVersion;
    double averageMs = 0;
    double p50Ms = 0;
    double p99Ms = 0;
    QString error;   // for failed runs
};

class RunHistory {
public:
    RunHistory() = default;
    RunHistory(const RunHistory&) = delete;
    RunHistory& operator=(const RunHistory&) = delete;

    // <data folder>/history.sqlite; LITESTUDIO_DATA_DIR overrides the folder.
    static QString defaultPath();
    bool open(const QString& path, QString* error = nullptr);
    bool isOpen() const { return connection_.isOpen(); }
    QString path() const { return path_; }

    qint64 beginRun(const QString& name, const QString& modelPath, const QString& accelerator, int threads);
    bool finishRun(qint64 id, const BenchmarkReport& report);  // finished, or cancelled if the report says so
    bool failRun(qint64 id, const QString& error);
    bool rename(qint64 id, const QString& name);
    bool remove(qint64 id);

    std::vector<HistoryEntry> list() const;  // newest first
    std::optional<ReportRun> load(qint64 id) const;
    // "ok" when SQLite finds nothing wrong.
    QString integrityCheck() const;
    QString lastError() const { return lastError_; }

private:
    SqliteConnection connection_;
    QString path_;
    mutable QString lastError_;
};

}  // namespace litestudio::ui

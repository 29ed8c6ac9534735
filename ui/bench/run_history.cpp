#include "ui/bench/run_history.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QVariant>

#include <nlohmann/json.hpp>

#include "core/bench/bench_json.h"

namespace litestudio::ui {

namespace {

const char* const kSchema[] = {
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "CREATE TABLE IF NOT EXISTS benchmark_runs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " model_path TEXT NOT NULL,"
    " accelerator TEXT NOT NULL,"
    " threads INTEGER NOT NULL,"
    " cpu TEXT, cores INTEGER, os TEXT, app_version TEXT,"
    " avg_ms REAL, p50_ms REAL, p99_ms REAL,"
    " error TEXT,"
    " result_json TEXT)",  // the bench JSON, format_version 1
};

}  // namespace

bool RunHistory::open(const QString& path, QString* error) {
    QString problem;
    if (!connection_.open(path, kSchema, &problem)) {
        lastError_ = problem;
        if (error) *error = problem;
        return false;
    }
    path_ = path;
    // Runs still "running" belong to a process that died.
    QSqlQuery query(connection_.database());
    query.exec("UPDATE benchmark_runs SET status = 'interrupted' WHERE status = 'running'");
    return true;
}

QString RunHistory::defaultPath() {
    QString folder = qEnvironmentVariable("LITESTUDIO_DATA_DIR");
    if (folder.isEmpty()) folder = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QDir(folder).filePath("history.sqlite");
}

qint64 RunHistory::beginRun(const QString& name, const QString& modelPath, const QString& accelerator, int threads) {
    QSqlQuery query(connection_.database());
    query.prepare("INSERT INTO benchmark_runs (name, created_at, status, model_path, accelerator, threads) "
                  "VALUES (?, ?, 'running', ?, ?, ?)");
    query.addBindValue(name);
    query.addBindValue(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    query.addBindValue(modelPath);
    query.addBindValue(accelerator);
    query.addBindValue(threads);
    if (!query.exec()) {
        lastError_ = query.lastError().text();
        return 0;
    }
    return query.lastInsertId().toLongLong();
}

bool RunHistory::finishRun(qint64 id, const BenchmarkReport& report) {
    QSqlQuery query(connection_.database());
    query.prepare("UPDATE benchmark_runs SET status = ?, cpu = ?, cores = ?, os = ?, app_version = ?, avg_ms = ?, "
                  "p50_ms = ?, p99_ms = ?, result_json = ? WHERE id = ?");
    query.addBindValue(report.cancelled ? "cancelled" : "finished");
    query.addBindValue(QString::fromStdString(report.machine.cpu));
    query.addBindValue(report.machine.cores);
    query.addBindValue(QString::fromStdString(report.machine.os));
    query.addBindValue(QString::fromStdString(report.appVersion));
    query.addBindValue(report.steady.averageMs);
    query.addBindValue(report.steady.p50Ms);
    query.addBindValue(report.steady.p99Ms);
    query.addBindValue(QString::fromStdString(
        benchmarkReportToJson(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    query.addBindValue(id);
    if (!query.exec()) {
        lastError_ = query.lastError().text();
        return false;
    }
    return true;
}

bool RunHistory::failRun(qint64 id, const QString& error) {
    QSqlQuery query(connection_.database());
    query.prepare("UPDATE benchmark_runs SET status = 'failed', error = ? WHERE id = ?");
    query.addBindValue(error);
    query.addBindValue(id);
    return query.exec();
}

bool RunHistory::rename(qint64 id, const QString& name) {
    QSqlQuery query(connection_.database());
    query.prepare("UPDATE benchmark_runs SET name = ? WHERE id = ?");
    query.addBindValue(name);
    query.addBindValue(id);
    return query.exec() && query.numRowsAffected() == 1;
}

bool RunHistory::remove(qint64 id) {
    QSqlQuery query(connection_.database());
    query.prepare("DELETE FROM benchmark_runs WHERE id = ?");
    query.addBindValue(id);
    return query.exec() && query.numRowsAffected() == 1;
}

std::vector<HistoryEntry> RunHistory::list() const {
    std::vector<HistoryEntry> entries;
    QSqlQuery query(connection_.database());
    if (!query.exec("SELECT id, name, created_at, status, model_path, accelerator, threads, cpu, app_version, avg_ms, "
                    "p50_ms, p99_ms, error FROM benchmark_runs ORDER BY id DESC")) {
        lastError_ = query.lastError().text();
        return entries;
    }
    while (query.next()) {
        HistoryEntry entry;
        entry.id = query.value(0).toLongLong();
        entry.name = query.value(1).toString();
        entry.createdAt = QDateTime::fromString(query.value(2).toString(), Qt::ISODateWithMs);
        entry.status = query.value(3).toString();
        entry.modelPath = query.value(4).toString();
        entry.accelerator = query.value(5).toString();
        entry.threads = query.value(6).toInt();
        entry.cpu = query.value(7).toString();
        entry.appVersion = query.value(8).toString();
        entry.averageMs = query.value(9).toDouble();
        entry.p50Ms = query.value(10).toDouble();
        entry.p99Ms = query.value(11).toDouble();
        entry.error = query.value(12).toString();
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::optional<ReportRun> RunHistory::load(qint64 id) const {
    QSqlQuery query(connection_.database());
    query.prepare("SELECT name, result_json FROM benchmark_runs WHERE id = ?");
    query.addBindValue(id);
    if (!query.exec() || !query.next() || query.value(1).isNull()) return std::nullopt;
    nlohmann::json json = nlohmann::json::parse(query.value(1).toString().toStdString(), nullptr, false);
    if (json.is_discarded()) return std::nullopt;
    auto report = benchmarkReportFromJson(json);
    if (!report) {
        lastError_ = QString::fromStdString(report.errorMessage());
        return std::nullopt;
    }
    return ReportRun{query.value(0).toString().toStdString(), *report};
}

QString RunHistory::integrityCheck() const { return connection_.integrityCheck(); }

}  // namespace litestudio::ui

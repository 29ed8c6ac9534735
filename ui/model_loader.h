#pragma once
// Opens and summarises a model file on a worker thread, so a large file
// never freezes the window. One load at a time; a newer request supersedes
// an older one, whose result is dropped.

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include "core/inspect/model_summary.h"

namespace litestudio::ui {

struct LoadResult {
    QString path;
    bool ok = false;
    QString error;
    FileSummary summary;
};

class ModelLoader : public QObject {
    Q_OBJECT
public:
    explicit ModelLoader(QObject* parent = nullptr);
    void load(const QString& path);
    bool isLoading() const { return watcher_.isRunning(); }

signals:
    void started(const QString& path);
    void finished(const litestudio::ui::LoadResult& result);

private:
    QFutureWatcher<LoadResult> watcher_;
    QString pendingPath_;
};

}  // namespace litestudio::ui

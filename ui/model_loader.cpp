#include "ui/model_loader.h"

#include <QtConcurrent/QtConcurrentRun>

#include "core/format/model_file.h"

namespace litestudio::ui {

namespace {
LoadResult loadAndSummarize(const QString& path) {
    LoadResult result;
    result.path = path;
    auto file = openModelFile(path.toStdString());
    if (!file) {
        result.error = QString::fromStdString(file.errorMessage());
        return result;
    }
    result.summary = summarizeFile(*file);
    result.ok = true;
    return result;
}
}  // namespace

ModelLoader::ModelLoader(QObject* parent) : QObject(parent) {
    connect(&watcher_, &QFutureWatcher<LoadResult>::finished, this, [this] {
        LoadResult result = watcher_.result();
        if (!pendingPath_.isEmpty()) {  // a newer file was asked for meanwhile
            QString next = pendingPath_;
            pendingPath_.clear();
            load(next);
            return;
        }
        emit finished(result);
    });
}

void ModelLoader::load(const QString& path) {
    if (watcher_.isRunning()) {
        pendingPath_ = path;
        return;
    }
    emit started(path);
    watcher_.setFuture(QtConcurrent::run(loadAndSummarize, path));
}

}  // namespace litestudio::ui

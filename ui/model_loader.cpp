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
    if (file->model) result.models.push_back({"model", file->model});
    if (file->bundle)
        for (const BundleSection& section : file->bundle->sections)
            if (section.model) result.models.push_back({QString::fromStdString(section.name), section.model});
    result.ok = true;
    return result;
}
}  // namespace

ModelLoader::ModelLoader(QObject* parent) : QObject(parent) {
    connect(&watcher_, &QFutureWatcher<LoadResult>::finished, this, [this] {
        busy_ = false;
        emit finished(watcher_.result());
        if (!pendingPaths_.isEmpty()) load(pendingPaths_.takeFirst());
    });
}

void ModelLoader::load(const QString& path) {
    // Not watcher_.isRunning(): between a load ending and its finished signal
    // arriving it is already false, and a new setFuture would drop that result.
    if (busy_) {
        if (!pendingPaths_.contains(path)) pendingPaths_ << path;
        return;
    }
    busy_ = true;
    emit started(path);
    watcher_.setFuture(QtConcurrent::run(loadAndSummarize, path));
}

}  // namespace litestudio::ui

#pragma once
// Opens and summarises a model file on a worker thread, so a large file
// never freezes the window. One load at a time; files asked for meanwhile
// (several dropped at once) wait their turn and each result is reported.

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <memory>
#include <vector>

#include "core/inspect/model_summary.h"

namespace litestudio::ui {

struct LoadedModel {
    QString name;  // "model" for a .tflite; the section's name in a bundle
    std::shared_ptr<const Model> model;
};

struct LoadResult {
    QString path;
    bool ok = false;
    QString error;
    FileSummary summary;
    std::vector<LoadedModel> models;  // every TFLite graph the file holds
};

class ModelLoader : public QObject {
    Q_OBJECT
public:
    explicit ModelLoader(QObject* parent = nullptr);
    void load(const QString& path);
    bool isLoading() const { return busy_; }

signals:
    void started(const QString& path);
    void finished(const litestudio::ui::LoadResult& result);

private:
    QFutureWatcher<LoadResult> watcher_;
    QStringList pendingPaths_;
    bool busy_ = false;
};

}  // namespace litestudio::ui

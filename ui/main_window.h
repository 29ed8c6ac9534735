#pragma once
// The studio's main window: a sidebar of opened and recent models, and the
// Overview, Graph, Benchmark and Chat views of the selected one. Files
// arrive by drop anywhere on the window, File > Open, the recent list, or
// the command line. Recent files, theme, geometry and the last view persist.

#include <QMainWindow>
#include <QMap>

#include "ui/model_loader.h"

class QLabel;
class QListWidget;
class QProgressBar;
class QStackedWidget;
class QTabWidget;

namespace litestudio::ui {

class BenchmarkView;
class ChatView;
class GraphView;
class OverviewView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class View { Overview, Graph, Benchmark, Chat };
    enum class Theme { System, Light, Dark };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openFile(const QString& path);
    QString currentPath() const { return currentPath_; }
    QString overviewPlainText() const;
    bool isShowingError() const;
    void setView(View view);
    View view() const;
    static bool viewFromName(const QString& name, View* view);
    void setTheme(Theme theme);
    Theme theme() const { return theme_; }

    QStringList openedFiles() const;
    QStringList recentFiles() const;
    OverviewView* overview() const { return overview_; }
    GraphView* graphView() const { return graph_; }
    BenchmarkView* benchmarkView() const { return bench_; }
    ChatView* chatView() const { return chat_; }

signals:
    // Emitted once a requested file is on screen, loaded or not.
    void fileShown(const QString& path, bool ok);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void chooseFile();
    void showResult(const LoadResult& result);
    void present(const LoadResult& result);
    void rememberRecent(const QString& path);
    void refreshSidebar();
    void refreshRecentMenu();
    void showAbout();
    void showLatenciesOnGraph(const QString& modelPath, const QString& signature, const std::vector<double>& ms);

    ModelLoader* loader_ = nullptr;
    QStackedWidget* pages_ = nullptr;
    QTabWidget* views_ = nullptr;
    OverviewView* overview_ = nullptr;
    GraphView* graph_ = nullptr;
    BenchmarkView* bench_ = nullptr;
    ChatView* chat_ = nullptr;
    QListWidget* opened_ = nullptr;
    QListWidget* recent_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QLabel* statusLabel_ = nullptr;
    QProgressBar* busy_ = nullptr;
    QMap<QString, LoadResult> loaded_;  // by absolute path, in the order opened
    QStringList openedOrder_;
    QString currentPath_;
    Theme theme_ = Theme::System;
};

}  // namespace litestudio::ui

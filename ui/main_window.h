#pragma once
// The studio's main window. For now it opens one model (drop, File > Open,
// or the command line) and shows what `inspect` knows about it; the sidebar,
// graph, benchmark and chat views grow from here.

#include <QMainWindow>

class QLabel;
class QProgressBar;
class QStackedWidget;
class QTextBrowser;

namespace litestudio::ui {

class ModelLoader;
struct LoadResult;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    void openFile(const QString& path);
    QString currentPath() const { return currentPath_; }
    QString overviewPlainText() const;
    bool isShowingError() const { return showingError_; }

signals:
    // Emitted once a requested file is on screen, loaded or not.
    void fileShown(const QString& path, bool ok);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void chooseFile();
    void showResult(const LoadResult& result);
    void showAbout();

    ModelLoader* loader_ = nullptr;
    QStackedWidget* pages_ = nullptr;
    QTextBrowser* overview_ = nullptr;
    QLabel* statusLabel_ = nullptr;
    QProgressBar* busy_ = nullptr;
    QString currentPath_;
    bool showingError_ = false;
};

}  // namespace litestudio::ui

#include "ui/main_window.h"

#include <QApplication>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "ui/model_loader.h"
#include "ui/summary_html.h"

namespace litestudio::ui {

namespace {

const char* const kModelFilter = "Models (*.tflite *.litertlm *.task *.bin);;All files (*)";

QWidget* makeWelcomePage(QWidget* parent, const std::function<void()>& onOpen) {
    auto* page = new QWidget(parent);
    auto* layout = new QVBoxLayout(page);
    layout->addStretch();
    auto* title = new QLabel("<h1>LiteStudio</h1>", page);
    title->setAlignment(Qt::AlignCenter);
    auto* hint = new QLabel("Drop a <b>.tflite</b>, <b>.litertlm</b> or <b>.task</b> file anywhere on this window", page);
    hint->setAlignment(Qt::AlignCenter);
    auto* open = new QPushButton("Open model…", page);
    open->setObjectName("openButton");
    QObject::connect(open, &QPushButton::clicked, page, onOpen);
    layout->addWidget(title);
    layout->addWidget(hint);
    layout->addSpacing(12);
    layout->addWidget(open, 0, Qt::AlignCenter);
    layout->addStretch();
    return page;
}

QString firstLocalFile(const QMimeData* mime) {
    if (!mime || !mime->hasUrls()) return {};
    for (const QUrl& url : mime->urls())
        if (url.isLocalFile()) return url.toLocalFile();
    return {};
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), loader_(new ModelLoader(this)) {
    setWindowTitle("LiteStudio");
    setAcceptDrops(true);
    resize(1100, 760);

    pages_ = new QStackedWidget(this);
    pages_->addWidget(makeWelcomePage(pages_, [this] { chooseFile(); }));
    overview_ = new QTextBrowser(pages_);
    overview_->setObjectName("overview");
    overview_->setOpenLinks(false);
    overview_->document()->setDocumentMargin(18);
    pages_->addWidget(overview_);
    setCentralWidget(pages_);

    QMenu* fileMenu = menuBar()->addMenu("&File");
    fileMenu->addAction("&Open…", QKeySequence::Open, this, &MainWindow::chooseFile);
    fileMenu->addSeparator();
    fileMenu->addAction("&Quit", QKeySequence::Quit, qApp, &QApplication::quit);
    menuBar()->addMenu("&Help")->addAction("&About LiteStudio", this, &MainWindow::showAbout);

    statusLabel_ = new QLabel("Ready", this);
    busy_ = new QProgressBar(this);
    busy_->setRange(0, 0);  // indeterminate: loading reports no fraction
    busy_->setMaximumWidth(160);
    busy_->hide();
    statusBar()->addWidget(statusLabel_, 1);
    statusBar()->addPermanentWidget(busy_);

    connect(loader_, &ModelLoader::started, this, [this](const QString& path) {
        statusLabel_->setText("Loading " + path + "…");
        busy_->show();
    });
    connect(loader_, &ModelLoader::finished, this, &MainWindow::showResult);
}

void MainWindow::openFile(const QString& path) { loader_->load(QFileInfo(path).absoluteFilePath()); }

void MainWindow::chooseFile() {
    QString path = QFileDialog::getOpenFileName(this, "Open model", QString(), kModelFilter);
    if (!path.isEmpty()) openFile(path);
}

void MainWindow::showResult(const LoadResult& result) {
    busy_->hide();
    currentPath_ = result.path;
    showingError_ = !result.ok;
    overview_->setHtml(result.ok ? summaryToHtml(result.summary) : errorToHtml(result.path, result.error));
    overview_->moveCursor(QTextCursor::Start);
    pages_->setCurrentWidget(overview_);
    setWindowTitle(QFileInfo(result.path).fileName() + " — LiteStudio");
    statusLabel_->setText(result.ok ? "Loaded " + result.path : "Could not open " + result.path);
    emit fileShown(result.path, result.ok);
}

QString MainWindow::overviewPlainText() const { return overview_->toPlainText(); }

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!firstLocalFile(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    QString path = firstLocalFile(event->mimeData());
    if (path.isEmpty()) return;
    event->acceptProposedAction();
    openFile(path);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, "About LiteStudio",
                       "<b>LiteStudio " + QApplication::applicationVersion() +
                           "</b><p>A desktop model studio for on-device AI.</p>");
}

}  // namespace litestudio::ui

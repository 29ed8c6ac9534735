#include "ui/main_window.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QVBoxLayout>

#include "ui/bench/benchmark_view.h"
#include "ui/chat/chat_view.h"
#include "ui/graph/graph_view.h"
#include "ui/overview/overview_view.h"
#include "ui/theme.h"

namespace litestudio::ui {

namespace {

const char* const kModelFilter = "Models (*.tflite *.litertlm *.task *.bin);;All files (*)";
constexpr int kRecentLimit = 12;

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

QStringList localFiles(const QMimeData* mime) {
    QStringList files;
    if (!mime || !mime->hasUrls()) return files;
    for (const QUrl& url : mime->urls())
        if (url.isLocalFile()) files << url.toLocalFile();
    return files;
}

const char* themeName(MainWindow::Theme theme) {
    switch (theme) {
    case MainWindow::Theme::Light: return "light";
    case MainWindow::Theme::Dark: return "dark";
    default: return "system";
    }
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), loader_(new ModelLoader(this)) {
    setWindowTitle("LiteStudio");
    setAcceptDrops(true);
    resize(1280, 800);

    auto* splitter = new QSplitter(this);
    auto* sidebar = new QWidget(splitter);
    sidebar->setObjectName("sidebar");
    auto* sideLayout = new QVBoxLayout(sidebar);
    sideLayout->setContentsMargins(6, 6, 0, 6);
    sideLayout->addWidget(new QLabel("<b>Open</b>", sidebar));
    opened_ = new QListWidget(sidebar);
    opened_->setObjectName("openedModels");
    sideLayout->addWidget(opened_, 1);
    sideLayout->addWidget(new QLabel("<b>Recent</b>", sidebar));
    recent_ = new QListWidget(sidebar);
    recent_->setObjectName("recentModels");
    sideLayout->addWidget(recent_, 1);
    sidebar->setMinimumWidth(170);

    pages_ = new QStackedWidget(splitter);
    pages_->addWidget(makeWelcomePage(pages_, [this] { chooseFile(); }));
    views_ = new QTabWidget(pages_);
    views_->setObjectName("views");
    views_->setDocumentMode(true);
    overview_ = new OverviewView(views_);
    graph_ = new GraphView(views_);
    views_->addTab(overview_, "Overview");
    views_->addTab(graph_, "Graph");
    bench_ = new BenchmarkView(RunHistory::defaultPath(), views_);
    bench_->setOpenedModelsProvider([this] { return openedOrder_; });
    views_->addTab(bench_, "Benchmark");
    connect(bench_, &BenchmarkView::showOnGraph, this, &MainWindow::showLatenciesOnGraph);
    chat_ = new ChatView(RunHistory::defaultPath(), views_);
    views_->addTab(chat_, "Chat");
    pages_->addWidget(views_);
    splitter->addWidget(sidebar);
    splitter->addWidget(pages_);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({220, 1060});
    setCentralWidget(splitter);

    QMenu* fileMenu = menuBar()->addMenu("&File");
    fileMenu->addAction("&Open…", QKeySequence::Open, this, &MainWindow::chooseFile);
    recentMenu_ = fileMenu->addMenu("Open &Recent");
    fileMenu->addSeparator();
    fileMenu->addAction("&Quit", QKeySequence::Quit, qApp, &QApplication::quit);
    QMenu* viewMenu = menuBar()->addMenu("&View");
    const char* viewNames[] = {"&Overview", "&Graph", "&Benchmark", "&Chat"};
    for (int i = 0; i < 4; ++i)
        viewMenu->addAction(viewNames[i], QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)), this,
                            [this, i] { setView(static_cast<View>(i)); });
    viewMenu->addSeparator();
    QMenu* themeMenu = viewMenu->addMenu("&Theme");
    auto* themes = new QActionGroup(this);
    for (Theme theme : {Theme::System, Theme::Light, Theme::Dark}) {
        QAction* action = themeMenu->addAction(QString(themeName(theme)).replace(0, 1, QString(themeName(theme)).at(0).toUpper()));
        action->setCheckable(true);
        action->setData(static_cast<int>(theme));
        themes->addAction(action);
        connect(action, &QAction::triggered, this, [this, theme] { setTheme(theme); });
    }
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
    connect(opened_, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        QString path = item->data(Qt::UserRole).toString();
        if (loaded_.contains(path)) present(loaded_[path]);
    });
    connect(recent_, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* item) { openFile(item->data(Qt::UserRole).toString()); });
    connect(recent_, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* item) { openFile(item->data(Qt::UserRole).toString()); });

    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
    QString savedTheme = settings.value("appearance/theme", "system").toString();
    Theme theme = savedTheme == "dark" ? Theme::Dark : savedTheme == "light" ? Theme::Light : Theme::System;
    for (QAction* action : themes->actions()) action->setChecked(action->data().toInt() == static_cast<int>(theme));
    setTheme(theme);
    views_->setCurrentIndex(std::clamp(settings.value("window/view", 0).toInt(), 0, 1));
    refreshSidebar();
    refreshRecentMenu();
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/view", views_->currentIndex());
    QMainWindow::closeEvent(event);
}

void MainWindow::openFile(const QString& path) {
    QString absolute = QFileInfo(path).absoluteFilePath();
    loader_->load(absolute);
}

void MainWindow::chooseFile() {
    QStringList paths = QFileDialog::getOpenFileNames(this, "Open models", QString(), kModelFilter);
    for (const QString& path : paths) openFile(path);
}

void MainWindow::showResult(const LoadResult& result) {
    busy_->hide();
    if (!loaded_.contains(result.path)) openedOrder_ << result.path;
    loaded_[result.path] = result;
    rememberRecent(result.path);
    present(result);
    statusLabel_->setText(result.ok ? "Loaded " + result.path : "Could not open " + result.path);
    emit fileShown(result.path, result.ok);
}

void MainWindow::present(const LoadResult& result) {
    currentPath_ = result.path;
    if (result.ok) overview_->showSummary(result.summary);
    else overview_->showError(result.path, result.error);
    std::vector<GraphView::NamedModel> models;
    for (const LoadedModel& model : result.models) models.push_back({model.name, model.model});
    graph_->setModels(std::move(models));
    // LLM bundles are for chatting too.
    bool llmBundle = result.summary.kind == FileKind::LitertlmBundle || result.summary.kind == FileKind::TaskBundle;
    if (result.ok && llmBundle && chat_->modelPath() != result.path)
        chat_->setModelPath(result.path);
    pages_->setCurrentWidget(views_);
    if (!result.ok) views_->setCurrentWidget(overview_);
    setWindowTitle(QFileInfo(result.path).fileName() + " — LiteStudio");
    refreshSidebar();
}

void MainWindow::rememberRecent(const QString& path) {
    QSettings settings;
    QStringList recent = settings.value("recentFiles").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kRecentLimit) recent.removeLast();
    settings.setValue("recentFiles", recent);
    refreshRecentMenu();
}

QStringList MainWindow::recentFiles() const { return QSettings().value("recentFiles").toStringList(); }
QStringList MainWindow::openedFiles() const { return openedOrder_; }

void MainWindow::refreshSidebar() {
    opened_->clear();
    for (const QString& path : openedOrder_) {
        const LoadResult& result = loaded_[path];
        auto* item = new QListWidgetItem((result.ok ? "" : "⚠ ") + QFileInfo(path).fileName(), opened_);
        item->setData(Qt::UserRole, path);
        item->setToolTip(result.ok ? path : path + "\n" + result.error);
        if (path == currentPath_) opened_->setCurrentItem(item);
    }
}

void MainWindow::refreshRecentMenu() {
    recentMenu_->clear();
    const QStringList recent = recentFiles();
    for (const QString& path : recent) recentMenu_->addAction(path, this, [this, path] { openFile(path); });
    recentMenu_->setEnabled(!recent.isEmpty());
    if (recent_) {
        recent_->clear();
        for (const QString& path : recent) {
            auto* item = new QListWidgetItem(QFileInfo(path).fileName(), recent_);
            item->setData(Qt::UserRole, path);
            item->setToolTip(path);
            if (!QFileInfo::exists(path)) item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
        }
    }
}

QString MainWindow::overviewPlainText() const { return overview_->plainText(); }
bool MainWindow::isShowingError() const { return overview_->isShowingError(); }

void MainWindow::setView(View view) {
    pages_->setCurrentWidget(views_);
    views_->setCurrentIndex(static_cast<int>(view));
}

MainWindow::View MainWindow::view() const { return static_cast<View>(views_->currentIndex()); }

bool MainWindow::viewFromName(const QString& name, View* view) {
    static const QMap<QString, View> names = {
        {"overview", View::Overview}, {"graph", View::Graph}, {"bench", View::Benchmark}, {"chat", View::Chat}};
    if (!names.contains(name)) return false;
    *view = names[name];
    return true;
}

void MainWindow::setTheme(Theme theme) {
    theme_ = theme;
    QSettings().setValue("appearance/theme", themeName(theme));
    QPalette light = lightPalette(), dark = darkPalette();
    applyPalette(theme == Theme::Light ? &light : theme == Theme::Dark ? &dark : nullptr);
}

// A benchmark's per-op times colour the graph of the model it ran.
void MainWindow::showLatenciesOnGraph(const QString& modelPath, const QString& signature, const std::vector<double>& ms) {
    QString path = QFileInfo(modelPath).absoluteFilePath();
    if (!loaded_.contains(path) || !loaded_[path].ok) {
        statusLabel_->setText("Open " + modelPath + " to see its per-op times on the graph");
        openFile(path);
        return;
    }
    if (currentPath_ != path) present(loaded_[path]);
    const LoadResult& result = loaded_[path];
    int subgraph = 0;
    if (!result.models.empty()) {
        for (const Signature& s : result.models.front().model->signatures)
            if (QString::fromStdString(s.key) == signature) subgraph = s.subgraph;
    }
    graph_->setOpLatencies(0, subgraph, ms);
    graph_->setColouring(GraphColouring::Latency);
    if (graph_->currentSubgraph() != subgraph) graph_->showSubgraph(0, subgraph);
    setView(View::Graph);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!localFiles(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    QStringList files = localFiles(event->mimeData());
    if (files.isEmpty()) return;
    event->acceptProposedAction();
    for (const QString& path : files) openFile(path);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, "About LiteStudio",
                       "<b>LiteStudio " + QApplication::applicationVersion() +
                           "</b><p>A desktop model studio for on-device AI.</p>");
}

}  // namespace litestudio::ui

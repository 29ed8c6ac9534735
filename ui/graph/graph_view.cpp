#include "ui/graph/graph_view.h"

#include <QApplication>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
#include <QPointer>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QSvgGenerator>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/runtime/compiled_model.h"
#include "ui/graph/graph_canvas.h"
#include "ui/graph/properties_panel.h"

namespace litestudio::ui {

namespace {

// Ops of a big graph start folded into their top-level namespaces; a
// MobileNet-sized one starts open.
constexpr size_t kOpenByDefaultOps = 400;

std::set<std::string> defaultExpansion(const NamespaceIndex& namespaces, size_t opCount) {
    if (opCount > kOpenByDefaultOps) return {};
    auto groups = namespaces.foldableGroups();
    return {groups.begin(), groups.end()};
}

bool containsText(const std::string& haystack, const QString& needle) {
    return QString::fromStdString(haystack).contains(needle, Qt::CaseInsensitive);
}

}  // namespace

GraphView::GraphView(QWidget* parent) : QWidget(parent) {
    setObjectName("graphView");
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);

    auto* bar = new QHBoxLayout;
    back_ = new QPushButton("◀ Back", this);
    back_->setObjectName("graphBack");
    back_->setToolTip("Back to the graph that calls this one");
    where_ = new QLabel(this);
    where_->setObjectName("graphLocation");
    subgraphs_ = new QComboBox(this);
    subgraphs_->setObjectName("subgraphChooser");
    subgraphs_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    subgraphs_->setMinimumContentsLength(22);
    search_ = new QLineEdit(this);
    search_->setObjectName("graphSearch");
    search_->setPlaceholderText("Find op type, op or tensor name");
    search_->setClearButtonEnabled(true);
    search_->setMinimumWidth(220);
    auto* previous = new QToolButton(this);
    previous->setText("▲");
    previous->setToolTip("Previous match (Shift+Enter)");
    auto* next = new QToolButton(this);
    next->setText("▼");
    next->setToolTip("Next match (Enter)");
    matchLabel_ = new QLabel(this);
    matchLabel_->setMinimumWidth(60);
    colouring_ = new QComboBox(this);
    colouring_->setObjectName("graphColouring");
    colouring_->addItems({"Colour: op type", "Colour: dtype", "Colour: accelerator", "Colour: latency"});
    auto* fit = new QPushButton("Fit", this);
    fit->setToolTip("Zoom to fit (0)");
    auto* exportButton = new QPushButton("Export…", this);
    bar->addWidget(back_);
    bar->addWidget(subgraphs_);
    bar->addWidget(where_, 1);
    bar->addWidget(search_);
    bar->addWidget(previous);
    bar->addWidget(next);
    bar->addWidget(matchLabel_);
    bar->addWidget(colouring_);
    bar->addWidget(fit);
    bar->addWidget(exportButton);
    layout->addLayout(bar);

    auto* progressRow = new QHBoxLayout;
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 100);
    progress_->setFormat("Laying out… %p%");
    cancelButton_ = new QPushButton("Cancel", this);
    progressRow->addWidget(progress_, 1);
    progressRow->addWidget(cancelButton_);
    layout->addLayout(progressRow);
    progress_->hide();
    cancelButton_->hide();

    auto* splitter = new QSplitter(this);
    canvas_ = new GraphCanvas(splitter);
    properties_ = new PropertiesPanel(splitter);
    splitter->addWidget(canvas_);
    splitter->addWidget(properties_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({800, 300});
    layout->addWidget(splitter, 1);

    connect(back_, &QPushButton::clicked, this, &GraphView::goBack);
    connect(subgraphs_, qOverload<int>(&QComboBox::activated), this, [this](int index) {
        QPoint target = subgraphs_->itemData(index).toPoint();
        if (std::make_pair(target.x(), target.y()) != current_) {
            history_.push_back(current_);
            showSubgraph(target.x(), target.y());
        }
    });
    connect(search_, &QLineEdit::textChanged, this, [this] {
        updateMatches();
        if (!matchOrder_.empty()) findNext();
    });
    connect(search_, &QLineEdit::returnPressed, this, [this] {
        if (QApplication::keyboardModifiers() & Qt::ShiftModifier) findPrevious();
        else findNext();
    });
    connect(previous, &QToolButton::clicked, this, &GraphView::findPrevious);
    connect(next, &QToolButton::clicked, this, &GraphView::findNext);
    connect(colouring_, qOverload<int>(&QComboBox::activated), this,
            [this](int index) { setColouring(static_cast<GraphColouring>(index)); });
    connect(fit, &QPushButton::clicked, canvas_, &GraphCanvas::fitToView);
    connect(exportButton, &QPushButton::clicked, this, &GraphView::chooseExport);
    connect(cancelButton_, &QPushButton::clicked, this, [this] {
        if (cancel_) cancel_->store(true);
    });
    connect(canvas_, &GraphCanvas::nodeClicked, this, &GraphView::selectNode);
    connect(canvas_, &GraphCanvas::nodeActivated, this, &GraphView::activateNode);
    connect(canvas_, &GraphCanvas::tensorClicked, this, &GraphView::selectTensor);
    connect(canvas_, &GraphCanvas::backgroundClicked, this, [this] {
        canvas_->paintState().selectedNode = canvas_->paintState().selectedTensor = -1;
        properties_->clear();
        canvas_->update();
    });
    canvas_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(canvas_, &QWidget::customContextMenuRequested, this, [this](QPoint position) {
        if (!scene_) return;
        int node = scene_->nodeAt(canvas_->toScene(position));
        QMenu menu;
        if (node < 0) {
            menu.addAction("Open all namespaces", this, &GraphView::expandAll);
            menu.addAction("Fold all namespaces", this, &GraphView::foldAll);
            menu.exec(canvas_->mapToGlobal(position));
            return;
        }
        const DisplayNode& display = scene_->graph.nodes[static_cast<size_t>(node)];
        if (display.kind == DisplayNode::Kind::Group)
            menu.addAction("Open namespace " + QString::fromStdString(display.group), [this, node] { activateNode(node); });
        if (display.kind == DisplayNode::Kind::Op && !namespaces_.pathOf(display.op).empty())
            menu.addAction("Fold its namespace", [this, node] { foldGroupOf(node); });
        if (scene_->nodes[static_cast<size_t>(node)].callsSubgraph)
            menu.addAction("Open body", [this, node] { activateNode(node); });
        if (!menu.isEmpty()) menu.exec(canvas_->mapToGlobal(position));
    });
    connect(properties_, &PropertiesPanel::tensorRequested, this, &GraphView::selectTensor);
    connect(properties_, &PropertiesPanel::opRequested, this, &GraphView::selectOp);
    connect(&watcher_, &QFutureWatcher<Expected<std::shared_ptr<const GraphScene>>>::finished, this, &GraphView::sceneBuilt);
    updateToolbar();
}

GraphView::~GraphView() {
    if (cancel_) cancel_->store(true);
    watcher_.waitForFinished();
}

void GraphView::setModels(std::vector<NamedModel> models) {
    models_ = std::move(models);
    history_.clear();
    expanded_.clear();
    overlays_.clear();
    scene_.reset();
    canvas_->setScene(nullptr);
    properties_->clear();
    subgraphs_->clear();
    for (size_t m = 0; m < models_.size(); ++m) {
        const Model& model = *models_[m].model;
        for (size_t s = 0; s < model.subgraphs.size(); ++s) {
            QString name = QString::fromStdString(model.subgraphs[s].name);
            QString text = (models_.size() > 1 ? models_[m].name + " › " : QString()) + "subgraph " + QString::number(s) +
                           (name.isEmpty() ? "" : ": " + name) + " (" + QString::number(model.subgraphs[s].ops.size()) + " ops)";
            subgraphs_->addItem(text, QPoint(static_cast<int>(m), static_cast<int>(s)));
        }
    }
    if (!models_.empty() && !models_.front().model->subgraphs.empty()) showSubgraph(0, 0);
    else updateToolbar();
}

void GraphView::showSubgraph(int model, int subgraph) {
    if (model < 0 || static_cast<size_t>(model) >= models_.size()) return;
    const Model& m = *models_[static_cast<size_t>(model)].model;
    if (subgraph < 0 || static_cast<size_t>(subgraph) >= m.subgraphs.size()) return;
    current_ = {model, subgraph};
    const Subgraph& sub = m.subgraphs[static_cast<size_t>(subgraph)];
    namespaces_ = NamespaceIndex(sub);
    if (!expanded_.count(current_)) expanded_[current_] = defaultExpansion(namespaces_, sub.ops.size());
    properties_->clear();
    relayout();
    updateToolbar();
}

void GraphView::goBack() {
    if (history_.empty()) return;
    auto previous = history_.back();
    history_.pop_back();
    showSubgraph(previous.first, previous.second);
}

void GraphView::relayout() {
    if (watcher_.isRunning()) {  // the running layout is stale: stop it and start again when it ends
        relayoutPending_ = true;
        if (cancel_) cancel_->store(true);
        return;
    }
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    progress_->setValue(0);
    progress_->show();
    cancelButton_->show();
    SceneMetrics sceneMetrics = sceneMetricsFor(canvas_->font());
    auto model = models_[static_cast<size_t>(current_.first)].model;
    auto cancel = cancel_;
    QPointer<QProgressBar> progress = progress_;
    LayoutControl control{cancel.get(), [progress, last = std::make_shared<int>(-1)](double fraction) {
                              int percent = static_cast<int>(fraction * 100);
                              if (percent == *last) return;
                              *last = percent;
                              QMetaObject::invokeMethod(progress, [progress, percent] {
                                  if (progress) progress->setValue(percent);
                              }, Qt::QueuedConnection);
                          }};
    watcher_.setFuture(QtConcurrent::run([model, subgraph = current_.second, namespaces = namespaces_,
                                          expanded = expanded_[current_], sceneMetrics, control, cancel] {
        return buildGraphScene(model, subgraph, namespaces, expanded, sceneMetrics, control);
    }));
}

void GraphView::sceneBuilt() {
    progress_->hide();
    cancelButton_->hide();
    auto result = watcher_.result();
    if (relayoutPending_) {
        relayoutPending_ = false;
        relayout();
        return;
    }
    if (!result) {
        where_->setText(QString::fromStdString(result.errorMessage()));
        if (!scene_) canvas_->setScene(nullptr);
        emit sceneReady();
        return;
    }
    scene_ = *result;
    canvas_->setScene(scene_);
    canvas_->paintState().overlay = &overlay();
    updateMatches();
    if (revealOp_ >= 0 && static_cast<size_t>(revealOp_) < scene_->graph.nodeOfOp.size()) {
        int node = scene_->graph.nodeOfOp[static_cast<size_t>(revealOp_)];
        canvas_->paintState().selectedNode = node;
        canvas_->reveal(node);
        properties_->showNode(*scene_, node, overlay());
    }
    revealOp_ = -1;
    updateToolbar();
    emit sceneReady();
}

QString GraphView::statusText() const { return where_->text(); }

void GraphView::updateToolbar() {
    back_->setEnabled(!history_.empty());
    for (int i = 0; i < subgraphs_->count(); ++i)
        if (subgraphs_->itemData(i).toPoint() == QPoint(current_.first, current_.second)) subgraphs_->setCurrentIndex(i);
    if (!scene_) {
        where_->clear();
        return;
    }
    where_->setText(QString::number(scene_->nodes.size()) + " nodes, " + QString::number(scene_->layerCount) + " layers");
    matchLabel_->setText(search_->text().isEmpty() ? QString()
                         : matchOrder_.empty()    ? QString("no match")
                                                  : QString::number(matchCursor_ + 1) + " of " + QString::number(matchOrder_.size()));
}

void GraphView::expandGroup(const std::string& group) {
    auto& open = expanded_[current_];
    open.insert(group);
    // Opening a group inside a folded parent opens the parent too.
    for (size_t slash = group.find('/'); slash != std::string::npos; slash = group.find('/', slash + 1))
        open.insert(group.substr(0, slash));
    relayout();
}

void GraphView::expandAll() {
    auto groups = namespaces_.foldableGroups();
    expanded_[current_] = {groups.begin(), groups.end()};
    relayout();
}

void GraphView::foldAll() {
    expanded_[current_].clear();
    relayout();
}

void GraphView::foldGroupOf(int node) {
    if (!scene_ || node < 0) return;
    const DisplayNode& display = scene_->graph.nodes[static_cast<size_t>(node)];
    if (display.kind != DisplayNode::Kind::Op) return;
    const auto& path = namespaces_.pathOf(display.op);
    auto& open = expanded_[current_];
    // The innermost namespace with other ops in it.
    for (size_t depth = path.size(); depth >= 1; --depth) {
        std::string prefix;
        for (size_t i = 0; i < depth; ++i) prefix += (i ? "/" : "") + path[i];
        if (namespaces_.opCount(prefix) >= 2 && open.count(prefix)) {
            for (auto it = open.begin(); it != open.end();)
                it = (*it == prefix || it->rfind(prefix + "/", 0) == 0) ? open.erase(it) : std::next(it);
            revealOp_ = display.op;
            relayout();
            return;
        }
    }
}

void GraphView::activateNode(int node) {
    if (!scene_ || node < 0 || static_cast<size_t>(node) >= scene_->nodes.size()) return;
    const DisplayNode& display = scene_->graph.nodes[static_cast<size_t>(node)];
    if (display.kind == DisplayNode::Kind::Group) {
        revealOp_ = display.ops.front();
        expandGroup(display.group);
        return;
    }
    if (display.kind != DisplayNode::Kind::Op) return;
    const Model& model = *scene_->model;
    const Op& op = model.subgraphs[static_cast<size_t>(scene_->subgraph)].ops[static_cast<size_t>(display.op)];
    // WHILE has a condition and a body; the body is what people want to see.
    int target = -1;
    for (int called : op.calledSubgraphs)
        if (called >= 0 && static_cast<size_t>(called) < model.subgraphs.size()) target = called;
    if (target < 0) return;
    history_.push_back(current_);
    showSubgraph(current_.first, target);
}

void GraphView::setSearchText(const QString& text) {
    if (search_->text() == text) return;
    search_->setText(text);  // textChanged searches and selects the first match
}

void GraphView::updateMatches() {
    matches_.clear();
    matchOrder_.clear();
    matchCursor_ = -1;
    QString needle = search_->text().trimmed();
    if (scene_ && !needle.isEmpty()) {
        const Model& model = *scene_->model;
        const Subgraph& subgraph = model.subgraphs[static_cast<size_t>(scene_->subgraph)];
        matches_.assign(scene_->nodes.size(), false);
        auto tensorMatches = [&](int tensor) {
            return tensor >= 0 && static_cast<size_t>(tensor) < subgraph.tensors.size() &&
                   containsText(subgraph.tensors[static_cast<size_t>(tensor)].name, needle);
        };
        for (size_t node = 0; node < scene_->nodes.size(); ++node) {
            const DisplayNode& display = scene_->graph.nodes[node];
            bool hit = containsText(display.group, needle) || tensorMatches(display.tensor);
            for (size_t k = 0; k < display.ops.size() && !hit; ++k) {
                const Op& op = subgraph.ops[static_cast<size_t>(display.ops[k])];
                hit = containsText(model.opCode(op).displayName(), needle);
                for (int tensor : op.outputs) hit = hit || tensorMatches(tensor);
                for (int tensor : op.inputs) hit = hit || tensorMatches(tensor);
            }
            if (hit) {
                matches_[node] = true;
                matchOrder_.push_back(static_cast<int>(node));
            }
        }
        // Top to bottom, as the eye reads the graph.
        std::sort(matchOrder_.begin(), matchOrder_.end(), [this](int a, int b) {
            QPointF pa = scene_->nodes[static_cast<size_t>(a)].rect.center(), pb = scene_->nodes[static_cast<size_t>(b)].rect.center();
            return pa.y() != pb.y() ? pa.y() < pb.y() : pa.x() < pb.x();
        });
    }
    canvas_->paintState().matches = matches_.empty() ? nullptr : &matches_;
    canvas_->update();
    updateToolbar();
}

void GraphView::findNext() {
    if (matchOrder_.empty()) return;
    matchCursor_ = (matchCursor_ + 1) % static_cast<int>(matchOrder_.size());
    selectNode(matchOrder_[static_cast<size_t>(matchCursor_)]);
    canvas_->reveal(matchOrder_[static_cast<size_t>(matchCursor_)]);
    updateToolbar();
}

void GraphView::findPrevious() {
    if (matchOrder_.empty()) return;
    int count = static_cast<int>(matchOrder_.size());
    matchCursor_ = (matchCursor_ - 1 + count) % count;
    selectNode(matchOrder_[static_cast<size_t>(matchCursor_)]);
    canvas_->reveal(matchOrder_[static_cast<size_t>(matchCursor_)]);
    updateToolbar();
}

void GraphView::selectNode(int node) {
    if (!scene_ || node < 0 || static_cast<size_t>(node) >= scene_->nodes.size()) return;
    canvas_->paintState().selectedNode = node;
    canvas_->paintState().selectedTensor = -1;
    properties_->showNode(*scene_, node, overlay());
    canvas_->update();
}

void GraphView::selectTensor(int tensor) {
    if (!scene_) return;
    canvas_->paintState().selectedNode = -1;
    canvas_->paintState().selectedTensor = tensor;
    properties_->showTensor(*scene_, tensor);
    canvas_->update();
}

void GraphView::selectOp(int op) {
    if (!scene_ || op < 0 || static_cast<size_t>(op) >= scene_->graph.nodeOfOp.size()) return;
    int node = scene_->graph.nodeOfOp[static_cast<size_t>(op)];
    selectNode(node);
    canvas_->reveal(node);
}

int GraphView::selectedNode() const { return canvas_->paintState().selectedNode; }
int GraphView::selectedTensor() const { return canvas_->paintState().selectedTensor; }

void GraphView::setColouring(GraphColouring colouring) {
    colouring_->setCurrentIndex(static_cast<int>(colouring));
    canvas_->paintState().colouring = colouring;
    if (colouring == GraphColouring::Accelerator && overlay().opAccelerator.empty()) computeAccelerators();
    canvas_->refresh();
}

void GraphView::setOpLatencies(int model, int subgraph, std::vector<double> milliseconds) {
    overlays_[{model, subgraph}].opLatencyMs = std::move(milliseconds);
    canvas_->refresh();
}

void GraphView::setOpAccelerators(int model, int subgraph, std::vector<QString> accelerators) {
    overlays_[{model, subgraph}].opAccelerator = std::move(accelerators);
    canvas_->refresh();
}

// Which accelerator each op would run on: compile the model the way a CPU
// benchmark would and ask. Runs on a worker; the answer arrives later.
void GraphView::computeAccelerators() {
    if (models_.empty()) return;
    int modelIndex = current_.first;
    auto model = models_[static_cast<size_t>(modelIndex)].model;
    auto* watcher = new QFutureWatcher<std::pair<QString, std::vector<std::vector<QString>>>>(this);
    connect(watcher, &QFutureWatcher<void>::finished, this, [this, watcher, modelIndex] {
        auto [error, perSubgraph] = watcher->result();
        watcher->deleteLater();
        if (!error.isEmpty()) {
            where_->setText("Accelerator assignment unavailable: " + error);
            return;
        }
        for (size_t s = 0; s < perSubgraph.size(); ++s)
            overlays_[{modelIndex, static_cast<int>(s)}].opAccelerator = perSubgraph[s];
        canvas_->refresh();
    });
    watcher->setFuture(QtConcurrent::run([model] {
        std::pair<QString, std::vector<std::vector<QString>>> answer;
        CompileOptions options;
        options.accelerators = {"cpu", "reference"};
        auto compiled = CompiledModel::create(cpu::createStandardEnvironment(), model, options);
        if (!compiled) {
            answer.first = QString::fromStdString(compiled.errorMessage());
            return answer;
        }
        for (size_t s = 0; s < model->subgraphs.size(); ++s) {
            std::vector<QString> names;
            for (size_t op = 0; op < model->subgraphs[s].ops.size(); ++op) {
                std::string_view name = (*compiled)->acceleratorOf(static_cast<int>(s), static_cast<int>(op));
                names.push_back(QString::fromUtf8(name.data(), static_cast<qsizetype>(name.size())));
            }
            answer.second.push_back(std::move(names));
        }
        return answer;
    }));
}

// Exports are black on white whatever the theme, with the view's colouring
// and selection.
GraphPaintState GraphView::exportPaintState() const {
    GraphPaintState state = canvas_->paintState();
    state.palette = QPalette(Qt::white);
    state.palette.setColor(QPalette::Text, Qt::black);
    state.palette.setColor(QPalette::Base, Qt::white);
    return state;
}

bool GraphView::exportSvg(const QString& path, QString* error) {
    if (!scene_) {
        if (error) *error = "no graph to export";
        return false;
    }
    QRectF bounds = scene_->bounds.adjusted(-20, -20, 20, 20);
    // Written beside the target and renamed, so a full disk never leaves half a file.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error) *error = "cannot write " + path + ": " + file.errorString();
        return false;
    }
    QSvgGenerator generator;
    generator.setOutputDevice(&file);
    generator.setSize(bounds.size().toSize());
    generator.setViewBox(QRectF(QPointF(0, 0), bounds.size()));
    generator.setTitle(QFileInfo(path).completeBaseName());
    generator.setDescription("Graph exported by LiteStudio");
    QPainter painter;
    if (!painter.begin(&generator)) {
        if (error) *error = "cannot write " + path;
        return false;
    }
    painter.fillRect(QRectF(QPointF(0, 0), bounds.size()), Qt::white);
    painter.setFont(canvas_->font());
    painter.translate(-bounds.topLeft());
    GraphPaintState state = exportPaintState();
    paintGraph(painter, *scene_, bounds, 1.0, state);
    if (!painter.end() || !file.commit()) {
        if (error) *error = "cannot write " + path + ": " + file.errorString();
        return false;
    }
    return true;
}

bool GraphView::exportPng(const QString& path, QString* error) {
    if (!scene_) {
        if (error) *error = "no graph to export";
        return false;
    }
    QRectF bounds = scene_->bounds.adjusted(-20, -20, 20, 20);
    // Big graphs shrink to at most 16k pixels a side and 100 megapixels.
    double scale = std::min({2.0, 16384.0 / bounds.width(), 16384.0 / bounds.height(),
                             std::sqrt(100e6 / (bounds.width() * bounds.height()))});
    QImage image((bounds.size() * scale).toSize().expandedTo(QSize(1, 1)), QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setFont(canvas_->font());
    painter.scale(scale, scale);
    painter.translate(-bounds.topLeft());
    GraphPaintState state = exportPaintState();
    paintGraph(painter, *scene_, bounds, scale, state);
    painter.end();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG") || !file.commit()) {
        if (error) *error = "cannot write " + path + ": " + file.errorString();
        return false;
    }
    return true;
}

void GraphView::chooseExport() {
    if (!scene_) return;
    QString path = QFileDialog::getSaveFileName(this, "Export graph", "graph.svg", "SVG (*.svg);;PNG (*.png)");
    if (path.isEmpty()) return;
    QString error;
    bool ok = path.endsWith(".png", Qt::CaseInsensitive) ? exportPng(path, &error) : exportSvg(path, &error);
    if (!ok) QMessageBox::warning(this, "Export graph", error);
}

}  // namespace litestudio::ui

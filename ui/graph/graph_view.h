#pragma once
// The Graph view: a laid-out drawing of one subgraph at a time, with a way
// into WHILE/IF/CALL_ONCE bodies and back, namespaces that fold, search,
// colouring modes, a properties panel, a minimap and SVG/PNG export.
// Layout runs on a worker thread and can be cancelled.

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "ui/graph/graph_painter.h"
#include "ui/graph/graph_scene.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QToolButton;

namespace litestudio::ui {

class GraphCanvas;
class PropertiesPanel;

class GraphView : public QWidget {
    Q_OBJECT
public:
    struct NamedModel {
        QString name;
        std::shared_ptr<const Model> model;
    };

    explicit GraphView(QWidget* parent = nullptr);
    ~GraphView() override;

    void setModels(std::vector<NamedModel> models);
    bool isReady() const { return scene_ != nullptr && !watcher_.isRunning(); }
    const GraphScene* scene() const { return scene_.get(); }
    QString statusText() const;

    // Navigation
    void showSubgraph(int model, int subgraph);
    bool canGoBack() const { return !history_.empty(); }
    void goBack();
    int currentModel() const { return current_.first; }
    int currentSubgraph() const { return current_.second; }

    // Folding
    void expandGroup(const std::string& group);
    void expandAll();
    void foldAll();
    void foldGroupOf(int node);  // folds the innermost open namespace around an op
    void activateNode(int node); // what a double-click does

    // Search and selection
    void setSearchText(const QString& text);
    int matchCount() const { return static_cast<int>(matchOrder_.size()); }
    void findNext();
    void findPrevious();
    void selectNode(int node);
    void selectTensor(int tensor);
    void selectOp(int op);
    int selectedNode() const;
    int selectedTensor() const;

    // Colouring and overlays
    void setColouring(GraphColouring colouring);
    // Per-op times from a benchmark of model `model`, subgraph `subgraph`.
    void setOpLatencies(int model, int subgraph, std::vector<double> milliseconds);
    void setOpAccelerators(int model, int subgraph, std::vector<QString> accelerators);

    bool exportSvg(const QString& path, QString* error = nullptr);
    bool exportPng(const QString& path, QString* error = nullptr);

    GraphCanvas* canvas() const { return canvas_; }
    PropertiesPanel* properties() const { return properties_; }

signals:
    void sceneReady();

private:
    void relayout();
    void sceneBuilt();
    void updateMatches();
    void updateToolbar();
    void chooseExport();
    void computeAccelerators();
    GraphPaintState exportPaintState() const;
    GraphOverlay& overlay() { return overlays_[current_]; }

    std::vector<NamedModel> models_;
    std::pair<int, int> current_{0, 0};
    std::vector<std::pair<int, int>> history_;
    std::map<std::pair<int, int>, std::set<std::string>> expanded_;
    std::map<std::pair<int, int>, GraphOverlay> overlays_;
    NamespaceIndex namespaces_;
    std::shared_ptr<const GraphScene> scene_;
    int revealOp_ = -1;  // after a relayout, show this op's node

    QFutureWatcher<Expected<std::shared_ptr<const GraphScene>>> watcher_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    bool relayoutPending_ = false;

    std::vector<bool> matches_;
    std::vector<int> matchOrder_;
    int matchCursor_ = -1;

    QPushButton* back_ = nullptr;
    QLabel* where_ = nullptr;
    QComboBox* subgraphs_ = nullptr;
    QLineEdit* search_ = nullptr;
    QLabel* matchLabel_ = nullptr;
    QComboBox* colouring_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    GraphCanvas* canvas_ = nullptr;
    PropertiesPanel* properties_ = nullptr;
};

}  // namespace litestudio::ui

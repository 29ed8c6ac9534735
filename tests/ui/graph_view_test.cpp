// The graph view, driven offscreen: search and select, the properties
// panel, folding namespaces, entering WHILE bodies, colouring, export and
// cancelling a layout.

#include <QImage>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "core/format/model_file.h"
#include "tests/support/transformer_model.h"
#include "ui/graph/graph_canvas.h"
#include "ui/graph/graph_view.h"
#include "ui/graph/properties_panel.h"

using namespace litestudio;
using litestudio::ui::GraphView;

class GraphViewTest : public QObject {
    Q_OBJECT
private:
    static std::shared_ptr<const Model> shared(const char* relative) {
        auto file = openModelFile(std::string(LITESTUDIO_SHARED_DIR) + "/models/" + relative);
        if (!file) qFatal("cannot open %s: %s", relative, file.errorMessage().c_str());
        return file->model;
    }
    static std::shared_ptr<const Model> transformer(int layers) {
        auto bytes = std::make_shared<std::vector<uint8_t>>(litestudio::testing::makeTransformerLikeModel(layers));
        auto file = openModelBytes("transformer", bytes, *bytes);
        if (!file) qFatal("transformer: %s", file.errorMessage().c_str());
        return file->model;
    }
    // Shows `view`, gives it models and waits for the first layout.
    static bool open(GraphView& view, std::shared_ptr<const Model> model) {
        view.resize(1200, 800);
        view.show();
        QSignalSpy ready(&view, &GraphView::sceneReady);
        view.setModels({{"model", std::move(model)}});
        return ready.count() > 0 || ready.wait(20000);
    }
    static bool relaidOut(GraphView& view, const std::function<void()>& action) {
        QSignalSpy ready(&view, &GraphView::sceneReady);
        action();
        return ready.count() > 0 || ready.wait(20000);
    }
    static int nodeTitled(const GraphView& view, const QString& title) {
        const auto* scene = view.scene();
        for (size_t i = 0; i < scene->nodes.size(); ++i)
            if (scene->nodes[i].title == title) return static_cast<int>(i);
        return -1;
    }

private slots:
    void searchesSelectsAndShowsProperties() {
        GraphView view;
        QVERIFY(open(view, shared("mediapipe/pose_detection.tflite")));
        view.setSearchText("DEPTHWISE_CONV_2D");
        qInfo() << "DEPTHWISE_CONV_2D matches:" << view.matchCount();
        QCOMPARE(view.matchCount(), 28);
        int first = view.selectedNode();
        QVERIFY(first >= 0);
        QString text = view.properties()->plainText();
        QVERIFY2(text.contains("DEPTHWISE_CONV_2D"), qPrintable(text));
        QVERIFY(text.contains("padding"));
        QVERIFY(text.contains("depth_multiplier"));
        // Matches go top to bottom; previous from the first wraps to the last.
        view.findNext();
        int second = view.selectedNode();
        QVERIFY(view.scene()->nodes[second].rect.top() >= view.scene()->nodes[first].rect.top());
        view.findPrevious();
        view.findPrevious();
        QVERIFY(view.scene()->nodes[view.selectedNode()].rect.top() >= view.scene()->nodes[second].rect.top());

        // Search by tensor name finds the op that writes it.
        view.setSearchText("Identity_1");
        QVERIFY(view.matchCount() >= 1);

        // A click on a node selects it.
        int add = nodeTitled(view, "ADD");
        QVERIFY(add >= 0);
        view.canvas()->reveal(add);
        QPoint at = view.canvas()->toWidget(view.scene()->nodes[add].rect.center()).toPoint();
        QTest::mouseClick(view.canvas(), Qt::LeftButton, Qt::NoModifier, at);
        QCOMPARE(view.selectedNode(), add);
        QVERIFY(view.properties()->plainText().contains("ADD"));
    }

    void weightsShowStatisticsAndAHistogram() {
        GraphView view;
        QVERIFY(open(view, shared("coral/mobilenet_v2_1.0_224_quant.tflite")));
        const Subgraph& subgraph = view.scene()->model->subgraphs[0];
        int conv = nodeTitled(view, "CONV_2D");
        QVERIFY(conv >= 0);
        int weights = subgraph.ops[view.scene()->graph.nodes[conv].op].inputs[1];
        view.selectTensor(weights);
        QString text = view.properties()->plainText();
        qInfo().noquote() << "weight properties:" << text.left(400);
        QVERIFY(text.contains("uint8"));
        QVERIFY(text.contains("Values (dequantized)"));
        QVERIFY(text.contains("mean"));
        QVERIFY(text.contains("std"));
        QVERIFY(view.properties()->histogramShown());
        // Activations have no values to show.
        view.selectTensor(subgraph.inputs[0]);
        QVERIFY(!view.properties()->histogramShown());
        QVERIFY(view.properties()->plainText().contains("activation"));
    }

    void namespacesFoldAndUnfold() {
        GraphView view;
        QVERIFY(open(view, transformer(3)));  // 140 ops: starts open
        size_t open = view.scene()->nodes.size();
        view.setSearchText("q_rope/mul_cos");
        QVERIFY(view.matchCount() >= 1);
        int node = view.selectedNode();
        QVERIFY(relaidOut(view, [&] { view.foldGroupOf(node); }));
        size_t folded = view.scene()->nodes.size();
        qInfo() << "nodes open:" << open << "with one q_rope folded:" << folded;
        QCOMPARE(folded, open - 5 + 1);
        int group = -1;
        for (size_t i = 0; i < view.scene()->graph.nodes.size(); ++i)
            if (view.scene()->graph.nodes[i].kind == DisplayNode::Kind::Group) group = static_cast<int>(i);
        QVERIFY(group >= 0);
        QCOMPARE(view.scene()->graph.nodes[group].detail, std::string("5 ops"));
        // Double-click opens it again.
        view.canvas()->reveal(group);
        QPoint at = view.canvas()->toWidget(view.scene()->nodes[group].rect.center()).toPoint();
        QVERIFY(relaidOut(view, [&] { QTest::mouseDClick(view.canvas(), Qt::LeftButton, Qt::NoModifier, at); }));
        QCOMPARE(view.scene()->nodes.size(), open);
    }

    void largeGraphsStartFoldedAndOpenOnDemand() {
        GraphView view;
        QVERIFY(open(view, transformer(228)));  // 10,040 ops
        qInfo() << "10k-op transformer folded:" << view.scene()->nodes.size() << "nodes";
        QVERIFY(view.scene()->nodes.size() < 240);
        view.setSearchText("layer_7");
        QVERIFY(view.matchCount() >= 1);
        int layer = view.selectedNode();
        QCOMPARE(view.scene()->graph.nodes[layer].group, std::string("layer_7"));
        QVERIFY(relaidOut(view, [&] { view.activateNode(layer); }));
        qInfo() << "with layer_7 open:" << view.scene()->nodes.size() << "nodes";
        // layer_7 opens into its six parts: two norms, attention, mlp, two residual ADDs.
        QCOMPARE(view.scene()->nodes.size(), size_t(235 - 1 + 6));
    }

    void entersAndLeavesWhileBodies() {
        GraphView view;
        QVERIFY(open(view, shared("litert-testdata/testdata_nested_while.bin")));
        QCOMPARE(view.currentSubgraph(), 0);
        QVERIFY(!view.canGoBack());
        QVERIFY(relaidOut(view, [&] { view.activateNode(nodeTitled(view, "WHILE")); }));
        QCOMPARE(view.currentSubgraph(), 2);  // while_body
        QVERIFY(relaidOut(view, [&] { view.activateNode(nodeTitled(view, "WHILE")); }));
        QCOMPARE(view.currentSubgraph(), 4);  // while2_body
        QVERIFY(relaidOut(view, [&] { view.goBack(); }));
        QCOMPARE(view.currentSubgraph(), 2);
        QVERIFY(relaidOut(view, [&] { view.goBack(); }));
        QCOMPARE(view.currentSubgraph(), 0);
        QVERIFY(!view.canGoBack());
    }

    void coloursByLatencyAndAccelerator() {
        GraphView view;
        QVERIFY(open(view, shared("mediapipe/palm_detection_lite.tflite")));
        const Subgraph& subgraph = view.scene()->model->subgraphs[0];
        std::vector<double> latencies(subgraph.ops.size(), 0.01);
        int add = view.scene()->graph.nodes[nodeTitled(view, "ADD")].op;
        latencies[static_cast<size_t>(add)] = 1.0;
        view.setOpLatencies(0, 0, latencies);
        view.setColouring(ui::GraphColouring::Latency);
        auto& state = view.canvas()->paintState();
        QColor hot = ui::nodeColour(*view.scene(), view.scene()->graph.nodeOfOp[add], state);
        QColor cold = ui::nodeColour(*view.scene(), nodeTitled(view, "CONV_2D"), state);
        qInfo() << "slowest op" << hot.name() << "others" << cold.name();
        QVERIFY(hot.red() > 200 && hot.green() < 80);
        QVERIFY(cold.green() > 200);
        view.selectOp(add);
        QVERIFY(view.properties()->plainText().contains("1.000 ms"));

        view.setColouring(ui::GraphColouring::Accelerator);
        QTRY_VERIFY2_WITH_TIMEOUT(!state.overlay->opAccelerator.empty(), qPrintable(view.statusText()), 20000);
        auto legend = ui::legendFor(*view.scene(), state);
        QStringList labels;
        for (const auto& entry : legend) labels << entry.label;
        qInfo() << "accelerator legend:" << labels;
        QVERIFY(labels.join(" ").contains("cpu"));
    }

    void exportsSvgAndPng() {
        GraphView view;
        QVERIFY(open(view, shared("mediapipe/face_detection_short_range.tflite")));
        QTemporaryDir dir;
        QString svg = dir.filePath("graph.svg"), png = dir.filePath("graph.png"), error;
        QVERIFY2(view.exportSvg(svg, &error), qPrintable(error));
        QFile file(svg);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QByteArray content = file.readAll();
        qInfo() << "SVG bytes:" << content.size();
        QVERIFY(content.contains("<svg"));
        QVERIFY(content.contains("CONV_2D"));
        QVERIFY2(view.exportPng(png, &error), qPrintable(error));
        QImage image(png);
        qInfo() << "PNG size:" << image.size();
        QVERIFY(!image.isNull());
        QVERIFY(image.height() > image.width());  // a deep network is tall
        QVERIFY(!view.exportPng(dir.filePath("no/such/dir/graph.png"), &error));
        QVERIFY(error.contains("cannot write"));
    }

    void layoutCanBeCancelled() {
        GraphView view;
        view.resize(1000, 700);
        view.show();
        QSignalSpy ready(&view, &GraphView::sceneReady);
        auto model = transformer(228);
        // All 10k ops open: every group in the expanded set.
        view.setModels({{"model", model}});
        QVERIFY(ready.wait(20000));
        // Now open everything and cancel straight away.
        QSignalSpy again(&view, &GraphView::sceneReady);
        view.expandAll();
        QPushButton* cancel = nullptr;
        for (QPushButton* button : view.findChildren<QPushButton*>())
            if (button->text() == "Cancel") cancel = button;
        QVERIFY(cancel && cancel->isVisible());
        cancel->click();
        QVERIFY(again.wait(20000));
        qInfo() << "after cancel:" << view.statusText();
        QVERIFY(view.statusText().contains("cancelled"));
        QVERIFY(view.scene() != nullptr);  // the last finished drawing stays
    }
};

QTEST_MAIN(GraphViewTest)
#include "graph_view_test.moc"

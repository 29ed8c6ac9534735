// How long the graph view takes to lay out an LLM-sized graph: a synthetic
// decoder-only transformer of 228 layers (10,040 ops) with every namespace
// open, the worst case. The target is < 1 s; "layout" is the core layered
// layout, "scene" adds what the view builds on top (text measured in the
// real fonts, curved edge paths, the spatial index).
//   QT_QPA_PLATFORM=offscreen graph_layout_benchmark

#include <benchmark/benchmark.h>

#include <QGuiApplication>
#include <QImage>
#include <QPainter>

#include "core/format/model_file.h"
#include "core/graph/display_graph.h"
#include "core/graph/layered_layout.h"
#include "tests/support/transformer_model.h"
#include "ui/graph/graph_painter.h"
#include "ui/graph/graph_scene.h"

namespace {

using namespace litestudio;

std::shared_ptr<const Model> transformer() {
    static std::shared_ptr<const Model> model = [] {
        auto bytes = std::make_shared<std::vector<uint8_t>>(testing::makeTransformerLikeModel(228));
        auto file = openModelBytes("transformer", bytes, *bytes);
        return file ? file->model : nullptr;
    }();
    return model;
}

std::set<std::string> everythingOpen(const NamespaceIndex& namespaces) {
    auto groups = namespaces.foldableGroups();
    return {groups.begin(), groups.end()};
}

void BM_LayoutTransformer10kOps(benchmark::State& state) {
    auto model = transformer();
    NamespaceIndex namespaces(model->subgraphs[0]);
    auto open = everythingOpen(namespaces);
    size_t nodes = 0;
    for (auto _ : state) {
        DisplayGraph graph = buildDisplayGraph(*model, 0, namespaces, open);
        LayoutInput input;
        input.nodes.assign(graph.nodes.size(), {140, 40});
        for (const DisplayEdge& edge : graph.edges) input.edges.push_back({edge.source, edge.targets});
        auto layout = layoutLayered(input);
        if (!layout) state.SkipWithError(layout.errorMessage().c_str());
        nodes = graph.nodes.size();
        benchmark::DoNotOptimize(layout);
    }
    state.SetLabel(std::to_string(model->subgraphs[0].ops.size()) + " ops, " + std::to_string(nodes) + " nodes");
}
BENCHMARK(BM_LayoutTransformer10kOps)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_GraphSceneTransformer10kOps(benchmark::State& state) {
    auto model = transformer();
    NamespaceIndex namespaces(model->subgraphs[0]);
    auto open = everythingOpen(namespaces);
    ui::SceneMetrics metrics = ui::sceneMetricsFor(QGuiApplication::font());
    for (auto _ : state) {
        auto scene = ui::buildGraphScene(model, 0, namespaces, open, metrics, {});
        if (!scene) state.SkipWithError(scene.errorMessage().c_str());
        benchmark::DoNotOptimize(scene);
    }
}
BENCHMARK(BM_GraphSceneTransformer10kOps)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_GraphSceneTransformerFolded(benchmark::State& state) {
    auto model = transformer();
    NamespaceIndex namespaces(model->subgraphs[0]);
    ui::SceneMetrics metrics = ui::sceneMetricsFor(QGuiApplication::font());
    for (auto _ : state) {
        auto scene = ui::buildGraphScene(model, 0, namespaces, {}, metrics, {});
        benchmark::DoNotOptimize(scene);
    }
}
BENCHMARK(BM_GraphSceneTransformerFolded)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

// One frame of panning: a 1280x800 viewport in the middle of the open
// 10k-op graph, at reading zoom (0.85) and zoomed out until the whole
// graph's height fits in a few screens (0.02) and all of it (0.002).
void BM_PaintViewport(benchmark::State& state) {
    static std::shared_ptr<const ui::GraphScene> scene = [] {
        auto model = transformer();
        NamespaceIndex namespaces(model->subgraphs[0]);
        return *ui::buildGraphScene(model, 0, namespaces, everythingOpen(namespaces),
                                    ui::sceneMetricsFor(QGuiApplication::font()), {});
    }();
    double scale = static_cast<double>(state.range(0)) / 1000.0;
    QImage frame(1280, 800, QImage::Format_ARGB32_Premultiplied);
    QRectF visible(scene->bounds.center() - QPointF(640 / scale, 400 / scale), QSizeF(1280 / scale, 800 / scale));
    ui::GraphPaintState paintState;
    for (auto _ : state) {
        frame.fill(Qt::white);
        QPainter painter(&frame);
        painter.scale(scale, scale);
        painter.translate(-visible.topLeft());
        ui::paintGraph(painter, *scene, visible, scale, paintState);
    }
    state.SetLabel("scale " + std::to_string(scale));
}
BENCHMARK(BM_PaintViewport)->Arg(850)->Arg(20)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    QGuiApplication app(argc, argv);  // fonts for measuring node text
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

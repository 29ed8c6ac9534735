// What the graph view draws: ops, inputs and outputs as nodes, tensors as
// edges, constants folded away, namespaces folded into groups.

#include "core/graph/display_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "core/format/model_file.h"
#include "core/graph/layered_layout.h"
#include "tests/support/transformer_model.h"

using namespace litestudio;

namespace {

std::shared_ptr<Model> transformer(int layers) {
    auto bytes = std::make_shared<std::vector<uint8_t>>(litestudio::testing::makeTransformerLikeModel(layers));
    auto file = openModelBytes("transformer", bytes, *bytes);
    EXPECT_TRUE(file) << file.errorMessage();
    return file ? file->model : nullptr;
}

const DisplayNode* findGroup(const DisplayGraph& graph, const std::string& path) {
    for (const DisplayNode& node : graph.nodes)
        if (node.kind == DisplayNode::Kind::Group && node.group == path) return &node;
    return nullptr;
}

}  // namespace

TEST(DisplayGraph, EveryOpIsANodeWhenEverythingIsExpanded) {
    auto model = transformer(2);
    ASSERT_TRUE(model);
    const Subgraph& subgraph = model->subgraphs[0];
    NamespaceIndex namespaces(subgraph);
    auto groups = namespaces.foldableGroups();
    DisplayGraph graph = buildDisplayGraph(*model, 0, namespaces, {groups.begin(), groups.end()});
    // 3 inputs + every op + 1 output; no constant is a node.
    EXPECT_EQ(graph.nodes.size(), 3 + subgraph.ops.size() + 1);
    std::printf("2-layer transformer: %zu ops, %zu nodes, %zu edges, %zu foldable groups\n", subgraph.ops.size(),
                graph.nodes.size(), graph.edges.size(), groups.size());
    // The mask is one edge from the input to both layers' ADD.
    const DisplayNode& mask = graph.nodes[1];
    EXPECT_EQ(mask.kind, DisplayNode::Kind::Input);
    EXPECT_EQ(mask.detail, "serving_default_mask:0");
    auto maskEdge = std::find_if(graph.edges.begin(), graph.edges.end(), [](const DisplayEdge& e) { return e.source == 1; });
    ASSERT_NE(maskEdge, graph.edges.end());
    EXPECT_EQ(maskEdge->targets.size(), 2u);
    for (int target : maskEdge->targets) EXPECT_EQ(graph.nodes[static_cast<size_t>(target)].title, "ADD");
}

TEST(DisplayGraph, NamespacesFoldIntoGroupsAndExpandOneLevelAtATime) {
    auto model = transformer(3);
    ASSERT_TRUE(model);
    NamespaceIndex namespaces(model->subgraphs[0]);
    // "transformer/" is on every op, so it is not a group.
    EXPECT_EQ(namespaces.opCount("transformer"), 0);
    EXPECT_EQ(namespaces.opCount("layer_1"), 44);
    EXPECT_EQ(namespaces.opCount("layer_1/attention"), 25);

    DisplayGraph folded = buildDisplayGraph(*model, 0, namespaces, {});
    // inputs 3, embedder op, 3 layers, final_norm group, decode op, output.
    EXPECT_EQ(folded.nodes.size(), 10u);
    const DisplayNode* layer1 = findGroup(folded, "layer_1");
    ASSERT_TRUE(layer1);
    EXPECT_EQ(layer1->ops.size(), 44u);
    EXPECT_EQ(layer1->detail, "44 ops");
    // Edges between groups only: layer_0 -> layer_1 carries the residual.
    int layer0 = static_cast<int>(findGroup(folded, "layer_0") - folded.nodes.data());
    int layer1Index = static_cast<int>(layer1 - folded.nodes.data());
    bool joined = false;
    for (const DisplayEdge& edge : folded.edges) {
        EXPECT_EQ(std::count(edge.targets.begin(), edge.targets.end(), edge.source), 0);
        if (edge.source == layer0 && std::count(edge.targets.begin(), edge.targets.end(), layer1Index)) joined = true;
    }
    EXPECT_TRUE(joined);

    DisplayGraph opened = buildDisplayGraph(*model, 0, namespaces, {"layer_1"});
    EXPECT_FALSE(findGroup(opened, "layer_1"));
    ASSERT_TRUE(findGroup(opened, "layer_1/attention"));
    ASSERT_TRUE(findGroup(opened, "layer_1/mlp"));
    EXPECT_EQ(findGroup(opened, "layer_1/attention")->ops.size(), 25u);
    std::printf("folded: %zu nodes; layer_1 opened: %zu nodes\n", folded.nodes.size(), opened.nodes.size());
}

TEST(DisplayGraph, TenThousandOpTransformerLaysOut) {
    auto model = transformer(228);
    ASSERT_TRUE(model);
    const Subgraph& subgraph = model->subgraphs[0];
    ASSERT_GE(subgraph.ops.size(), 10000u);
    NamespaceIndex namespaces(subgraph);
    auto groups = namespaces.foldableGroups();
    DisplayGraph graph = buildDisplayGraph(*model, 0, namespaces, {groups.begin(), groups.end()});
    LayoutInput input;
    for (size_t i = 0; i < graph.nodes.size(); ++i) input.nodes.push_back({120, 36});
    for (const DisplayEdge& edge : graph.edges) input.edges.push_back({edge.source, edge.targets});
    auto layout = layoutLayered(input);
    ASSERT_TRUE(layout) << layout.errorMessage();
    std::printf("%zu ops: %d layers, %d dummies, %ld crossings (%ld before the sweeps), %.0f x %.0f\n",
                subgraph.ops.size(), layout->layerCount, layout->dummyCount, layout->crossings,
                layout->initialCrossings, layout->width, layout->height);
    EXPECT_LE(layout->crossings, layout->initialCrossings);
    for (const LayoutRoute& route : layout->routes) {
        if (!route.reversed) {
            EXPECT_LT(route.points.front().y, route.points.back().y);
        }
    }
}

TEST(DisplayGraph, OpsThatOnlyReadConstantsFoldIntoTheirReader) {
    // pose_detection decompresses its weights with DENSIFY and DEQUANTIZE
    // ops; they are weights, not computation.
    auto file = openModelFile(LITESTUDIO_SHARED_DIR "/models/mediapipe/pose_detection.tflite");
    ASSERT_TRUE(file) << file.errorMessage();
    const Model& model = *file->model;
    const Subgraph& subgraph = model.subgraphs[0];
    NamespaceIndex namespaces(subgraph);
    auto groups = namespaces.foldableGroups();
    DisplayGraph graph = buildDisplayGraph(model, 0, namespaces, {groups.begin(), groups.end()});
    int dequantize = 0, densify = 0, ops = 0;
    for (const DisplayNode& node : graph.nodes) {
        if (node.kind != DisplayNode::Kind::Op) continue;
        ++ops;
        dequantize += node.title == "DEQUANTIZE";
        densify += node.title == "DENSIFY";
    }
    std::printf("pose_detection: %zu ops in the file, %d drawn\n", subgraph.ops.size(), ops);
    EXPECT_EQ(dequantize, 0);
    EXPECT_EQ(densify, 0);
    EXPECT_EQ(ops, 291 - 144 - 38);
    // Each folded op maps to the convolution that reads its output.
    for (size_t i = 0; i < subgraph.ops.size(); ++i) {
        std::string type = model.opCode(subgraph.ops[i]).displayName();
        if (type != "DEQUANTIZE" && type != "DENSIFY") continue;
        int node = graph.nodeOfOp[i];
        ASSERT_GE(node, 0) << "op " << i;
        std::string reader = graph.nodes[static_cast<size_t>(node)].title;
        EXPECT_TRUE(reader == "CONV_2D" || reader == "DEPTHWISE_CONV_2D") << "op " << i << " folds into " << reader;
    }
}

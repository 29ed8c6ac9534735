// The layered layout: edges point down, nodes of a layer never overlap,
// crossings go away where they can, long edges share dummies, cycles and
// cancellation end cleanly.

#include "core/graph/layered_layout.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace litestudio;

namespace {

LayoutInput nodes(int count) {
    LayoutInput input;
    input.nodes.assign(static_cast<size_t>(count), LayoutInput::Node{80, 30});
    return input;
}

void expectNoOverlaps(const LayoutInput& input, const GraphLayout& layout) {
    for (size_t a = 0; a < input.nodes.size(); ++a)
        for (size_t b = a + 1; b < input.nodes.size(); ++b) {
            if (layout.layers[a] != layout.layers[b]) continue;
            float apart = std::fabs(layout.centers[a].x - layout.centers[b].x);
            float least = (input.nodes[a].width + input.nodes[b].width) / 2 + input.nodeGap;
            EXPECT_GE(apart + 1e-3f, least) << "nodes " << a << " and " << b << " in layer " << layout.layers[a];
        }
}

}  // namespace

TEST(LayeredLayout, EdgesPointDownAndRoutesJoinTheirNodes) {
    // 0 -> 1 -> 2 -> 3 and 0 -> 3: the long edge passes two layers.
    LayoutInput input = nodes(4);
    input.edges = {{0, {1}}, {1, {2}}, {2, {3}}, {0, {3}}};
    auto layout = layoutLayered(input);
    ASSERT_TRUE(layout) << layout.errorMessage();
    EXPECT_EQ(layout->layerCount, 4);
    EXPECT_EQ(layout->dummyCount, 2);
    for (const LayoutRoute& route : layout->routes) {
        int source = input.edges[static_cast<size_t>(route.edge)].source;
        ASSERT_GE(route.points.size(), 2u);
        EXPECT_FLOAT_EQ(route.points.front().x, layout->centers[static_cast<size_t>(source)].x);
        EXPECT_FLOAT_EQ(route.points.front().y, layout->centers[static_cast<size_t>(source)].y + 15);
        EXPECT_FLOAT_EQ(route.points.back().x, layout->centers[static_cast<size_t>(route.target)].x);
        EXPECT_FLOAT_EQ(route.points.back().y, layout->centers[static_cast<size_t>(route.target)].y - 15);
        for (size_t i = 1; i < route.points.size(); ++i) EXPECT_GE(route.points[i].y, route.points[i - 1].y);
    }
    std::printf("4-node chain with a skip edge: %d layers, %d dummies, %zu routes\n", layout->layerCount,
                layout->dummyCount, layout->routes.size());
    expectNoOverlaps(input, *layout);
}

TEST(LayeredLayout, SweepsRemoveAvoidableCrossings) {
    // Given order: a b | c d with a->d and b->c crosses once; c d | e f
    // likewise. Both crossings are avoidable.
    LayoutInput input = nodes(6);
    input.edges = {{0, {3}}, {1, {2}}, {2, {5}}, {3, {4}}};
    auto layout = layoutLayered(input);
    ASSERT_TRUE(layout);
    std::printf("crossings: %ld given, %ld after the sweeps\n", layout->initialCrossings, layout->crossings);
    EXPECT_GT(layout->initialCrossings, 0);
    EXPECT_EQ(layout->crossings, 0);
    expectNoOverlaps(input, *layout);
}

TEST(LayeredLayout, OneTensorReadByManyLayersSharesOneChainOfDummies) {
    // Node 0 feeds nodes 2, 4 and 6 of the chain 1 -> 2 -> ... -> 6.
    LayoutInput input = nodes(7);
    for (int i = 1; i < 6; ++i) input.edges.push_back({i, {i + 1}});
    input.edges.push_back({0, {2, 4, 6}});
    auto layout = layoutLayered(input);
    ASSERT_TRUE(layout);
    // Node 0 moves down to layer 0 next to node 1 (its first consumer is node
    // 2 in layer 1); the chain runs from layer 1 to layer 4: 4 dummies, not
    // 0 + 2 + 4.
    EXPECT_EQ(layout->layers[0], 0);
    EXPECT_EQ(layout->layers[6], 5);
    EXPECT_EQ(layout->dummyCount, 4);
    expectNoOverlaps(input, *layout);
}

TEST(LayeredLayout, SourcesMoveDownToTheirFirstConsumer) {
    // 0 -> 1 -> 2 -> 3, and node 4 only feeds node 3.
    LayoutInput input = nodes(5);
    input.edges = {{0, {1}}, {1, {2}}, {2, {3}}, {4, {3}}};
    auto layout = layoutLayered(input);
    ASSERT_TRUE(layout);
    EXPECT_EQ(layout->layers[4], 2);
    EXPECT_EQ(layout->dummyCount, 0);
}

TEST(LayeredLayout, CyclesAreDrawnWithAReversedEdge) {
    LayoutInput input = nodes(3);
    input.edges = {{0, {1}}, {1, {2}}, {2, {0}}};
    auto layout = layoutLayered(input);
    ASSERT_TRUE(layout) << layout.errorMessage();
    int reversed = 0;
    for (const LayoutRoute& route : layout->routes) reversed += route.reversed;
    EXPECT_EQ(reversed, 1);
}

TEST(LayeredLayout, BadEdgesAndCancellationAreErrors) {
    LayoutInput input = nodes(2);
    input.edges = {{0, {5}}};
    auto bad = layoutLayered(input);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.errorMessage(), "layout: edge 0 ends at node 5 of 2");

    input.edges = {{0, {1}}};
    std::atomic<bool> cancel{true};
    auto cancelled = layoutLayered(input, {&cancel, {}});
    ASSERT_FALSE(cancelled);
    EXPECT_EQ(cancelled.errorMessage(), "layout cancelled");
}

TEST(LayeredLayout, ProgressReachesOne) {
    LayoutInput input = nodes(3);
    input.edges = {{0, {1, 2}}};
    double last = 0;
    int calls = 0;
    auto layout = layoutLayered(input, {nullptr, [&](double fraction) {
                                            EXPECT_GE(fraction, last);
                                            last = fraction;
                                            ++calls;
                                        }});
    ASSERT_TRUE(layout);
    EXPECT_DOUBLE_EQ(last, 1.0);
    EXPECT_GT(calls, 3);
}

#pragma once
// A layered (Sugiyama-style) drawing of a directed graph: nodes go into
// layers so that edges point down, long edges pass through invisible dummy
// nodes, barycenter sweeps reduce crossings, and x coordinates come from an
// isotonic regression per layer (pool-adjacent-violators), which puts each
// node as close as its layer allows to the mean of its neighbours in O(n).
//
// Edges are hyperedges because a tensor has one producer and any number of
// consumers: one chain of dummies runs from the producer down to its
// deepest consumer and the other consumers branch off it, so an input that
// feeds every block of a transformer costs one chain, not one per block.

#include <atomic>
#include <functional>
#include <vector>

#include "core/support/status.h"

namespace litestudio {

struct LayoutPoint {
    float x = 0;
    float y = 0;
};

struct LayoutInput {
    struct Node {
        float width = 100;
        float height = 40;
    };
    struct Edge {
        int source = 0;
        std::vector<int> targets;
    };
    std::vector<Node> nodes;
    std::vector<Edge> edges;
    float layerGap = 48;   // vertical space between layers
    float nodeGap = 24;    // horizontal space between neighbours in a layer
    float laneWidth = 10;  // horizontal room an edge passing through a layer takes
    int orderingSweeps = 6;
    int placementSweeps = 8;
};

struct LayoutRoute {
    int edge = 0;
    int target = 0;                   // node index
    bool reversed = false;            // drawn against the layer order (a cycle)
    std::vector<LayoutPoint> points;  // source bottom centre ... target top centre
};

struct GraphLayout {
    std::vector<LayoutPoint> centers;  // per node
    std::vector<int> layers;           // per node
    std::vector<LayoutRoute> routes;
    int layerCount = 0;
    int dummyCount = 0;
    long initialCrossings = 0;  // with nodes in the order given, before the sweeps
    long crossings = 0;         // in the drawing returned
    float width = 0;
    float height = 0;
};

struct LayoutControl {
    const std::atomic<bool>* cancel = nullptr;
    std::function<void(double fraction)> progress;  // called from the laying-out thread
};

// Fails only when cancelled or when an edge names a node that does not exist.
Expected<GraphLayout> layoutLayered(const LayoutInput& input, const LayoutControl& control = {});

}  // namespace litestudio

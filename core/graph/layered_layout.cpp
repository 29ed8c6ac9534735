#include "core/graph/layered_layout.h"

#include <algorithm>
#include <numeric>
#include <queue>
#include <string>

namespace litestudio {

namespace {

// The graph the phases work on: real nodes first, then dummies, with edges
// only between adjacent layers.
struct ProperGraph {
    std::vector<int> layer;
    std::vector<float> width;
    std::vector<bool> dummy;
    std::vector<std::vector<int>> up;    // neighbours in the layer above
    std::vector<std::vector<int>> down;  // neighbours in the layer below
    std::vector<std::vector<int>> layers;

    int add(int inLayer, float nodeWidth, bool isDummy) {
        layer.push_back(inLayer);
        width.push_back(nodeWidth);
        dummy.push_back(isDummy);
        up.emplace_back();
        down.emplace_back();
        return static_cast<int>(layer.size()) - 1;
    }
    void connect(int from, int to) {
        down[static_cast<size_t>(from)].push_back(to);
        up[static_cast<size_t>(to)].push_back(from);
    }
};

bool cancelled(const LayoutControl& control) {
    return control.cancel && control.cancel->load(std::memory_order_relaxed);
}

// Execution order is usually a topological order already; a min-heap keeps
// it where it is one and breaks cycles at the earliest node where it is not.
std::vector<int> topologicalRank(size_t nodeCount, const std::vector<std::vector<int>>& successors) {
    std::vector<int> indegree(nodeCount, 0);
    for (const auto& targets : successors)
        for (int target : targets) ++indegree[static_cast<size_t>(target)];
    std::priority_queue<int, std::vector<int>, std::greater<>> ready;
    for (size_t node = 0; node < nodeCount; ++node)
        if (indegree[node] == 0) ready.push(static_cast<int>(node));
    std::vector<int> rank(nodeCount, -1);
    int next = 0;
    size_t scan = 0;
    while (next < static_cast<int>(nodeCount)) {
        if (ready.empty()) {  // a cycle: take the earliest node left
            while (rank[scan] >= 0) ++scan;
            ready.push(static_cast<int>(scan));
        }
        int node = ready.top();
        ready.pop();
        if (rank[static_cast<size_t>(node)] >= 0) continue;
        rank[static_cast<size_t>(node)] = next++;
        for (int target : successors[static_cast<size_t>(node)])
            if (--indegree[static_cast<size_t>(target)] == 0 && rank[static_cast<size_t>(target)] < 0)
                ready.push(target);
    }
    return rank;
}

// Crossings between two adjacent layers: edges sorted by their upper end;
// every pair whose lower ends are in the other order crosses. Counted as
// inversions with a Fenwick tree.
long crossingsBelow(const ProperGraph& graph, const std::vector<int>& upper, const std::vector<int>& position,
                    size_t lowerSize) {
    std::vector<int> lowerEnds;
    for (int node : upper) {
        size_t first = lowerEnds.size();
        for (int below : graph.down[static_cast<size_t>(node)]) lowerEnds.push_back(position[static_cast<size_t>(below)]);
        std::sort(lowerEnds.begin() + static_cast<long>(first), lowerEnds.end());
    }
    std::vector<int> tree(lowerSize + 1, 0);
    long crossings = 0;
    long seen = 0;
    for (int end : lowerEnds) {
        long atMost = 0;
        for (int i = end + 1; i > 0; i -= i & -i) atMost += tree[static_cast<size_t>(i)];
        crossings += seen - atMost;
        for (size_t i = static_cast<size_t>(end) + 1; i <= lowerSize; i += i & (~i + 1)) ++tree[i];
        ++seen;
    }
    return crossings;
}

long totalCrossings(const ProperGraph& graph, const std::vector<int>& position) {
    long total = 0;
    for (size_t layer = 0; layer + 1 < graph.layers.size(); ++layer)
        total += crossingsBelow(graph, graph.layers[layer], position, graph.layers[layer + 1].size());
    return total;
}

void sortLayerByBarycenter(std::vector<int>& members, std::vector<int>& position,
                           const std::vector<std::vector<int>>& neighbours) {
    std::vector<std::pair<double, int>> keyed;
    keyed.reserve(members.size());
    for (int node : members) {
        const auto& around = neighbours[static_cast<size_t>(node)];
        double key = position[static_cast<size_t>(node)];
        if (!around.empty()) {
            double sum = 0;
            for (int other : around) sum += position[static_cast<size_t>(other)];
            key = sum / static_cast<double>(around.size());
        }
        keyed.emplace_back(key, node);
    }
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < keyed.size(); ++i) {
        members[i] = keyed[i].second;
        position[static_cast<size_t>(keyed[i].second)] = static_cast<int>(i);
    }
}

// Places the members of one layer as close to `desired` as their widths
// allow: with offsets o_i (the least distance from the first node), x_i - o_i
// must not decrease, so the best x is a weighted isotonic regression.
void placeLayer(const ProperGraph& graph, const std::vector<int>& members, const std::vector<double>& desired,
                float nodeGap, std::vector<double>& x) {
    struct Block {
        double weight;
        double sum;
        size_t count;
        double mean() const { return sum / weight; }
    };
    std::vector<double> offset(members.size(), 0.0);
    for (size_t i = 1; i < members.size(); ++i) {
        size_t a = static_cast<size_t>(members[i - 1]), b = static_cast<size_t>(members[i]);
        bool lanes = graph.dummy[a] && graph.dummy[b];
        offset[i] = offset[i - 1] + graph.width[a] / 2 + graph.width[b] / 2 + (lanes ? 0.0f : nodeGap);
    }
    std::vector<Block> blocks;
    blocks.reserve(members.size());
    for (size_t i = 0; i < members.size(); ++i) {
        double weight = graph.dummy[static_cast<size_t>(members[i])] ? 2.0 : 1.0;
        blocks.push_back({weight, weight * (desired[i] - offset[i]), 1});
        while (blocks.size() > 1 && blocks[blocks.size() - 2].mean() > blocks.back().mean()) {
            Block last = blocks.back();
            blocks.pop_back();
            blocks.back().weight += last.weight;
            blocks.back().sum += last.sum;
            blocks.back().count += last.count;
        }
    }
    size_t i = 0;
    for (const Block& block : blocks)
        for (size_t k = 0; k < block.count; ++k, ++i) x[static_cast<size_t>(members[i])] = block.mean() + offset[i];
}

}  // namespace

Expected<GraphLayout> layoutLayered(const LayoutInput& input, const LayoutControl& control) {
    const size_t nodeCount = input.nodes.size();
    auto progress = [&](double fraction) {
        if (control.progress) control.progress(fraction);
    };
    std::vector<std::vector<int>> successors(nodeCount);
    for (size_t e = 0; e < input.edges.size(); ++e) {
        const auto& edge = input.edges[e];
        auto valid = [&](int node) { return node >= 0 && static_cast<size_t>(node) < nodeCount; };
        if (!valid(edge.source))
            return Status::error("layout: edge " + std::to_string(e) + " starts at node " + std::to_string(edge.source) +
                                 " of " + std::to_string(nodeCount));
        for (int target : edge.targets) {
            if (!valid(target))
                return Status::error("layout: edge " + std::to_string(e) + " ends at node " + std::to_string(target) +
                                     " of " + std::to_string(nodeCount));
            if (target != edge.source) successors[static_cast<size_t>(edge.source)].push_back(target);
        }
    }

    // Layers: longest path from the sources along the topological order,
    // then sources move down next to their first consumer, so a graph input
    // read only near the end does not drag a long edge from the top.
    std::vector<int> rank = topologicalRank(nodeCount, successors);
    std::vector<int> byRank(nodeCount);
    for (size_t node = 0; node < nodeCount; ++node) byRank[static_cast<size_t>(rank[node])] = static_cast<int>(node);
    auto forward = [&](int from, int to) { return rank[static_cast<size_t>(from)] < rank[static_cast<size_t>(to)]; };
    std::vector<int> layer(nodeCount, 0);
    std::vector<bool> hasForwardInput(nodeCount, false);
    for (int node : byRank)
        for (int target : successors[static_cast<size_t>(node)])
            if (forward(node, target)) {
                layer[static_cast<size_t>(target)] = std::max(layer[static_cast<size_t>(target)], layer[static_cast<size_t>(node)] + 1);
                hasForwardInput[static_cast<size_t>(target)] = true;
            }
    for (size_t node = 0; node < nodeCount; ++node) {
        if (hasForwardInput[node]) continue;
        int lowest = -1;
        for (int target : successors[node])
            if (forward(static_cast<int>(node), target))
                lowest = lowest < 0 ? layer[static_cast<size_t>(target)] - 1
                                    : std::min(lowest, layer[static_cast<size_t>(target)] - 1);
        if (lowest > layer[node]) layer[node] = lowest;
    }
    progress(0.1);

    // The proper graph: chains of dummies carry each edge across layers.
    ProperGraph graph;
    for (size_t node = 0; node < nodeCount; ++node) graph.add(layer[node], input.nodes[node].width, false);
    struct PendingRoute {
        int edge;
        int target;
        bool reversed;
        size_t chainStart;  // into chains
        size_t chainLength;
    };
    std::vector<int> chains;
    std::vector<PendingRoute> pending;
    for (size_t e = 0; e < input.edges.size(); ++e) {
        if ((e & 1023) == 0 && cancelled(control)) return Status::error("layout cancelled");
        const auto& edge = input.edges[e];
        int source = edge.source;
        int sourceLayer = layer[static_cast<size_t>(source)];
        int deepest = sourceLayer;
        for (int target : edge.targets)
            if (target != source && forward(source, target)) deepest = std::max(deepest, layer[static_cast<size_t>(target)]);
        size_t chainStart = chains.size();
        int previous = source;
        for (int l = sourceLayer + 1; l < deepest; ++l) {
            int dummy = graph.add(l, input.laneWidth, true);
            graph.connect(previous, dummy);
            chains.push_back(dummy);
            previous = dummy;
        }
        for (int target : edge.targets) {
            if (target == source) continue;
            if (!forward(source, target)) {
                pending.push_back({static_cast<int>(e), target, true, chainStart, 0});
                continue;
            }
            size_t length = static_cast<size_t>(layer[static_cast<size_t>(target)] - sourceLayer - 1);
            graph.connect(length == 0 ? source : chains[chainStart + length - 1], target);
            pending.push_back({static_cast<int>(e), target, false, chainStart, length});
        }
    }
    int layerCount = 0;
    for (int l : graph.layer) layerCount = std::max(layerCount, l + 1);
    graph.layers.assign(static_cast<size_t>(layerCount), {});
    for (size_t v = 0; v < graph.layer.size(); ++v) graph.layers[static_cast<size_t>(graph.layer[v])].push_back(static_cast<int>(v));
    progress(0.2);

    // Ordering: barycenter sweeps down and up; the best ordering seen wins.
    std::vector<int> position(graph.layer.size(), 0);
    for (auto& members : graph.layers)
        for (size_t i = 0; i < members.size(); ++i) position[static_cast<size_t>(members[i])] = static_cast<int>(i);
    GraphLayout result;
    result.initialCrossings = totalCrossings(graph, position);
    long best = result.initialCrossings;
    std::vector<std::vector<int>> bestLayers = graph.layers;
    for (int sweep = 0; sweep < input.orderingSweeps && best > 0; ++sweep) {
        if (cancelled(control)) return Status::error("layout cancelled");
        for (size_t l = 1; l < graph.layers.size(); ++l) sortLayerByBarycenter(graph.layers[l], position, graph.up);
        for (size_t l = graph.layers.size(); l-- > 1;) sortLayerByBarycenter(graph.layers[l - 1], position, graph.down);
        long now = totalCrossings(graph, position);
        if (now < best) {
            best = now;
            bestLayers = graph.layers;
        }
        progress(0.2 + 0.5 * (sweep + 1) / input.orderingSweeps);
    }
    graph.layers = std::move(bestLayers);
    result.crossings = best;

    // Coordinates: each layer settles toward its neighbours, alternating
    // directions, then toward both.
    std::vector<double> x(graph.layer.size(), 0.0);
    for (const auto& members : graph.layers) {
        std::vector<double> packed(members.size(), 0.0);
        placeLayer(graph, members, packed, input.nodeGap, x);
    }
    std::vector<double> desired;
    auto settle = [&](const std::vector<int>& members, bool useUp, bool useDown) {
        desired.assign(members.size(), 0.0);
        for (size_t i = 0; i < members.size(); ++i) {
            size_t node = static_cast<size_t>(members[i]);
            double sum = 0;
            size_t count = 0;
            if (useUp)
                for (int other : graph.up[node]) sum += x[static_cast<size_t>(other)], ++count;
            if (useDown)
                for (int other : graph.down[node]) sum += x[static_cast<size_t>(other)], ++count;
            desired[i] = count ? sum / static_cast<double>(count) : x[node];
        }
        placeLayer(graph, members, desired, input.nodeGap, x);
    };
    for (int sweep = 0; sweep < input.placementSweeps; ++sweep) {
        if (cancelled(control)) return Status::error("layout cancelled");
        bool both = sweep >= input.placementSweeps / 2;
        if (sweep % 2 == 0)
            for (size_t l = 1; l < graph.layers.size(); ++l) settle(graph.layers[l], true, both);
        else
            for (size_t l = graph.layers.size(); l-- > 1;) settle(graph.layers[l - 1], both, true);
        progress(0.7 + 0.25 * (sweep + 1) / input.placementSweeps);
    }

    double minX = 0, maxX = 0;
    bool any = false;
    for (size_t v = 0; v < x.size(); ++v) {
        double left = x[v] - graph.width[v] / 2, right = x[v] + graph.width[v] / 2;
        minX = any ? std::min(minX, left) : left;
        maxX = any ? std::max(maxX, right) : right;
        any = true;
    }
    std::vector<float> layerTop(static_cast<size_t>(layerCount), 0.f), layerHeight(static_cast<size_t>(layerCount), 0.f);
    for (size_t node = 0; node < nodeCount; ++node)
        layerHeight[static_cast<size_t>(layer[node])] = std::max(layerHeight[static_cast<size_t>(layer[node])], input.nodes[node].height);
    float y = 0;
    for (int l = 0; l < layerCount; ++l) {
        layerTop[static_cast<size_t>(l)] = y;
        y += layerHeight[static_cast<size_t>(l)] + input.layerGap;
    }
    result.width = static_cast<float>(maxX - minX);
    result.height = layerCount ? y - input.layerGap : 0;
    result.layerCount = layerCount;
    result.dummyCount = static_cast<int>(graph.layer.size() - nodeCount);
    result.layers = layer;
    result.centers.resize(nodeCount);
    for (size_t node = 0; node < nodeCount; ++node) {
        size_t l = static_cast<size_t>(layer[node]);
        result.centers[node] = {static_cast<float>(x[node] - minX), layerTop[l] + layerHeight[l] / 2};
    }
    result.routes.reserve(pending.size());
    for (const PendingRoute& route : pending) {
        LayoutRoute drawn{route.edge, route.target, route.reversed, {}};
        int source = input.edges[static_cast<size_t>(route.edge)].source;
        const LayoutPoint& from = result.centers[static_cast<size_t>(source)];
        const LayoutPoint& to = result.centers[static_cast<size_t>(route.target)];
        drawn.points.push_back({from.x, from.y + input.nodes[static_cast<size_t>(source)].height / 2});
        for (size_t k = 0; k < route.chainLength; ++k) {
            int dummy = chains[route.chainStart + k];
            size_t l = static_cast<size_t>(graph.layer[static_cast<size_t>(dummy)]);
            float dx = static_cast<float>(x[static_cast<size_t>(dummy)] - minX);
            drawn.points.push_back({dx, layerTop[l]});
            drawn.points.push_back({dx, layerTop[l] + layerHeight[l]});
        }
        drawn.points.push_back({to.x, to.y - input.nodes[static_cast<size_t>(route.target)].height / 2});
        result.routes.push_back(std::move(drawn));
    }
    progress(1.0);
    return result;
}

}  // namespace litestudio

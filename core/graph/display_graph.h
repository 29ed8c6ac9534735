#pragma once
// What the graph view draws for one subgraph: ops as nodes, graph inputs
// and outputs as their own nodes, tensors as edges from their producer to
// their consumers, constants (and ops that compute only from constants,
// such as weight DEQUANTIZE) folded into the op that reads them, and ops
// that share a namespace (taken from their tensor names) folded into one
// group node until the group is expanded.

#include <set>
#include <string>
#include <vector>

#include "core/graph/model.h"

namespace litestudio {

// The namespace of each op of a subgraph, with the prefix every op shares
// taken off ("model_1/model/" in a Keras export says nothing).
class NamespaceIndex {
public:
    NamespaceIndex() = default;
    explicit NamespaceIndex(const Subgraph& subgraph);

    // Path components of op `op`'s namespace; empty when it has none.
    const std::vector<std::string>& pathOf(int op) const { return paths_[static_cast<size_t>(op)]; }
    // Ops under a group path ("decoder/layer_0"), counting nested groups.
    int opCount(const std::string& group) const;
    // Every group that holds two ops or more, shallow first.
    std::vector<std::string> foldableGroups() const;

private:
    std::vector<std::vector<std::string>> paths_;
    std::vector<std::pair<std::string, int>> counts_;  // sorted by path
};

struct DisplayNode {
    enum class Kind { Op, Input, Output, Group };
    Kind kind = Kind::Op;
    int op = -1;              // Op
    int tensor = -1;          // Input, Output
    std::string group;        // Group: its namespace path
    std::vector<int> ops;     // Op: itself; Group: its members
    std::string title;        // "CONV_2D", "input", "layer_3"
    std::string detail;       // key attributes, tensor name, or "24 ops"
};

struct DisplayEdge {
    int tensor = 0;
    int source = 0;             // node
    std::vector<int> targets;   // nodes
};

struct DisplayGraph {
    int subgraph = 0;
    std::vector<DisplayNode> nodes;
    std::vector<DisplayEdge> edges;
    std::vector<int> nodeOfOp;  // per op of the subgraph; a folded op maps to its reader's node, or -1
};

// Groups in `expanded` show their members; every other foldable group shows
// as one node. Pass every foldable group to see each op.
DisplayGraph buildDisplayGraph(const Model& model, int subgraph, const NamespaceIndex& namespaces,
                               const std::set<std::string>& expanded);

}  // namespace litestudio

#include "core/graph/display_graph.h"

#include <algorithm>
#include <map>

#include "core/inspect/op_attributes.h"

namespace litestudio {

namespace {

std::vector<std::string> namespacePath(const std::string& tensorName) {
    // Converters join the names of fused ops with ';'; the first is the op's own.
    std::string name = tensorName.substr(0, tensorName.find(';'));
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t slash; (slash = name.find('/', start)) != std::string::npos; start = slash + 1)
        if (slash > start) parts.push_back(name.substr(start, slash - start));
    return parts;  // the last component names the op itself and is left out
}

std::string joinPath(const std::vector<std::string>& parts, size_t count) {
    std::string path;
    for (size_t i = 0; i < count; ++i) path += (i ? "/" : "") + parts[i];
    return path;
}

}  // namespace

NamespaceIndex::NamespaceIndex(const Subgraph& subgraph) {
    paths_.resize(subgraph.ops.size());
    for (size_t i = 0; i < subgraph.ops.size(); ++i) {
        const Op& op = subgraph.ops[i];
        if (op.outputs.empty() || op.outputs[0] < 0 || static_cast<size_t>(op.outputs[0]) >= subgraph.tensors.size())
            continue;
        paths_[i] = namespacePath(subgraph.tensors[static_cast<size_t>(op.outputs[0])].name);
    }
    // The prefix shared by every op with a namespace goes.
    const std::vector<std::string>* first = nullptr;
    size_t common = 0;
    for (const auto& path : paths_) {
        if (path.empty()) continue;
        if (!first) {
            first = &path;
            common = path.size();
            continue;
        }
        size_t same = 0;
        while (same < common && same < path.size() && path[same] == (*first)[same]) ++same;
        common = same;
    }
    if (common > 0) {
        for (auto& path : paths_)
            if (!path.empty()) path.erase(path.begin(), path.begin() + static_cast<long>(std::min(common, path.size())));
    }
    std::map<std::string, int> counts;
    for (const auto& path : paths_)
        for (size_t depth = 1; depth <= path.size(); ++depth) ++counts[joinPath(path, depth)];
    counts_.assign(counts.begin(), counts.end());
}

int NamespaceIndex::opCount(const std::string& group) const {
    auto it = std::lower_bound(counts_.begin(), counts_.end(), group,
                               [](const auto& entry, const std::string& key) { return entry.first < key; });
    return it != counts_.end() && it->first == group ? it->second : 0;
}

std::vector<std::string> NamespaceIndex::foldableGroups() const {
    std::vector<std::string> groups;
    for (const auto& [path, count] : counts_)
        if (count >= 2) groups.push_back(path);
    std::stable_sort(groups.begin(), groups.end(), [](const std::string& a, const std::string& b) {
        return std::count(a.begin(), a.end(), '/') < std::count(b.begin(), b.end(), '/');
    });
    return groups;
}

DisplayGraph buildDisplayGraph(const Model& model, int subgraphIndex, const NamespaceIndex& namespaces,
                               const std::set<std::string>& expanded) {
    const Subgraph& subgraph = model.subgraphs[static_cast<size_t>(subgraphIndex)];
    DisplayGraph graph;
    graph.subgraph = subgraphIndex;
    graph.nodeOfOp.assign(subgraph.ops.size(), -1);
    std::vector<int> nodeOfInput(subgraph.tensors.size(), -1);

    for (int tensor : subgraph.inputs) {
        if (tensor < 0 || static_cast<size_t>(tensor) >= subgraph.tensors.size()) continue;
        if (subgraph.tensors[static_cast<size_t>(tensor)].isConstant()) continue;
        DisplayNode node;
        node.kind = DisplayNode::Kind::Input;
        node.tensor = tensor;
        node.title = "input";
        node.detail = subgraph.tensors[static_cast<size_t>(tensor)].name;
        nodeOfInput[static_cast<size_t>(tensor)] = static_cast<int>(graph.nodes.size());
        graph.nodes.push_back(std::move(node));
    }

    // Ops that compute from constants only (weights dequantized or densified
    // at load time) are part of their weights, not of the computation: they
    // fold into their consumer like any constant.
    std::vector<bool> constantValued(subgraph.tensors.size(), false);
    for (size_t t = 0; t < subgraph.tensors.size(); ++t) constantValued[t] = subgraph.tensors[t].isConstant();
    std::vector<bool> foldedOp(subgraph.ops.size(), false);
    for (size_t i = 0; i < subgraph.ops.size(); ++i) {
        const Op& op = subgraph.ops[i];
        bool fromConstants = !op.inputs.empty() && op.calledSubgraphs.empty();
        bool anyInput = false;
        for (int tensor : op.inputs) {
            if (tensor < 0) continue;
            anyInput = true;
            if (static_cast<size_t>(tensor) >= subgraph.tensors.size() || !constantValued[static_cast<size_t>(tensor)])
                fromConstants = false;
        }
        bool writesOutput = false;
        for (int tensor : op.outputs)
            for (int output : subgraph.outputs) writesOutput = writesOutput || tensor == output;
        if (!fromConstants || !anyInput || writesOutput) continue;
        foldedOp[i] = true;
        for (int tensor : op.outputs)
            if (tensor >= 0 && static_cast<size_t>(tensor) < subgraph.tensors.size()) constantValued[static_cast<size_t>(tensor)] = true;
    }

    std::map<std::string, int> groupNodes;
    for (size_t i = 0; i < subgraph.ops.size(); ++i) {
        if (foldedOp[i]) continue;
        const auto& path = namespaces.pathOf(static_cast<int>(i));
        std::string group;
        for (size_t depth = 1; depth <= path.size(); ++depth) {
            std::string prefix = joinPath(path, depth);
            if (namespaces.opCount(prefix) >= 2 && !expanded.count(prefix)) {
                group = prefix;
                break;
            }
        }
        if (!group.empty()) {
            auto [it, added] = groupNodes.emplace(group, static_cast<int>(graph.nodes.size()));
            if (added) {
                DisplayNode node;
                node.kind = DisplayNode::Kind::Group;
                node.group = group;
                node.title = group.substr(group.rfind('/') + 1);
                graph.nodes.push_back(std::move(node));
            }
            graph.nodes[static_cast<size_t>(it->second)].ops.push_back(static_cast<int>(i));
            graph.nodeOfOp[i] = it->second;
            continue;
        }
        const Op& op = subgraph.ops[i];
        DisplayNode node;
        node.kind = DisplayNode::Kind::Op;
        node.op = static_cast<int>(i);
        node.ops = {static_cast<int>(i)};
        node.title = model.opCode(op).displayName();
        node.detail = opKeyAttributes(model, subgraph, op);
        graph.nodeOfOp[i] = static_cast<int>(graph.nodes.size());
        graph.nodes.push_back(std::move(node));
    }

    for (DisplayNode& node : graph.nodes)
        if (node.kind == DisplayNode::Kind::Group) node.detail = std::to_string(node.ops.size()) + " ops";

    std::vector<int> outputNode(subgraph.tensors.size(), -1);
    for (int tensor : subgraph.outputs) {
        if (tensor < 0 || static_cast<size_t>(tensor) >= subgraph.tensors.size()) continue;
        DisplayNode node;
        node.kind = DisplayNode::Kind::Output;
        node.tensor = tensor;
        node.title = "output";
        node.detail = subgraph.tensors[static_cast<size_t>(tensor)].name;
        outputNode[static_cast<size_t>(tensor)] = static_cast<int>(graph.nodes.size());
        graph.nodes.push_back(std::move(node));
    }

    // One edge per tensor that is not constant, from whoever writes it.
    std::vector<int> producer(nodeOfInput);
    std::vector<std::vector<int>> consumers(subgraph.tensors.size());
    for (size_t i = 0; i < subgraph.ops.size(); ++i) {
        int node = graph.nodeOfOp[i];
        for (int tensor : subgraph.ops[i].outputs)
            if (tensor >= 0 && static_cast<size_t>(tensor) < subgraph.tensors.size() && producer[static_cast<size_t>(tensor)] < 0)
                producer[static_cast<size_t>(tensor)] = node;
        if (foldedOp[i]) continue;
        for (int tensor : subgraph.ops[i].inputs)
            if (tensor >= 0 && static_cast<size_t>(tensor) < subgraph.tensors.size() && !constantValued[static_cast<size_t>(tensor)])
                consumers[static_cast<size_t>(tensor)].push_back(node);
    }
    // A folded op belongs to the node that reads what it computes (its first
    // reader; folded readers resolve first, walking backwards).
    std::vector<int> firstReader(subgraph.tensors.size(), -1);
    for (size_t j = subgraph.ops.size(); j-- > 0;)
        for (int input : subgraph.ops[j].inputs)
            if (input >= 0 && static_cast<size_t>(input) < subgraph.tensors.size()) firstReader[static_cast<size_t>(input)] = static_cast<int>(j);
    for (size_t i = subgraph.ops.size(); i-- > 0;) {
        if (!foldedOp[i]) continue;
        for (int output : subgraph.ops[i].outputs) {
            if (output < 0 || static_cast<size_t>(output) >= subgraph.tensors.size()) continue;
            int reader = firstReader[static_cast<size_t>(output)];
            if (reader > static_cast<int>(i)) {
                graph.nodeOfOp[i] = graph.nodeOfOp[static_cast<size_t>(reader)];
                break;
            }
        }
    }
    for (size_t tensor = 0; tensor < subgraph.tensors.size(); ++tensor) {
        if (outputNode[tensor] >= 0) consumers[tensor].push_back(outputNode[tensor]);
        int source = producer[tensor];
        if (source < 0 || consumers[tensor].empty()) continue;
        DisplayEdge edge{static_cast<int>(tensor), source, {}};
        for (int target : consumers[tensor])
            if (target != source && std::find(edge.targets.begin(), edge.targets.end(), target) == edge.targets.end())
                edge.targets.push_back(target);
        if (!edge.targets.empty()) graph.edges.push_back(std::move(edge));
    }
    return graph;
}

}  // namespace litestudio

#pragma once
// An op's options as name/value text, read generically from the schema's
// reflection tables, so every builtin op shows its options without a case
// per op. The graph view's properties panel and node labels use these.

#include <string>
#include <vector>

#include "core/graph/model.h"

namespace litestudio {

struct OpAttribute {
    std::string name;
    std::string value;  // the schema's default where the file leaves the field out
};

std::vector<OpAttribute> opAttributes(const Model& model, const Op& op);

// A few words for a node label: "3x3 /2 relu6" for a convolution, "axis 3"
// for a concatenation; empty when the op has nothing worth a label.
std::string opKeyAttributes(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio

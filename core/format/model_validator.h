#pragma once
// Semantic checks on a freshly read model, beyond what the flatbuffers
// verifier proves: every index in range, constant buffers that agree with
// their tensor's shape and type, valid signatures, and subgraph references
// without cycles. The runtime relies on these and does not check again.

#include "core/graph/model.h"
#include "core/support/status.h"

namespace litestudio {

Status validateModel(const Model& model);

}  // namespace litestudio

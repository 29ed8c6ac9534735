#pragma once
// Folds standalone ops into the convolution beside them, as XNNPACK's
// subgraph optimizer does inside LiteRT: a zero PAD of the height and width
// becomes the own padding of the convolutions that read it (every reader
// must be one), a RELU, RELU6 or RELU_N1_TO_1 after a convolution or an
// ADD/SUB/MUL/DIV becomes its output clamp, and a float ADD before a PRELU
// of the same shape is added inside the PRELU's one pass. Only where the
// receiving kernel says it can take the work, the intermediate tensor has no
// other reader, and quantization parameters pass through unchanged.

#include <vector>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy); returns how many ops were fused.
int fuseIntoConvolutions(const Model& model, Subgraph& subgraph, const std::vector<const KernelDef*>& kernels);

}  // namespace litestudio

#pragma once
// Finds the end of a segmentation network as DeepLab's exports write it:
//   u = RESIZE_BILINEAR(logits, size)   (the logits upsampled to the image)
//   y = ARG_MAX(u, axis = last)         (each pixel's class), u read by nothing else
// and has the resize take each output row's arg max as it makes the row
// (Op::fusedArgMax), so that u, the network's largest tensor by far
// (DeepLab's 513x513x21 bytes, 5.5 MB: more than L2 holds), is never
// written and read back. Only where the accelerator that ran the resize has
// a kernel for that form.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) and the kernels of the ops it
// fuses; returns how many ops were folded.
int fuseResizeArgMaxes(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                       std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

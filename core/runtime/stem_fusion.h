#pragma once
// Finds the stem convolution that opens a MobileNet-style network:
//   s = CONV_2D(image) with a 3x3 filter over 1-4 channels (a PAD before
//       it already folded), read only by
//   a depthwise-separable block (separable_block_fusion.h) without an
//       expansion
// and has the block make the rows of s it reads as it goes (Op::fusedStem)
// when the accelerator that ran the block has a kernel for that form; the
// stem is folded. s is the widest tensor at the network's start (pose
// detection's 112x112x24, 1.2 MB): written in pixel order and read back
// in channel order, its transposes cost more than the stem's own FMAs
// save; made a row at a time in the block's own layout it is neither.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) and the kernels of the ops it
// fuses; returns how many ops were folded.
int fuseStems(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels, std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

#pragma once
// Finds depthwise-separable blocks, as MobileNet-style exports write them:
//   d = DEPTHWISE_CONV_2D(x) at stride 1, the plane's size kept
//   p = CONV_2D(d) with a 1x1 filter at stride 1
//   [y = ADD(r, p), the residual: r is x, or another tensor of p's shape
//    computed before the depthwise]
// and turns the depthwise into one op that does it all
// (Op::fusedSeparableBlock) when the accelerator that ran it has a kernel
// for the fused form; the 1x1 and the ADD are folded. A depthwise at
// stride 2 joins only with the 1x1 expansion before it
// (expansion_fusion.h), as one inverted residual block. Run row by row, d
// and p never leave the cache: pose landmark's 256x256x8 blocks read and
// wrote 2 MiB tensors six times each, now twice.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) and the kernels of the ops it
// fuses; returns how many ops were folded.
int fuseSeparableBlocks(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                        std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

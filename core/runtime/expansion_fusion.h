#pragma once
// Finds the expansion that opens a MobileNetV2-style inverted residual
// block:
//   e = CONV_2D(x) with a 1x1 filter at stride 1, read only by
//   d = DEPTHWISE_CONV_2D(e) (any stride; a PAD before it already folded),
//       or a separable block (separable_block_fusion.h) that begins with one
// and turns the depthwise into one op that makes the rows of e it reads as
// it goes (Op::fusedExpansion), when the accelerator that ran it has a
// kernel for the fused form; the 1x1 is folded. e is the widest tensor of
// the block (pose landmark's 128x128x64, 4 MiB): written and read back it
// does not stay in L2, made a few rows at a time it never leaves it. With
// a separable block, the whole inverted residual block runs as one op.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"
#include "core/runtime/fusion_matching.h"

namespace litestudio {

// The 1x1 CONV_2D at stride 1 (untouched by other fusions, no padding
// folded into it) whose output is op `o`'s input 0 and read by nothing
// else, or -1.
int expansionFeeding(const Model& model, const Subgraph& subgraph, const TensorUse& use, size_t o);

// Makes `fusedOp`, a depthwise or a separable block, do `expansion` first:
// its inputs take the 1x1's as Op::fusedExpansion lays them out.
void takeExpansion(Op& fusedOp, const Op& expansion);

// Rewrites `subgraph` (the runtime's own copy) and the kernels of the ops it
// fuses; returns how many ops were folded.
int fuseExpansions(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                   std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

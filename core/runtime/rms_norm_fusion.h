#pragma once
// Finds RMS normalisation written op by op, as LLM exports write it:
//   MUL(x, x) (or SQUARE) -> MEAN over the last axis, keep dims -> ADD a
//   scalar epsilon -> RSQRT -> MUL by x [-> MUL by a constant scale vector]
// and turns the first op into one that does it all (Op::fusedRmsNorm:
// inputs x, epsilon, scale or -1) when the accelerator that ran it has a
// kernel for the fused form; the others are folded. Gemma runs six of these
// per layer, so decode loses some 900 of its ~2,100 ops per token and
// prefill stops reducing through the reference MEAN.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) and the kernels of the ops it
// fuses; returns how many ops were folded.
int fuseRmsNorm(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

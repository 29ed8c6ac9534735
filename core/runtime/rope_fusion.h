#pragma once
// Finds rotary position embedding written op by op, as LLM exports write
// it ("rotate half"):
//   first = SLICE(x, [.., 0:D/2]), second = SLICE(x, [.., D/2:D]),
//   rotated = CONCATENATION(NEG(second), first) on the last axis,
//   y = ADD(MUL(x, cos), MUL(rotated, sin))
// and turns the ADD into one op that does it all (Op::fusedRope: inputs x,
// cos, sin) when the accelerator that ran it has a kernel for the fused
// form; the six others are folded. Gemma applies it to q and k in every
// layer: decode loses 312 of its ops per token, and the copies between them.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) and the kernels of the ops it
// fuses; returns how many ops were folded.
int fuseRope(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
             std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

#pragma once
// An instance norm's moments as converters write them: m = MEAN(x) over
// height and width, SQUARED_DIFFERENCE(x, m), and the MEAN of that over
// the same axes, the variance (both means keeping their dimensions). The
// SQUARED_DIFFERENCE writes a tensor as large as x that only the second
// MEAN reads. Style-transfer-shaped ran 16 of these at 2.2 ms of 83 on one
// thread, and on two at 4.5 ms (XNNPACK's broadcast ran on one thread,
// reading the half of x the other core wrote). One op makes both means
// instead (Op::fusedMoments), reading x twice and writing nothing large.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) where the first MEAN's
// accelerator has a kernel for the fused op; returns how many ops it
// absorbed.
int fuseSpatialMoments(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                       std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

#pragma once
// A batch norm before a 1x1 convolution: CONV_2D(ADD(MUL(x, s), b)), s and
// b one constant per channel and the ADD's activation a clamp (none,
// RELU, RELU6, RELU_N1_TO_1). A trained batch norm folds into the
// convolution before it, not into the one after it when a RELU sits
// between, so converters write it as this MUL and ADD: DenseNet's layers
// and pre-activation ResNets' have one before every convolution. Each
// such MUL and ADD reads and writes the whole feature map; in
// DenseNet-121-shaped they took 2.3 ms of 32 on one thread, and 5.0 of 25
// on two (each the other core's half of what it reads). The convolution
// applies them to its input as it reads it instead (Op::fusedInputAffine),
// and the MUL and the ADD go.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) where the convolution's
// accelerator has a kernel that says it takes the fused op
// (KernelDef::fusesInputAffine); returns how many ops it absorbed.
int fuseInputAffines(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                     std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

#pragma once
// A 1x1 convolution over CONCATENATION(feature map, RESIZE(1x1 map)) on
// the last axis, DeepLab v3's ASPP projection with its image-pooling
// branch: the resized part is the same vector at every pixel, so its share
// of every output is one matrix-vector product a run, added as a bias, and
// the convolution multiplies the feature map's channels only. The RESIZE
// and the CONCATENATION go (Op::fusedBroadcastConcat). DeepLab v3's 33x33
// projection from 512 channels did twice the multiplies it needs.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) where the convolution's
// accelerator has a kernel that says it takes the fused op
// (KernelDef::fusesBroadcastConcat); returns how many ops it absorbed.
int fuseBroadcastConcats(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                         std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

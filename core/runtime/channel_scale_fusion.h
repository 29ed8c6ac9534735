#pragma once
// A squeeze-and-excitation block's scaling before a 1x1 convolution:
// CONV_2D(MUL(x, s)), s one value per image and channel ([N, 1, 1, C]),
// made at run time: the block's sigmoid of its squeezed means. MobileNetV3
// and EfficientNet end every such block this way, the convolution often
// with a residual ADD fused. The MUL reads and writes the whole feature
// map for the convolution alone to read; on two threads it read the half
// of x the other core wrote (MobileNetV3-Large-shaped's took 0.007 ms on
// one thread and 0.027 on two, in the host's slow state). The convolution
// scales each input tile as it reads it instead (Op::fusedInputAffine with
// scales only), and the MUL goes.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) where the convolution's
// accelerator has a kernel that takes the fused op
// (KernelDef::fusesInputAffine); returns how many ops it absorbed.
int fuseChannelScales(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                      std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

#pragma once
// float32 MIRROR_PAD of the height and width of an NHWC tensor (style
// transfer's reflections before each convolution), its output rows split
// over the pool: a row is its mirrored source row's pixels, those inside
// in one copy and the mirrored edge pixels one by one. The reference
// kernel ran them on one thread, reading the half of the input the other
// core wrote: style-transfer-shaped's 16 took 2.4 ms of 83 on one thread
// and 3.6 on two.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not a MIRROR_PAD of a
// 4-D float32 tensor by constant paddings of height and width only.
const KernelDef* floatMirrorPadKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

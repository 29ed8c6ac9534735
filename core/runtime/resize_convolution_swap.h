#pragma once
// Runs a 1x1 convolution before the RESIZE_BILINEAR that feeds it when the
// convolution narrows the channels: bilinear weights sum to 1, so
//   conv(resize(x)) = resize(conv(x))
// up to float rounding, and the convolution then works on the smaller
// plane. The convolution's activation moves after the resize (a clamp of a
// blend is not a blend of clamps). Pose detection's 7x7x1152 -> 14x14 ->
// 192 channel head did the 1x1 on four times the pixels it needs.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy, which gains one tensor per
// swap) and swaps the two ops' kernels and accelerators; returns how many
// pairs it swapped.
int swapResizeAndConvolution(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                             std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

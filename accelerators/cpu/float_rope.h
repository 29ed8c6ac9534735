#pragma once
// Rotary position embedding in its rotate-half form, the op the runtime's
// RoPE fusion makes (core/runtime/rope_fusion.h): over the last axis of x,
// halves a and b,
//   y = [a * cos1 - b * sin1, b * cos2 + a * sin2]
// with cos and sin broadcast to x, each product and the sum rounded to
// float (no fused multiply-add), as the MUL, MUL and ADD it replaces.
// AVX-512 where the CPU has it, else a portable loop.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for an Op::fusedRope, or nullptr for any other op.
const KernelDef* floatRopeKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// GELU on float32 with the tanh approximation (Gemma's MLP activation):
// 0.5 x (1 + tanh(u)) computed as x / (1 + exp(-2u)), with a vector exp
// (Cody-Waite reduction, degree-6 polynomial, vscalefps), within a few
// float ulps of the reference's double arithmetic. AVX-512 only; the exact
// (erf) form and other CPUs stay on the reference kernel. Spread over the
// model's threads.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

const KernelDef* floatGeluKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

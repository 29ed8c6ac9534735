#pragma once
// Float32 activations of the exp family, within a few float ulps of the
// reference's double arithmetic, spread over the model's threads:
// - GELU with the tanh approximation (Gemma's MLP activation): 0.5 x (1 +
//   tanh(u)) computed as x / (1 + exp(-2u));
// - swish, x * sigmoid(x), for a LOGISTIC that took in the MUL after it;
// - TANH (Debian's 2022 XNNPACK has none for float; the reference's libm
//   call took 26 ns an element): a rational function (tanhAvx512).
// AVX-512 only; the exact (erf) GELU and other CPUs stay on the reference.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

const KernelDef* floatGeluKernel(const Model& model, const Subgraph& subgraph, const Op& op);
const KernelDef* floatTanhKernel(const Model& model, const Subgraph& subgraph, const Op& op);
// A LOGISTIC with Op::Epilogue::Swish (core/runtime/swish_fusion.h): x * sigmoid(x).
const KernelDef* floatSwishKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// FULLY_CONNECTED with float32 activations and int8 weights (one symmetric
// scale per output row, or one for all): LLM projections after LiteRT's
// dynamic-range quantization. Weights are widened to float in registers, so
// decode, which reads every weight once per token, moves a quarter of the
// bytes of float32 weights. AVX-512 with a portable fallback, spread over
// the model's threads.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

const KernelDef* int8WeightFullyConnectedKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// FULLY_CONNECTED with float32 activations and int8 weights (one symmetric
// scale per output row, or one for all): LLM projections after LiteRT's
// dynamic-range quantization. With AVX-512 VNNI each activation row is
// quantized to int8 (one scale per row, as XNNPACK's dynamic quantization
// does) and multiplied with vpdpbusd, 64 products an instruction; without
// it, weights are widened to float in registers (AVX-512) or in a portable
// loop, which keeps the reference's numbers. Decode reads every weight once
// per token: a quarter of the bytes of float32. Spread over the model's
// threads.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

const KernelDef* int8WeightFullyConnectedKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

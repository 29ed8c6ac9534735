#pragma once
// FULLY_CONNECTED with float32 activations and int4 blockwise weights
// (LiteRT's BlockwiseQuantization, blocks of a multiple of 32 inputs, one
// scale each): the projections and logits of int4 LLMs. Each activation
// row is quantized to int8 as XNNPACK's dynamic quantization does (the
// reference kernel's arithmetic). The weights are repacked once at 4.5 bits
// each: 16 units side by side in groups of 4 inputs, so one vpdpbusd adds 64
// products into 16 units' sums, and a block's nibbles unpack with a shift
// and a mask. Decode runs one row against 64 units per task; prefill four
// rows against 32 units, so each unpacked weight serves four tokens. Needs
// AVX-512 VNNI; elsewhere the reference kernel runs. Spread over the model's
// threads.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

const KernelDef* int4BlockwiseFullyConnectedKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

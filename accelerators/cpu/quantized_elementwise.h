#pragma once
// int8/uint8 ADD, SUB and MUL and float32 -> int8/uint8 QUANTIZE on
// AVX-512, bit for bit the reference kernels' arithmetic (which is
// XNNPACK's): fixed-point sums, float32-scaled products, round half to even.
// Quantized models (MoveNet, MobileNets) spend 1.1 ms of 5 in these when
// they run scalar.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one of those with
// per-tensor quantization (or the CPU lacks AVX-512).
const KernelDef* quantizedElementwiseKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// int8/uint8 ADD, SUB and MUL and float32 -> int8/uint8 QUANTIZE on
// AVX-512, bit for bit the reference kernels' arithmetic (which is
// XNNPACK's): fixed-point sums, float32-scaled products, round half to even.
// Quantized models (MoveNet, MobileNets) spend 1.1 ms of 5 in these when
// they run scalar.

#include <cstdint>
#include <memory>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"
#include "core/support/status.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one of those with
// per-tensor quantization (or the CPU lacks AVX-512).
const KernelDef* quantizedElementwiseKernel(const Model& model, const Subgraph& subgraph, const Op& op);

// The ADD of two 8-bit tensors of one shape quantized as `a` and `b`, to
// `out`'s quantization under `activation`, for kernels that add rows inside
// their own loops (quantized_inverted_residual); the same arithmetic as the
// kernel above.
struct QuantizedSum;
Expected<std::shared_ptr<const QuantizedSum>> packQuantizedSum(const RuntimeTensor& a, const RuntimeTensor& b, const RuntimeTensor& out,
                                                               int activation);
void runQuantizedSum(const QuantizedSum& sum, const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t count);

}  // namespace litestudio::cpu

#pragma once
// 8-bit ops whose every output byte follows from one input byte: unary
// ones (LOGISTIC, TANH, a requantizing QUANTIZE, ...) and binary ones
// against a small constant (a scalar, or one value per innermost channel,
// up to 8), which then depend on the byte and its channel. The reference
// kernel runs once at prepare on all 256 byte values (per channel), and
// the op becomes table lookups, 64 bytes at a time with VBMI's two-table
// byte permutes: exact by construction. MoveNet's input normalisation
// (SUB of a [1,1,1,3] constant at a 1e-6 scale, off XNNPACK's fixed-point
// range) and its heatmaps' LOGISTIC and QUANTIZE took 0.22 ms of its 4.5
// on the scalar reference.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one of those (8-bit
// input and output of one scale each and the same shape; for a binary op,
// the other operand constant and small as above) or the CPU lacks
// AVX-512 VBMI.
const KernelDef* byteTableLookupKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

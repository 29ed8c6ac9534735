#pragma once
// An Op::fusedExpansion (core/runtime/expansion_fusion.h) on AVX-512: a
// 1x1 CONV_2D whose result only a DEPTHWISE_CONV_2D reads, run as one op.
// Output rows are made in order; the rows of the 1x1's result each one
// reads are made just before, by float_pointwise_convolution's GEMM, into a
// ring of kernel-size rows that stays in L1/L2, and read from there by
// float_depthwise_convolution's rows. A thread takes a band of output rows
// with a ring of its own (the rows two bands share are made twice).

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for an Op::fusedExpansion this kernel takes, or nullptr (not
// one, the 1x1 weights pruned enough for the sparse kernel, or a CPU
// without AVX-512).
const KernelDef* floatExpandedDepthwiseKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

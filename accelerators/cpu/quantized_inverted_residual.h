#pragma once
// A whole int8/uint8 inverted residual block, as MobileNetV2 and its
// quantized relatives write it, in one op (Op::fusedSeparableBlock, with
// Op::fusedExpansion and Op::fusedResidual where the block has them):
//   [e = CONV_2D 1x1 (x)]  d = DEPTHWISE_CONV_2D (e or x)  p = CONV_2D 1x1 (d)
//   [y = ADD (p, r)]
// Each thread takes a band of output rows and makes, row by row, the rows
// of e its depthwise reads in a ring of its own (the band's first rows read
// one or two of the band before, made again), a row of d, then the row of
// p and y: e and d, the block's widest tensors (MobileNetV2's 112x112x96,
// 1.2 MB), never reach the arena, and a thread reads only the rows of x
// it and its neighbour's edge wrote. Every stage is the separate kernels'
// (vnni_pointwise_convolution, quantized_depthwise_convolution,
// quantized_elementwise), so results are bit for bit the unfused ops'.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for a fused separable block of 8-bit tensors with quantization
// it takes (1x1s over multiples of 4 channels, dilation 1, a stride of 1
// or 2), or nullptr (or when the CPU lacks AVX-512 VNNI).
const KernelDef* quantizedInvertedResidualKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

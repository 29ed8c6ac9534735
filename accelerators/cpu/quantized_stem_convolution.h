#pragma once
// An int8/uint8 CONV_2D over an image of 1-4 channels (a network's stem: 3x3
// at stride 2 over RGB in MobileNets and DeepLab, 7x7 in ResNets) on AVX-512
// VNNI, bit for bit the reference's. The general VNNI kernel gathers each
// pixel's 27 taps into a patch and sums its bytes one pixel at a time; here
// the taps of one filter row are one run of bytes (kw x channels) in a
// padded copy of the input row, read four bytes at a time straight into
// vpdpbusd, a few bytes past the run against zero weights. DeepLab's
// 513x513 stem took 1.13 ms on one thread in the general kernel.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not such a convolution
// (8-bit operands the VNNI kernels take, 1-4 input channels, a filter row
// of at most 28 bytes, no dilation) or the CPU lacks VNNI.
const KernelDef* quantizedStemConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

#pragma once
// float32 DEPTHWISE_CONV_2D with dilation (DeepLab v3's atrous depthwise
// layers, rates 2 and 4) on the undilated depthwise rows of
// float_depthwise_convolution.h, reading and writing the tensors in place.
// Rows are dilated by which input rows an output row reads. Columns are
// split into phases: output column ox = q + d * j reads input columns
// q - padLeft + d * (j + kx), every d-th column from one start, so the
// outputs j of phase q are an undilated convolution over a row whose
// pixels lie d pixels apart, in the input as in the output. Debian's 2022
// XNNPACK ran DeepLab's 33x33x480 rate-4 layers at 10-12 GMAC/s.

#include <cstdint>
#include <vector>

#include "accelerators/cpu/float_depthwise_convolution.h"
#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// Output column phase q of a convolution dilated over columns: its
// undilated plan over input columns firstInput, firstInput + d, ..., pixels
// d x channels apart in the input row and in the output row (from q).
struct DepthwisePhase {
    DepthwisePlan plan;
    int64_t firstInput = 0;
};

// The column phases of `whole` (a packed plan at stride 1 with its
// geometry, clamp and padLeft for the dilated filter) dilated by
// `dilationW` over columns: one plan per phase, each with its own copy of
// the weights.
std::vector<DepthwisePhase> columnPhases(const DepthwisePlan& whole, int dilationW);

// One output row of `channels` channels (outW x channels floats), phase by
// phase, from the input rows it reads.
void phasedDepthwiseRow(const std::vector<DepthwisePhase>& phases, int64_t channels, const InputRows& rows, float* outputRow);

// Dilations up to this run on column phases (DeepLab's rates are 2 and 4).
constexpr int kLargestDilation = 8;

// The kernel for this op, or nullptr when it is not one this kernel takes:
// a float32 DEPTHWISE_CONV_2D at stride 1 with a dilation of 2 to 8 (over
// rows, columns or both), depth multiplier 1, a square 3x3, 5x5 or 7x7
// constant filter and a clamp for its activation, or the CPU lacks AVX-512.
const KernelDef* floatDilatedDepthwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

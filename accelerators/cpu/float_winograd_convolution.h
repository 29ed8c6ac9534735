#pragma once
// float32 3x3 CONV_2D at stride 1 by Winograd's minimal filtering: each
// block of m x m outputs comes from an (m + 2) x (m + 2) patch of input
// turned into (m + 2)^2 transformed values per channel, one GEMM a value
// against the transformed filter (made once at prepare), and a transform
// back. F(4x4, 3x3) does 36 multiplies per input channel, output channel
// and 4x4 block where the direct convolution (XNNPACK's) does 144, 4x
// fewer; F(2x2, 3x3) does 16 for a 2x2 block where it does 36, 2.25x
// fewer, and takes planes too small to give each thread 16 blocks of 4x4
// (its 16 weight matrices are read as often as F(4x4)'s 36). The GEMMs are
// the dense 1x1 kernel's (float_pointwise_convolution.h); threads share
// out the tiles, or, where the transformed weights pass 1 MiB, the output
// blocks over each chunk of tiles (outputBlockGroups), or, where one
// thread's tiles fit one chunk, the transformed points, the outputs
// transformed after in a second loop (WinogradPlan). Results differ
// from the direct sum by rounding only: F(2x2)'s transforms add and halve;
// F(4x4)'s multiply by up to 8 and by sixths and twenty-fourths, so its
// sums round about ten times as far (1e-5 of the largest output where
// F(2x2) is at 1e-6, a hundredth of the golden tolerance).

#include <cstdint>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one this kernel takes:
// a float32 3x3 CONV_2D at stride and dilation 1 with constant weights, a
// clamp for its activation (and a fused PRELU, swish or HARD_SWISH after
// it, Op::fusedEpilogue), 16 or more input channels and 32 or more
// output channels over a plane of 100 or more outputs (on smaller ones the
// transformed weights, 16/9 of the filter, outweigh the work saved), or
// the CPU lacks AVX-512.
const KernelDef* floatWinogradConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

// The side m of the output blocks, F(m x m, 3x3), that a plane of
// outH x outW outputs (batch of them) run on `threads` threads gets: 4
// where the 4x4 blocks give every thread at least 16 and multiply less
// than 2x2 ones (not on a thin plane they overhang), else 2.
int floatWinogradTile(int64_t batch, int64_t outH, int64_t outW, int64_t threads);

// How a layer runs on `threads` threads.
struct WinogradPlan {
    int tile = 2;             // F(tile x tile, 3x3)
    int64_t blockGroups = 1;  // over 1: threads share out groups of output blocks over each chunk of tiles
    int64_t pointShares = 1;  // over 1: threads share out the transformed points (rows of them) over every tile
};

// Output blocks shared out where the transformed weights pass 1 MiB
// (outputBlockGroups); else, on two threads or more, points where one
// thread's tiles (floatWinogradTile's for one thread) fit one chunk of 96;
// else the tiles, sized by floatWinogradTile for `threads`.
WinogradPlan floatWinogradPlan(int64_t batch, int64_t outH, int64_t outW, int64_t inputChannels, int64_t outputChannels, int64_t threads);

}  // namespace litestudio::cpu

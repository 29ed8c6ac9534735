#pragma once
// float32 CONV_2D with a filter wider than 1x1 that the Winograd, stem and
// narrow-output kernels leave: strided ones (the 3x3 stride-2 downsampling
// of YOLO, ResNet and EfficientNet, and ResNet's 1x1 stride-2 shortcuts),
// 2x2s, 5x5s and 7x7s, and 3x3s over fewer than 16 inputs. A thread gathers the input patches of a
// chunk of its outputs into rows of kh x kw x in floats (zeros where the
// patch hangs over the padding) and multiplies the rows by the filter,
// packed as a 1x1's weights, with the dense 1x1's GEMM
// (float_pointwise_convolution.h), which adds the bias and applies the
// clamp and a fused swish, HARD_SWISH or PRELU as it writes. Threads
// share out the chunks, or, where the weights pass 1 MiB, the output
// blocks over each chunk (outputBlockGroups). XNNPACK's
// convolution ran these before, with any such activation a separate pass,
// and its own dispatches ended thread sessions. AVX-512.

#include <cstdint>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one this kernel takes:
// a float32 CONV_2D, undilated, with a constant filter of more than one
// tap (or of one, at a stride past 1), a constant bias or none, a clamp
// for its activation (and a fused PRELU, swish or HARD_SWISH after it,
// Op::fusedEpilogue), no fused residual, 64 or more output channels over
// a plane of 49 or more pixels, and rows of kh x kw x in up to 8192
// floats; or nullptr when the CPU lacks AVX-512.
const KernelDef* floatPatchConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

// Output pixels a thread gathers and multiplies at a time for patch rows
// of `patchFloats` floats and `weightBytes` of filter: as many as keep the
// rows near 128 KiB (in L2 while every block of weights reads them), or
// 1 MiB where the weights pass 1 MiB (each chunk streams them all), in
// whole steps of six (the GEMM's rows a step), 6 to 96.
int64_t floatPatchChunkPixels(int64_t patchFloats, int64_t weightBytes);

}  // namespace litestudio::cpu

#pragma once
#include <functional>
#include <memory>
#include <utility>
#include <vector>
#include <cstdint>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

const KernelDef& floatConvolutionKernel();
const KernelDef& quantizedConvolutionKernel();
const KernelDef& floatFullyConnectedKernel();
// float32 BATCH_MATMUL whose right-hand side is one constant matrix (a
// projection written as a matmul) on XNNPACK's fully connected, or nullptr.
const KernelDef* floatConstantBatchMatmulKernel(const Model& model, const Subgraph& subgraph, const Op& op);
// ADD/SUB/MUL/DIV/MAXIMUM/MINIMUM, PAD, MAX_POOL_2D, PRELU, HARD_SWISH on
// float32, or nullptr when this op is not one XNNPACK should take.
const KernelDef* floatElementwiseKernel(const Model& model, const Subgraph& subgraph, const Op& op);
// RESIZE_BILINEAR and DEPTH_TO_SPACE on float32 NHWC, or nullptr.
const KernelDef* floatLayoutKernel(const Model& model, const Subgraph& subgraph, const Op& op);

// The output clamp XNNPACK applies for a fused activation (NONE, RELU,
// RELU6, RELU_N1_TO_1; callers reject the others).
std::pair<float, float> activationRange(int activation);
// The output clamp of an op whose own options name `ownActivation`, or of
// the activation op the fusion pass folded into it (Op::fusedActivation,
// which comes first).
std::pair<float, float> clampRange(const KernelContext& context, int ownActivation);

// Runs a convolution's reference prepare (output shape, checks) as if a PAD
// folded into the op (Op::fusedPadding) were still there: `padded` is
// input 0 with the padded height and width, for the caller's geometry.
Status prepareWithFoldedPadding(KernelContext& context, const KernelDef& reference, RuntimeTensor& padded);

// Whether XNNPACK's 8-bit convolutions can requantize these operands: every
// input scale x filter scale / output scale in [2^-32, 256), each scale
// positive and normal. XNNPACK (2022) asserts on the lower bound rather
// than returning an error (a fuzzed model aborted the process), so such
// ops go to the reference instead.
bool xnnpackRequantizes(const Tensor& input, const Tensor& filter, const Tensor& output);

// The pthreadpool of the compiled model running `context` (null: one thread).
void* threadPoolOf(const KernelContext& context);

// The op's scratch (KernelContext::scratch) from its first 64-byte
// boundary: a prepare that wants it aligned asks for 64 bytes more.
float* alignedScratch(const KernelContext& context);

// task(argument, first, count) over elements [0, count) on that pool, in
// equal shares of at least `leastTile` elements, each a multiple of
// `granule` (but the last), a whole number of them a thread where there
// are enough; all on the calling thread below two such shares. Equal
// shares keep consecutive elementwise ops of one size on the same halves:
// with tiles of a fixed size (MoveNet's 110,592-element input ops in 7
// tiles of 16,384, 4 against 3) the thread left idle stole a tile, and the
// next op read that tile out of the other core's cache.
void parallelizeTiles(const KernelContext& context, void (*task)(void*, size_t, size_t), void* argument, size_t count, size_t leastTile,
                      size_t granule);

// Packed weights shared by every op of one compiled model that packs the
// same constant data the same way (an LLM's prefill and decode signatures
// read the same projections): `make` runs for the first op with this
// `identity` (everything the packing reads: the kernel's kind, data
// addresses, shapes); later ones get the same object.
std::shared_ptr<void> sharedPackedWeights(const KernelContext& context, const std::vector<uintptr_t>& identity,
                                          const std::function<std::shared_ptr<void>()>& make);

}  // namespace litestudio::cpu

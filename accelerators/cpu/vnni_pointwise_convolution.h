#pragma once
// int8/uint8 CONV_2D and FULLY_CONNECTED on AVX-512 VNNI, bit-exact with
// the reference kernels; chosen at run time when the CPU has VNNI, XNNPACK
// (convolutions) or the reference (fully connected layers) otherwise.

#include <cstdint>
#include <memory>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"
#include "core/support/status.h"

namespace litestudio::cpu {

bool vnniAvailable();

// The operands the VNNI kernels take: 8-bit ones of one type with
// quantization, constant weights and an int32 bias, and weight zero points
// their arithmetic takes (uint8 per tensor, int8 zero).
bool vnniTakesOperands(const Subgraph& subgraph, const Op& op, const Tensor& input, const Tensor& filter, const Tensor& output);
// The kernel for this op, or nullptr when it is not a pointwise quantized
// convolution this kernel takes (or the CPU lacks VNNI).
const KernelDef* vnniPointwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

// A 1x1 convolution at stride 1 packed for rows of pixels, for kernels that
// run one inside their own loops (quantized_inverted_residual): `filter`
// [out, 1, 1, in] (in a multiple of 4) and `bias` (or null) for inputs
// quantized as `input`, outputs as `output`, clamped by `activation` (an
// ActivationFunctionType). Results bit for bit the kernel's above.
struct VnniPointwise;
Expected<std::shared_ptr<const VnniPointwise>> packVnniPointwise(const RuntimeTensor& input, const RuntimeTensor& filter, const int32_t* bias,
                                                                 const RuntimeTensor& output, int activation);
// `pixels` consecutive pixels of `input` to as many of `output`, on the calling thread.
void runVnniPointwise(const VnniPointwise& p, const uint8_t* input, int64_t pixels, uint8_t* output);

}  // namespace litestudio::cpu

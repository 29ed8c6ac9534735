#pragma once
// uint8/int8 DEPTHWISE_CONV_2D (depth multiplier 1) on AVX-512 VNNI, bit
// for bit the reference kernel's result: exact int32 sums, then the same
// float32 requantization. Debian's 2022 XNNPACK ran these at ~10 GMAC/s
// here, a third of a quantized MobileNet v2's time (2.0 ms of 5.7).

#include <cstdint>
#include <memory>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"
#include "core/support/status.h"

namespace litestudio::cpu {

// Taps (kh x kw) the kernel takes at most.
constexpr int kQuantizedDepthwiseMostTaps = 64;

// The kernel for this op, or nullptr when it is not a depthwise convolution
// this kernel takes (or the CPU lacks AVX-512 VNNI).
const KernelDef* quantizedDepthwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op);

// A depthwise convolution packed for kernels that run one row at a time
// inside their own loops (quantized_inverted_residual): `filter` [1, kh,
// kw, channels] and `bias` (or null) for inputs quantized as `input`,
// outputs as `output`, clamped by `activation` (an ActivationFunctionType),
// over one image of this geometry (dilation 1). Results bit for bit the
// kernel's above.
struct QuantizedDepthwiseGeometry {
    int64_t inH = 0, inW = 0, outH = 0, outW = 0;
    int strideH = 1, strideW = 1, padTop = 0, padLeft = 0;
};
struct QuantizedDepthwise;
Expected<std::shared_ptr<const QuantizedDepthwise>> packQuantizedDepthwise(const RuntimeTensor& input, const RuntimeTensor& filter,
                                                                           const int32_t* bias, const RuntimeTensor& output, int activation,
                                                                           const QuantizedDepthwiseGeometry& geometry);
// One output row from the kh input rows it reads (each inW x channels;
// null where the row is outside the image).
void runQuantizedDepthwiseRow(const QuantizedDepthwise& p, const uint8_t* const* rows, uint8_t* output);

}  // namespace litestudio::cpu

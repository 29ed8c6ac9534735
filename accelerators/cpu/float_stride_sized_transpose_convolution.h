#pragma once
// float32 transposed convolutions whose kernel equals their stride (2x2 at
// stride 2: U-Net decoders, MediaPipe's segmentation heads through
// Convolution2DTransposeBias), with nothing cropped. Each input pixel then
// makes its own stride x stride block of outputs: a 1x1 convolution from
// the input's channels to stride x stride x outputs values, laid out as a
// DEPTH_TO_SPACE. It runs as our 1x1 GEMM (float_pointwise_convolution.h)
// a row of input pixels at a time, then places the row's blocks. Debian's
// 2022 XNNPACK runs such a deconvolution through its GEMM with a tile of 16
// output channels, mostly empty for a head of 1 to 8 channels: hair
// segmentation's 128x128x32 -> 256x256x8 took 0.95 ms and its 256x256x8
// -> 512x512x2 0.77 ms, 29 % of the model; selfie segmentation's 16 -> 1
// 0.23 ms, and 0.56 on two threads. AVX-512.

#include <cstdint>
#include <memory>
#include <vector>

#include "accelerators/cpu/float_pointwise_convolution.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

struct StrideSizedTransposeConvolution {
    PointwiseWeights products;  // input channels -> strideH x strideW x outputs, in DEPTH_TO_SPACE order
    int64_t strideH = 1, strideW = 1, outputs = 0;
};

// Packs `weights` ([outputs, strideH, strideW, channels] floats) and `bias`
// (one per output), the result clamped to [low, high].
std::shared_ptr<const StrideSizedTransposeConvolution> packStrideSizedTransposeConvolution(const std::vector<float>& weights,
                                                                                           const std::vector<float>& bias, int64_t outputs,
                                                                                           int64_t strideH, int64_t strideW,
                                                                                           int64_t channels, float low, float high);

// `input` (NHWC, batch x height x width x channels) into `output` (batch x
// height*strideH x width*strideW x outputs), rows of input pixels split
// over the pool of `context`.
void runStrideSizedTransposeConvolution(const KernelContext& context, const StrideSizedTransposeConvolution& convolution, const float* input,
                                        int64_t batch, int64_t height, int64_t width, float* output);

}  // namespace litestudio::cpu

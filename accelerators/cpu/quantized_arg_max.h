#pragma once
// ARG_MAX and ARG_MIN of int8/uint8 values over the innermost axis (a
// segmentation model's class per pixel), up to 64 values a pixel: one
// masked vector per pixel, on the thread pool. DeepLab's 513x513x21
// ARG_MAX took 3.2 ms of its 19 on the scalar reference. Over an axis
// before it, with up to 32 values inside, the inside values sit side by
// side in lanes, each keeping its best and the first index that had it
// (MoveNet's keypoints over its [1, 2304, 17] heatmap: 0.064 ms there).

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for this op, or nullptr when it is not one of those (a
// constant axis of 8-bit values with a positive scale: the innermost with
// at most 64 values, or another with at most 32 inside it and 32,767
// along it) or the CPU lacks AVX-512.
const KernelDef* quantizedArgMaxKernel(const Model& model, const Subgraph& subgraph, const Op& op);

// Whether the stored values of `tensor` order as its real ones: 8-bit with
// one positive scale, or none (plain integers).
bool storedValuesOrder(const Tensor& tensor);

// The most values a pixel quantizedArgMaxOfPixels takes.
constexpr int64_t kMostArgMaxPixelValues = 64;

// ARG_MAX over the innermost axis of `pixels` pixels of `size` values
// (1 to kMostArgMaxPixelValues) each, on the calling thread: the first
// index of each pixel's largest value, into int64 `indices` (wideIndices)
// or int32 ones. What a fused resize runs on each row it makes
// (quantized_resize_bilinear.h).
void quantizedArgMaxOfPixels(const uint8_t* values, int64_t pixels, int64_t size, bool signedValues, bool wideIndices, void* indices);

}  // namespace litestudio::cpu

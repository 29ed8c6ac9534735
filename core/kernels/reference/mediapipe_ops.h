#pragma once
// The options of MediaPipe's custom ops (core/kernels/reference/
// mediapipe_ops.cpp), for the faster kernels of other accelerators.

#include <cstdint>

#include "core/kernels/kernel.h"
#include "core/support/status.h"

namespace litestudio::reference {

constexpr int32_t kMediaPipePaddingSame = 1;
constexpr int32_t kMediaPipePaddingValid = 2;

// TfLiteTransposeConvParams {padding, stride_width, stride_height} or, for
// the pooling ops, TfLitePoolParams {..., filter_width, filter_height},
// stored raw in the custom options; checked (known padding, positive sizes).
struct MediaPipeParams {
    int32_t padding = 0, strideWidth = 0, strideHeight = 0, filterWidth = 0, filterHeight = 0;
};
Expected<MediaPipeParams> readMediaPipeParams(const KernelContext& context, bool pool);

}  // namespace litestudio::reference

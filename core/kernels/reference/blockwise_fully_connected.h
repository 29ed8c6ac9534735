#pragma once
// FULLY_CONNECTED over blockwise-quantized (int4/int8) weights, with the
// input quantized per row to int8 as LiteRT's XNNPACK path does.

#include "tflite_schema_generated.h"
#include "core/kernels/kernel.h"

namespace litestudio::reference {

bool hasBlockwiseWeights(const RuntimeTensor& weights);

// XNNPACK's dynamic ("qd8") quantization of one input row: the range always
// includes 0, the zero point comes from whichever end loses less, rounded.
// q = clamp(round(x * multiplier), -128 - zeroPoint, 127 - zeroPoint) + zeroPoint.
struct DynamicRowQuantization {
    float multiplier = 1.0f;   // real -> quantized
    float scale = 1.0f;        // quantized -> real
    int32_t zeroPoint = 0;
};
DynamicRowQuantization dynamicRowQuantization(float minimum, float maximum);

// Block scale `index` of a constant float16 or float32 scale tensor.
float blockScaleAt(const Tensor& scales, int64_t index);

// XNNPACK keeps block scales as bfloat16 (rounded to nearest even).
float roundToBfloat16(float value);
// Checks the scale (and zero-point) tensors, unpacks the weights once into
// the kernel state, asks for one row of int8 scratch. Output shape is left
// to the caller.
Status prepareBlockwiseFullyConnected(KernelContext& context);
Status evalBlockwiseFullyConnected(KernelContext& context, schema::ActivationFunctionType activation);

}  // namespace litestudio::reference

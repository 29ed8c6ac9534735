#pragma once
// FULLY_CONNECTED over blockwise-quantized (int4/int8) weights, with the
// input quantized per row to int8 as LiteRT's XNNPACK path does.

#include "tflite_schema_generated.h"
#include "core/kernels/kernel.h"

namespace litestudio::reference {

bool hasBlockwiseWeights(const RuntimeTensor& weights);
// Checks the scale (and zero-point) tensors, unpacks the weights once into
// the kernel state, asks for one row of int8 scratch. Output shape is left
// to the caller.
Status prepareBlockwiseFullyConnected(KernelContext& context);
Status evalBlockwiseFullyConnected(KernelContext& context, schema::ActivationFunctionType activation);

}  // namespace litestudio::reference

#include "accelerators/cpu/convolution_support.h"

#include <algorithm>
#include <string>

#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

int paddingBefore(int64_t in, int64_t out, int kernel, int stride, int dilation) {
    return static_cast<int>(std::max<int64_t>(0, (out - 1) * stride + int64_t(kernel - 1) * dilation + 1 - in) / 2);
}

Status readFloatBias(const KernelContext& context, int64_t channels, float* destination, size_t index) {
    if (!context.hasInput(index)) return Status::ok();
    const RuntimeTensor& bias = context.input(index);
    if (bias.elementCount() != channels)
        return context.error("bias has " + std::to_string(bias.elementCount()) + " values, expected " + std::to_string(channels));
    reference::toFloats(bias, destination);
    return Status::ok();
}

bool isClampActivation(int activation) {
    return activation == schema::ActivationFunctionType_NONE || activation == schema::ActivationFunctionType_RELU ||
           activation == schema::ActivationFunctionType_RELU6 || activation == schema::ActivationFunctionType_RELU_N1_TO_1;
}

bool isConstantFloat(const Tensor& tensor) {
    return tensor.isConstant() && !tensor.isSparse && (tensor.type == DataType::Float32 || tensor.type == DataType::Float16);
}

}  // namespace litestudio::cpu

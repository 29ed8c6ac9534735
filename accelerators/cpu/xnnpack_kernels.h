#pragma once
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

const KernelDef& floatConvolutionKernel();
const KernelDef& quantizedConvolutionKernel();
const KernelDef& floatFullyConnectedKernel();

// The pthreadpool of the compiled model running `context` (null: one thread).
void* threadPoolOf(const KernelContext& context);

}  // namespace litestudio::cpu

#pragma once
#include <map>
#include <string_view>

#include "core/kernels/kernel.h"

namespace litestudio::reference {

using KernelTable = std::map<int32_t, KernelDef>;

void addElementwiseKernels(KernelTable& table);
void addActivationKernels(KernelTable& table);
void addShapeKernels(KernelTable& table);
void addRearrangementKernels(KernelTable& table);
void addBatchSpaceKernels(KernelTable& table);
void addConvolutionKernels(KernelTable& table);
void addPoolingKernels(KernelTable& table);
void addReductionKernels(KernelTable& table);
void addMatmulKernels(KernelTable& table);
void addIndexingKernels(KernelTable& table);
void addControlFlowKernels(KernelTable& table);
void addDensifyKernel(KernelTable& table);
void addSelectionKernels(KernelTable& table);
void addConvolution3dKernel(KernelTable& table);
void addRecurrentKernels(KernelTable& table);
void addSpectralKernels(KernelTable& table);

// Custom ops by custom code: MediaPipe's (mediapipe_ops.cpp) and TFLite's
// SSD post-processing (detection_postprocess.cpp).
const KernelDef* findReferenceCustomKernel(std::string_view name);
KernelDef detectionPostprocessKernel();

inline KernelTable allKernels() {
    KernelTable table;
    addElementwiseKernels(table);
    addActivationKernels(table);
    addShapeKernels(table);
    addRearrangementKernels(table);
    addBatchSpaceKernels(table);
    addConvolutionKernels(table);
    addPoolingKernels(table);
    addReductionKernels(table);
    addMatmulKernels(table);
    addIndexingKernels(table);
    addControlFlowKernels(table);
    addDensifyKernel(table);
    addSelectionKernels(table);
    addConvolution3dKernel(table);
    addRecurrentKernels(table);
    addSpectralKernels(table);
    return table;
}

}  // namespace litestudio::reference

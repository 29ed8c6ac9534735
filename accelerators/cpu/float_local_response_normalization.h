#pragma once
// Float32 LOCAL_RESPONSE_NORMALIZATION (Inception v1, AlexNet) with beta
// 0.5, 0.75 or 1: each row's window sums of alpha x^2 as TFLite keeps them
// (the same float additions), then (bias + sum)^-beta without pow: 1/sqrt,
// 1/(sqrt x fourth root) or 1/x, 16 channels at a time, within a few ulps
// of pow. The reference's pow took 13 ns an element (a 56x56x64 LRN 2.6 ms,
// LiteRT.js 3.9). Threaded by rows; other betas stay on the reference.

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

const KernelDef* floatLocalResponseNormalizationKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

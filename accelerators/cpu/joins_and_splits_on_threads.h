#pragma once
// CONCATENATION, SPLIT and SPLIT_V whose values move unchanged (one type,
// one quantization, no fused activation), split over the model's pool by
// outer index: each thread copies the pixels of its own part of the plane.
// On one thread such an op reads the half its input that the other core
// wrote, and its output is then read back by both: on the AMD EPYC of
// 2026-12-03, with a hand-over between the cores costing 7x a read of
// one's own, YOLOv8n's 40x40 CONCATENATIONs took 4x as long on two threads
// as on one (0.026 against 0.106 ms) and the 3x3 convolutions after its
// SPLITs 1.5x.

#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// The kernel for `op`, or null when its values do not move raw or (SPLIT,
// SPLIT_V) its axis or sizes are not constant.
const KernelDef* joinAndSplitOnThreadsKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

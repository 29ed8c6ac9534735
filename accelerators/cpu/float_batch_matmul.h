#pragma once
// BATCH_MATMUL on float32 for attention: scores = q · kᵀ (adj_y) and
// context = p · v, with AVX-512 when the CPU has it and a portable loop
// otherwise, spread over the model's threads by blocks of output columns.
// Float accumulation, like XNNPACK; the reference kernel sums in double.
// Takes whole attentions too (float_attention.h).

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// nullptr unless the op is a float32 BATCH_MATMUL without adj_x.
const KernelDef* floatBatchMatmulKernel(const Model& model, const Subgraph& subgraph, const Op& op);

}  // namespace litestudio::cpu

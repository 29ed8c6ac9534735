#pragma once
// Finds attention written op by op, as LLM exports write it:
//   scores = BATCH_MATMUL(q, k, adj_y) [· MUL by a scalar] + ADD mask,
//   SOFTMAX, context = BATCH_MATMUL(probabilities, v)
// and hands the whole chain to the first BATCH_MATMUL when its kernel says
// it can take it (KernelDef::fusesAttention): the op then reads q, k, v,
// mask and scale, writes the context, and the four others are folded.
// What that buys is the mask: a decode step attends the filled part of the
// KV cache instead of every slot, and prefill skips the causal half.
// Only where every intermediate has a single reader, shapes are static,
// q, k and v share their batch dimensions, the mask is one [rows, keys]
// matrix, and v and the mask exist before the first BATCH_MATMUL runs.

#include <vector>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio {

// Rewrites `subgraph` (the runtime's own copy); returns how many ops were folded.
int fuseAttention(const Model& model, Subgraph& subgraph, const std::vector<const KernelDef*>& kernels);

}  // namespace litestudio

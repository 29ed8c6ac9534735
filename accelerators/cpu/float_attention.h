#pragma once
// Attention as one op (a BATCH_MATMUL with Op::fusedAttention, made by
// core/runtime/attention_fusion.h): for each query row, the scores of the
// keys its mask leaves open, their softmax and the weighted sum of their
// values. Keys masked out (mask <= -1e8: probability exactly 0) are never
// read, so decode costs what the filled part of the KV cache costs, not its
// full length. Float accumulation; AVX-512 or a portable loop; query rows
// spread over the model's threads.

#include "core/kernels/kernel.h"

namespace litestudio::cpu {

// Inputs q [..., M, D], k [..., N, D], v [..., N, Dv], mask (M x N values),
// scale (a scalar, or absent for 1); output [..., M, Dv].
Status prepareFloatAttention(KernelContext& context);
Status evalFloatAttention(KernelContext& context);

}  // namespace litestudio::cpu

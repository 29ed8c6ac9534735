#include "accelerators/cpu/float_batch_matmul.h"

#include "accelerators/cpu/avx512_intrinsics.h"
#include <pthreadpool.h>

#include <vector>

#include "accelerators/cpu/float_attention.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

// Both multiply rows 0..m of a into columns [begin, end) of out, whose rows
// are n apart; a's rows are k long.

// out[i][j] = sum_p a[i][p] * b[j][p]: rows of b are the keys. Four rows of
// a share each load of a key row.
__attribute__((target("avx512f"))) void multiplyTransposedAvx512(const float* a, const float* b, float* out, int64_t m,
                                                                 int64_t k, int64_t begin, int64_t end, int64_t n) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (k % 16)) - 1);
    const int64_t full = k - k % 16;
    for (int64_t i = 0; i < m; i += 4) {
        int64_t rows = std::min<int64_t>(4, m - i);
        const float* r[4];
        for (int64_t t = 0; t < 4; ++t) r[t] = a + (i + std::min(t, rows - 1)) * k;
        for (int64_t j = begin; j < end; ++j) {
            const float* key = b + j * k;
            __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
            for (int64_t p = 0; p < full; p += 16) {
                __m512 y = _mm512_loadu_ps(key + p);
                s0 = _mm512_fmadd_ps(_mm512_loadu_ps(r[0] + p), y, s0);
                s1 = _mm512_fmadd_ps(_mm512_loadu_ps(r[1] + p), y, s1);
                s2 = _mm512_fmadd_ps(_mm512_loadu_ps(r[2] + p), y, s2);
                s3 = _mm512_fmadd_ps(_mm512_loadu_ps(r[3] + p), y, s3);
            }
            if (tail) {
                __m512 y = _mm512_maskz_loadu_ps(tail, key + full);
                s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r[0] + full), y, s0);
                s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r[1] + full), y, s1);
                s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r[2] + full), y, s2);
                s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r[3] + full), y, s3);
            }
            float sums[4] = {_mm512_reduce_add_ps(s0), _mm512_reduce_add_ps(s1), _mm512_reduce_add_ps(s2),
                             _mm512_reduce_add_ps(s3)};
            for (int64_t t = 0; t < rows; ++t) out[(i + t) * n + j] = sums[t];
        }
    }
}

// out[i][c] = sum_p a[i][p] * b[p][c], sixty-four columns at a time.
__attribute__((target("avx512f"))) void multiplyAvx512(const float* a, const float* b, float* out, int64_t m, int64_t k,
                                                       int64_t begin, int64_t end, int64_t n) {
    for (int64_t i = 0; i < m; ++i) {
        const float* row = a + i * k;
        for (int64_t c = begin; c < end; c += 64) {
            int64_t width = std::min<int64_t>(64, end - c);
            __mmask16 masks[4];
            for (int t = 0; t < 4; ++t) {
                int64_t left = std::clamp<int64_t>(width - 16 * t, 0, 16);
                masks[t] = static_cast<__mmask16>(left == 16 ? 0xFFFF : (1u << left) - 1);
            }
            __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int64_t p = 0; p < k; ++p) {
                __m512 x = _mm512_set1_ps(row[p]);
                const float* values = b + p * n + c;
                for (int t = 0; t < 4; ++t)
                    if (masks[t]) acc[t] = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(masks[t], values + 16 * t), acc[t]);
            }
            for (int t = 0; t < 4; ++t)
                if (masks[t]) _mm512_mask_storeu_ps(out + i * n + c + 16 * t, masks[t], acc[t]);
        }
    }
}

void multiplyPortable(const float* a, const float* b, float* out, int64_t m, int64_t k, int64_t begin, int64_t end,
                      int64_t n, bool transposed) {
    for (int64_t i = 0; i < m; ++i) {
        float* row = out + i * n;
        if (transposed) {
            for (int64_t j = begin; j < end; ++j) {
                float sum = 0;
                for (int64_t p = 0; p < k; ++p) sum += a[i * k + p] * b[j * k + p];
                row[j] = sum;
            }
        } else {
            for (int64_t j = begin; j < end; ++j) row[j] = 0;
            for (int64_t p = 0; p < k; ++p) {
                float x = a[i * k + p];
                for (int64_t j = begin; j < end; ++j) row[j] += x * b[p * n + j];
            }
        }
    }
}

// One task: one batch, one block of output columns (keys for scores,
// features for context), so both threads have work at decode's m = 4.
struct Job {
    const float* a;
    const float* b;
    float* out;
    int64_t m, n, k;
    bool transposed;
    bool avx512;
    int64_t block;
    int64_t blocks;
    std::vector<std::pair<int64_t, int64_t>> offsets;  // per batch: a's and b's matrix index
};

void runTask(void* context, size_t task) {
    const Job& job = *static_cast<const Job*>(context);
    int64_t batch = static_cast<int64_t>(task) / job.blocks;
    int64_t begin = (static_cast<int64_t>(task) % job.blocks) * job.block, end = std::min(job.n, begin + job.block);
    const float* a = job.a + job.offsets[static_cast<size_t>(batch)].first * job.m * job.k;
    const float* b = job.b + job.offsets[static_cast<size_t>(batch)].second * job.k * job.n;
    float* out = job.out + batch * job.m * job.n;
    if (job.avx512 && job.transposed) multiplyTransposedAvx512(a, b, out, job.m, job.k, begin, end, job.n);
    else if (job.avx512) multiplyAvx512(a, b, out, job.m, job.k, begin, end, job.n);
    else multiplyPortable(a, b, out, job.m, job.k, begin, end, job.n, job.transposed);
}

Status prepare(KernelContext& context) {
    if (context.op->fusedAttention) return prepareFloatAttention(context);
    return findReferenceKernel(schema::BuiltinOperator_BATCH_MATMUL)->prepare(context);
}

Status eval(KernelContext& context) {
    if (context.op->fusedAttention) return evalFloatAttention(context);
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    RuntimeTensor& out = context.output(0);
    const auto* options = context.op->options->builtin_options_as_BatchMatMulOptions();
    const bool avx512 = cpuHasAvx512();
    Job job;
    job.a = a.as<float>();
    job.b = b.as<float>();
    job.out = out.as<float>();
    job.m = out.dim(out.rank() - 2);
    job.n = out.dim(out.rank() - 1);
    job.k = a.dim(a.rank() - 1);
    job.transposed = options && options->adj_y();
    job.avx512 = avx512;
    job.block = job.transposed ? 128 : 64;
    job.blocks = (job.n + job.block - 1) / job.block;
    std::vector<int32_t> outBatch(out.shape.begin(), out.shape.end() - 2);
    reference::Broadcast broadcast = reference::makeBroadcast(
        outBatch, {std::vector<int32_t>(a.shape.begin(), a.shape.end() - 2), std::vector<int32_t>(b.shape.begin(), b.shape.end() - 2)});
    int64_t batches = 1;
    for (int32_t dim : outBatch) batches *= dim;
    job.offsets.resize(static_cast<size_t>(batches));
    for (int64_t batch = 0; batch < batches; ++batch) {
        int64_t offsets[2];
        broadcast.offsets(batch, offsets);
        job.offsets[static_cast<size_t>(batch)] = {offsets[0], offsets[1]};
    }
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runTask, &job,
                  static_cast<size_t>(batches * job.blocks));
    return Status::ok();
}

const KernelDef kKernel{.prepare = prepare, .eval = eval, .fusesAttention = true};

}  // namespace

const KernelDef* floatBatchMatmulKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    if (model.opCode(op).builtin != schema::BuiltinOperator_BATCH_MATMUL || op.inputs.size() != 2) return nullptr;
    for (int input : op.inputs)
        if (input < 0 || subgraph.tensors[static_cast<size_t>(input)].type != DataType::Float32) return nullptr;
    if (op.outputs.size() != 1 || subgraph.tensors[static_cast<size_t>(op.outputs[0])].type != DataType::Float32) return nullptr;
    const auto* options = op.options ? op.options->builtin_options_as_BatchMatMulOptions() : nullptr;
    if (options && options->adj_x()) return nullptr;
    return &kKernel;
}

}  // namespace litestudio::cpu

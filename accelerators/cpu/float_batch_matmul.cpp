#include "accelerators/cpu/float_batch_matmul.h"

// GCC 12 warns inside its own AVX-512 intrinsic headers (bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include <vector>

#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

// out[i][j] = sum_p a[i][p] * b[j][p]: rows of b are the keys. Four rows of
// a share each load of a key row.
__attribute__((target("avx512f"))) void multiplyTransposedAvx512(const float* a, const float* b, float* out, int64_t m,
                                                                 int64_t n, int64_t k) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (k % 16)) - 1);
    const int64_t full = k - k % 16;
    for (int64_t i = 0; i < m; i += 4) {
        int64_t rows = std::min<int64_t>(4, m - i);
        const float* r[4];
        for (int64_t t = 0; t < 4; ++t) r[t] = a + (i + std::min(t, rows - 1)) * k;
        for (int64_t j = 0; j < n; ++j) {
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

// out[i][:] = sum_p a[i][p] * b[p][:], sixteen columns at a time.
__attribute__((target("avx512f"))) void multiplyAvx512(const float* a, const float* b, float* out, int64_t m, int64_t n,
                                                       int64_t k) {
    for (int64_t i = 0; i < m; ++i) {
        const float* row = a + i * k;
        for (int64_t c = 0; c < n; c += 64) {
            int64_t width = std::min<int64_t>(64, n - c);
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

void multiplyPortable(const float* a, const float* b, float* out, int64_t m, int64_t n, int64_t k, bool transposed) {
    for (int64_t i = 0; i < m; ++i) {
        float* row = out + i * n;
        if (transposed) {
            for (int64_t j = 0; j < n; ++j) {
                float sum = 0;
                for (int64_t p = 0; p < k; ++p) sum += a[i * k + p] * b[j * k + p];
                row[j] = sum;
            }
        } else {
            for (int64_t j = 0; j < n; ++j) row[j] = 0;
            for (int64_t p = 0; p < k; ++p) {
                float x = a[i * k + p];
                for (int64_t j = 0; j < n; ++j) row[j] += x * b[p * n + j];
            }
        }
    }
}

Status prepare(KernelContext& context) {
    return findReferenceKernel(schema::BuiltinOperator_BATCH_MATMUL)->prepare(context);
}

Status eval(KernelContext& context) {
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    RuntimeTensor& out = context.output(0);
    const auto* options = context.op->options->builtin_options_as_BatchMatMulOptions();
    bool transposed = options && options->adj_y();
    int64_t m = out.dim(out.rank() - 2), n = out.dim(out.rank() - 1);
    int64_t k = a.dim(a.rank() - 1);
    std::vector<int32_t> outBatch(out.shape.begin(), out.shape.end() - 2);
    reference::Broadcast broadcast = reference::makeBroadcast(
        outBatch, {std::vector<int32_t>(a.shape.begin(), a.shape.end() - 2), std::vector<int32_t>(b.shape.begin(), b.shape.end() - 2)});
    int64_t batches = 1;
    for (int32_t dim : outBatch) batches *= dim;
    static const bool avx512 = __builtin_cpu_supports("avx512f");
    int64_t offsets[2];
    for (int64_t batch = 0; batch < batches; ++batch) {
        broadcast.offsets(batch, offsets);
        const float* matrixA = a.as<float>() + offsets[0] * m * k;
        const float* matrixB = b.as<float>() + offsets[1] * k * n;
        float* result = out.as<float>() + batch * m * n;
        if (avx512 && transposed) multiplyTransposedAvx512(matrixA, matrixB, result, m, n, k);
        else if (avx512) multiplyAvx512(matrixA, matrixB, result, m, n, k);
        else multiplyPortable(matrixA, matrixB, result, m, n, k, transposed);
    }
    return Status::ok();
}

const KernelDef kKernel{prepare, eval};

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

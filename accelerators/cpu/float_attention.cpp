#include "accelerators/cpu/float_attention.h"

#include "accelerators/cpu/avx512_intrinsics.h"
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"

namespace litestudio::cpu {

namespace {

// A key whose mask value is at or below this gets probability exactly 0
// after the softmax (exp underflows long before): it is not computed.
// Exports mask with -1e9, the lowest float or -inf.
constexpr float kMaskedOut = -1e8f;

struct Job {
    const float* q;
    const float* k;
    const float* v;
    const float* mask;
    float* out;
    float scale;
    int64_t rows, keys, depth, valueDepth;
    bool avx512;
};

__attribute__((target("avx512f"))) float dotAvx512(const float* a, const float* b, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < n) {
        __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, a + i), _mm512_maskz_loadu_ps(tail, b + i), s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f"))) void addScaledAvx512(float* out, const float* row, float weight, int64_t n) {
    __m512 w = _mm512_set1_ps(weight);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, _mm512_fmadd_ps(w, _mm512_loadu_ps(row + i), _mm512_loadu_ps(out + i)));
    if (i < n) {
        __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(out + i, tail, _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(tail, row + i), _mm512_maskz_loadu_ps(tail, out + i)));
    }
}

float dotPortable(const float* a, const float* b, int64_t n) {
    float sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

void addScaledPortable(float* out, const float* row, float weight, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] += weight * row[i];
}

// One query row: scores over the keys the mask leaves open, softmax, then
// the probability-weighted sum of their values.
void attendRow(const Job& job, int64_t batch, int64_t row, std::vector<int32_t>& open, std::vector<float>& weights) {
    const float* q = job.q + (batch * job.rows + row) * job.depth;
    const float* mask = job.mask + row * job.keys;
    const float* keys = job.k + batch * job.keys * job.depth;
    const float* values = job.v + batch * job.keys * job.valueDepth;
    float* out = job.out + (batch * job.rows + row) * job.valueDepth;
    open.clear();
    for (int64_t n = 0; n < job.keys; ++n)
        if (!(mask[n] <= kMaskedOut)) open.push_back(static_cast<int32_t>(n));
    if (open.empty())  // everything masked: the plain softmax over all keys
        for (int64_t n = 0; n < job.keys; ++n) open.push_back(static_cast<int32_t>(n));
    weights.resize(open.size());
    float largest = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < open.size(); ++i) {
        const float* key = keys + open[i] * job.depth;
        float dot = job.avx512 ? dotAvx512(q, key, job.depth) : dotPortable(q, key, job.depth);
        weights[i] = dot * job.scale + mask[open[i]];
        largest = std::max(largest, weights[i]);
    }
    float sum = 0;
    for (float& w : weights) sum += (w = std::exp(w - largest));
    float inverse = 1.0f / sum;
    std::memset(out, 0, static_cast<size_t>(job.valueDepth) * sizeof(float));
    for (size_t i = 0; i < open.size(); ++i) {
        const float* value = values + open[i] * job.valueDepth;
        if (job.avx512) addScaledAvx512(out, value, weights[i] * inverse, job.valueDepth);
        else addScaledPortable(out, value, weights[i] * inverse, job.valueDepth);
    }
}

constexpr int64_t kRowsPerTask = 8;

void runTask(void* context, size_t task) {
    const Job& job = *static_cast<const Job*>(context);
    int64_t rowBlocks = (job.rows + kRowsPerTask - 1) / kRowsPerTask;
    int64_t batch = static_cast<int64_t>(task) / rowBlocks, first = (static_cast<int64_t>(task) % rowBlocks) * kRowsPerTask;
    std::vector<int32_t> open;
    std::vector<float> weights;
    open.reserve(static_cast<size_t>(job.keys));
    weights.reserve(static_cast<size_t>(job.keys));
    for (int64_t row = first; row < std::min(job.rows, first + kRowsPerTask); ++row) attendRow(job, batch, row, open, weights);
}

}  // namespace

Status prepareFloatAttention(KernelContext& context) {
    const RuntimeTensor& q = context.input(0);
    const RuntimeTensor& k = context.input(1);
    const RuntimeTensor& v = context.input(2);
    const RuntimeTensor& mask = context.input(3);
    if (q.rank() < 2 || k.rank() != q.rank() || v.rank() != q.rank())
        return context.error("fused attention: q, k and v must have the same rank (at least 2)");
    int64_t rows = q.dim(q.rank() - 2), depth = q.dim(q.rank() - 1), keys = k.dim(k.rank() - 2);
    if (k.dim(k.rank() - 1) != depth || v.dim(v.rank() - 2) != keys || mask.elementCount() != rows * keys)
        return context.error("fused attention: q " + shapeText(q.shape) + ", k " + shapeText(k.shape) + ", v " +
                             shapeText(v.shape) + " and mask " + shapeText(mask.shape) + " do not fit together");
    for (int axis = 0; axis < q.rank() - 2; ++axis)
        if (k.dim(axis) != q.dim(axis) || v.dim(axis) != q.dim(axis))
            return context.error("fused attention: q, k and v must share their batch dimensions");
    std::vector<int32_t> shape(q.shape.begin(), q.shape.end() - 1);
    shape.push_back(v.dim(v.rank() - 1));
    context.output(0).shape = shape;
    return Status::ok();
}

Status evalFloatAttention(KernelContext& context) {
    const RuntimeTensor& q = context.input(0);
    const RuntimeTensor& k = context.input(1);
    const RuntimeTensor& v = context.input(2);
    Job job;
    job.q = q.as<float>();
    job.k = k.as<float>();
    job.v = v.as<float>();
    job.mask = context.input(3).as<float>();
    job.out = context.output(0).as<float>();
    job.scale = context.hasInput(4) ? context.input(4).as<float>()[0] : 1.0f;
    job.rows = q.dim(q.rank() - 2);
    job.depth = q.dim(q.rank() - 1);
    job.keys = k.dim(k.rank() - 2);
    job.valueDepth = v.dim(v.rank() - 1);
    job.avx512 = cpuHasAvx512();
    int64_t batches = q.elementCount() / std::max<int64_t>(job.rows * job.depth, 1);
    int64_t tasks = batches * ((job.rows + kRowsPerTask - 1) / kRowsPerTask);
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runTask, &job, static_cast<size_t>(tasks));
    return Status::ok();
}

}  // namespace litestudio::cpu

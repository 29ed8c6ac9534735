#include "accelerators/cpu/int8_weight_fully_connected.h"

#include "accelerators/cpu/avx512_intrinsics.h"
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int64_t kRowsPerTask = 4;
constexpr int64_t kUnitsPerTask = 64;

struct Job {
    const float* input;
    const int8_t* weights;
    const float* scales;  // per unit
    const float* bias;    // per unit, or null
    float* output;
    int64_t rows, units, depth;
    int64_t unitBlocks;
    bool avx512;
    // VNNI path: rows quantized to int8 + 128 (one scale per row), the
    // weights' row sums for the +128 correction.
    bool vnni = false;
    const uint8_t* quantized = nullptr;
    const float* rowScales = nullptr;
    const int32_t* weightSums = nullptr;
};

#define LS_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

LS_TARGET inline __m512 widen(const int8_t* w) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w))));
}
LS_TARGET inline __m512 widenTail(const int8_t* w, __mmask16 tail) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(tail, w)));
}
LS_TARGET inline void finish(const Job& job, int64_t r, int64_t u, __m512 sum) {
    job.output[r * job.units + u] = _mm512_reduce_add_ps(sum) * job.scales[u] + (job.bias ? job.bias[u] : 0.0f);
}

// One row (decode): four units share each load of the row; each weight is
// loaded, widened and multiplied once.
__attribute__((target("avx512f,avx512bw,avx512vl"))) void runRowAvx512(const Job& job, int64_t r, int64_t u0, int64_t u1) {
    const int64_t k = job.depth, full = k - k % 16;
    const __mmask16 tail = static_cast<__mmask16>((1u << (k % 16)) - 1);
    const float* x = job.input + r * k;
    int64_t u = u0;
    for (; u + 4 <= u1; u += 4) {
        const int8_t* w = job.weights + u * k;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int64_t p = 0; p < full; p += 16) {
            __m512 y = _mm512_loadu_ps(x + p);
            s0 = _mm512_fmadd_ps(widen(w + p), y, s0);
            s1 = _mm512_fmadd_ps(widen(w + k + p), y, s1);
            s2 = _mm512_fmadd_ps(widen(w + 2 * k + p), y, s2);
            s3 = _mm512_fmadd_ps(widen(w + 3 * k + p), y, s3);
        }
        if (tail) {
            __m512 y = _mm512_maskz_loadu_ps(tail, x + full);
            s0 = _mm512_fmadd_ps(widenTail(w + full, tail), y, s0);
            s1 = _mm512_fmadd_ps(widenTail(w + k + full, tail), y, s1);
            s2 = _mm512_fmadd_ps(widenTail(w + 2 * k + full, tail), y, s2);
            s3 = _mm512_fmadd_ps(widenTail(w + 3 * k + full, tail), y, s3);
        }
        finish(job, r, u, s0), finish(job, r, u + 1, s1), finish(job, r, u + 2, s2), finish(job, r, u + 3, s3);
    }
    for (; u < u1; ++u) {
        const int8_t* w = job.weights + u * k;
        __m512 sum = _mm512_setzero_ps();
        for (int64_t p = 0; p < full; p += 16) sum = _mm512_fmadd_ps(widen(w + p), _mm512_loadu_ps(x + p), sum);
        if (tail) sum = _mm512_fmadd_ps(widenTail(w + full, tail), _mm512_maskz_loadu_ps(tail, x + full), sum);
        finish(job, r, u, sum);
    }
}

// Rows [r, r + count) of the output, units [u0, u1).
__attribute__((target("avx512f,avx512bw,avx512vl"))) void runAvx512(const Job& job, int64_t r, int64_t count, int64_t u0,
                                                                    int64_t u1) {
    if (count < 4) {  // fewer rows than the four-row tile: one row at a time
        for (int64_t t = r; t < r + count; ++t) runRowAvx512(job, t, u0, u1);
        return;
    }
    const int64_t k = job.depth, full = k - k % 16;
    const __mmask16 tail = static_cast<__mmask16>((1u << (k % 16)) - 1);
    const float* x[4];
    for (int64_t t = 0; t < 4; ++t) x[t] = job.input + (r + std::min(t, count - 1)) * k;
    for (int64_t u = u0; u < u1; ++u) {
        const int8_t* w = job.weights + u * k;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int64_t p = 0; p < full; p += 16) {
            __m512 y = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + p))));
            s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x[0] + p), y, s0);
            s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x[1] + p), y, s1);
            s2 = _mm512_fmadd_ps(_mm512_loadu_ps(x[2] + p), y, s2);
            s3 = _mm512_fmadd_ps(_mm512_loadu_ps(x[3] + p), y, s3);
        }
        if (tail) {
            __m512 y = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(tail, w + full)));
            s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x[0] + full), y, s0);
            s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x[1] + full), y, s1);
            s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x[2] + full), y, s2);
            s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x[3] + full), y, s3);
        }
        float sums[4] = {_mm512_reduce_add_ps(s0), _mm512_reduce_add_ps(s1), _mm512_reduce_add_ps(s2),
                         _mm512_reduce_add_ps(s3)};
        float bias = job.bias ? job.bias[u] : 0.0f;
        for (int64_t t = 0; t < count; ++t) job.output[(r + t) * job.units + u] = sums[t] * job.scales[u] + bias;
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) inline void storeVnni(const Job& job, int64_t r, float rowScale,
                                                                                      int64_t u, __m512i sum) {
    int32_t total = _mm512_reduce_add_epi32(sum) - 128 * job.weightSums[u];
    job.output[r * job.units + u] = static_cast<float>(total) * rowScale * job.scales[u] + (job.bias ? job.bias[u] : 0.0f);
}

// The VNNI path: each row was quantized to int8 with its own scale (as
// XNNPACK's dynamic quantization does), stored as q + 128 so that vpdpbusd
// (unsigned x signed bytes) applies; the 128 * sum(w) it adds is taken off.
// 64 products per instruction, four units per load of the row.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void runRowVnni(const Job& job, int64_t r, int64_t u0,
                                                                                 int64_t u1) {
    const int64_t k = job.depth, full = k - k % 64;
    const __mmask64 tail = (k % 64) ? ((1ull << (k % 64)) - 1) : 0;
    const uint8_t* x = job.quantized + r * k;
    const float rowScale = job.rowScales[r];
    int64_t u = u0;
    for (; u + 4 <= u1; u += 4) {
        const int8_t* w = job.weights + u * k;
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
        for (int64_t p = 0; p < full; p += 64) {
            __m512i y = _mm512_loadu_si512(x + p);
            s0 = _mm512_dpbusd_epi32(s0, y, _mm512_loadu_si512(w + p));
            s1 = _mm512_dpbusd_epi32(s1, y, _mm512_loadu_si512(w + k + p));
            s2 = _mm512_dpbusd_epi32(s2, y, _mm512_loadu_si512(w + 2 * k + p));
            s3 = _mm512_dpbusd_epi32(s3, y, _mm512_loadu_si512(w + 3 * k + p));
        }
        if (tail) {
            __m512i y = _mm512_maskz_loadu_epi8(tail, x + full);
            s0 = _mm512_dpbusd_epi32(s0, y, _mm512_maskz_loadu_epi8(tail, w + full));
            s1 = _mm512_dpbusd_epi32(s1, y, _mm512_maskz_loadu_epi8(tail, w + k + full));
            s2 = _mm512_dpbusd_epi32(s2, y, _mm512_maskz_loadu_epi8(tail, w + 2 * k + full));
            s3 = _mm512_dpbusd_epi32(s3, y, _mm512_maskz_loadu_epi8(tail, w + 3 * k + full));
        }
        storeVnni(job, r, rowScale, u, s0), storeVnni(job, r, rowScale, u + 1, s1);
        storeVnni(job, r, rowScale, u + 2, s2), storeVnni(job, r, rowScale, u + 3, s3);
    }
    for (; u < u1; ++u) {
        const int8_t* w = job.weights + u * k;
        __m512i sum = _mm512_setzero_si512();
        for (int64_t p = 0; p < full; p += 64) sum = _mm512_dpbusd_epi32(sum, _mm512_loadu_si512(x + p), _mm512_loadu_si512(w + p));
        if (tail) sum = _mm512_dpbusd_epi32(sum, _mm512_maskz_loadu_epi8(tail, x + full), _mm512_maskz_loadu_epi8(tail, w + full));
        storeVnni(job, r, rowScale, u, sum);
    }
}

void runPortable(const Job& job, int64_t r, int64_t count, int64_t u0, int64_t u1) {
    for (int64_t t = r; t < r + count; ++t)
        for (int64_t u = u0; u < u1; ++u) {
            float sum = 0;
            for (int64_t p = 0; p < job.depth; ++p) sum += job.input[t * job.depth + p] * static_cast<float>(job.weights[u * job.depth + p]);
            job.output[t * job.units + u] = sum * job.scales[u] + (job.bias ? job.bias[u] : 0.0f);
        }
}

void runTask(void* context, size_t task) {
    const Job& job = *static_cast<const Job*>(context);
    int64_t rowBlock = static_cast<int64_t>(task) / job.unitBlocks, unitBlock = static_cast<int64_t>(task) % job.unitBlocks;
    int64_t r = rowBlock * kRowsPerTask, count = std::min(kRowsPerTask, job.rows - r);
    int64_t u0 = unitBlock * kUnitsPerTask, u1 = std::min(job.units, u0 + kUnitsPerTask);
    if (job.vnni) {
        for (int64_t t = r; t < r + count; ++t) runRowVnni(job, t, u0, u1);
    } else if (job.avx512) {
        runAvx512(job, r, count, u0, u1);
    } else {
        runPortable(job, r, count, u0, u1);
    }
}

struct Prepared {
    std::vector<float> scales;
    std::vector<int32_t> weightSums;  // per unit, for the VNNI path's +128 correction
};

// One scale per row, q = round(x / scale) in [-127, 127], stored as q + 128.
void quantizeRows(const float* input, int64_t rows, int64_t depth, std::vector<uint8_t>& quantized, std::vector<float>& scales) {
    quantized.resize(static_cast<size_t>(rows * depth));
    scales.resize(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        const float* x = input + r * depth;
        float largest = 0;
        for (int64_t k = 0; k < depth; ++k) largest = std::max(largest, std::abs(x[k]));
        float scale = largest > 0 ? largest / 127.0f : 1.0f, inverse = 1.0f / scale;
        scales[static_cast<size_t>(r)] = scale;
        uint8_t* q = quantized.data() + r * depth;
        for (int64_t k = 0; k < depth; ++k)
            q[k] = static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(std::clamp(x[k] * inverse, -127.0f, 127.0f))) + 128);
    }
}

Status prepare(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_FULLY_CONNECTED)->prepare(context));
    const RuntimeTensor& weights = context.input(1);
    auto prepared = std::make_shared<Prepared>();
    int64_t units = weights.dim(0);
    const Quantization& q = *weights.quantization;
    prepared->scales.resize(static_cast<size_t>(units));
    for (int64_t u = 0; u < units; ++u)
        prepared->scales[static_cast<size_t>(u)] = q.scales.size() == 1 ? q.scales[0] : q.scales[static_cast<size_t>(u)];
    int64_t depth = weights.dim(1);
    prepared->weightSums.assign(static_cast<size_t>(units), 0);
    for (int64_t u = 0; u < units; ++u)
        for (int64_t k = 0; k < depth; ++k) prepared->weightSums[static_cast<size_t>(u)] += weights.as<int8_t>()[u * depth + k];
    context.state = prepared;
    return Status::ok();
}

Status eval(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& weights = context.input(1);
    Job job;
    job.input = input.as<float>();
    job.weights = weights.as<int8_t>();
    job.scales = static_cast<const Prepared*>(context.state.get())->scales.data();
    job.bias = context.hasInput(2) ? context.input(2).as<float>() : nullptr;
    job.output = context.output(0).as<float>();
    job.units = weights.dim(0);
    job.depth = weights.dim(1);
    job.rows = input.elementCount() / std::max<int64_t>(job.depth, 1);
    job.unitBlocks = (job.units + kUnitsPerTask - 1) / kUnitsPerTask;
    job.avx512 = cpuHasAvx512();
    std::vector<uint8_t> quantized;
    std::vector<float> rowScales;
    if (cpuHasAvx512Vnni()) {
        quantizeRows(job.input, job.rows, job.depth, quantized, rowScales);
        job.vnni = true;
        job.quantized = quantized.data();
        job.rowScales = rowScales.data();
        job.weightSums = static_cast<const Prepared*>(context.state.get())->weightSums.data();
    }
    int64_t rowBlocks = (job.rows + kRowsPerTask - 1) / kRowsPerTask;
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runTask, &job,
                  static_cast<size_t>(rowBlocks * job.unitBlocks));
    return Status::ok();
}

const KernelDef kKernel{prepare, eval};

}  // namespace

const KernelDef* int8WeightFullyConnectedKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    if (model.opCode(op).builtin != schema::BuiltinOperator_FULLY_CONNECTED || op.inputs.size() < 2 || op.inputs[0] < 0 ||
        op.inputs[1] < 0 || op.outputs.size() != 1)
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& weights = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32) return nullptr;
    if (weights.type != DataType::Int8 || !weights.isConstant() || weights.shape.size() != 2) return nullptr;
    const Quantization& q = weights.quantization;
    bool perTensor = q.scheme == Quantization::Scheme::PerTensor && q.scales.size() == 1;
    bool perRow = q.scheme == Quantization::Scheme::PerChannel && q.axis == 0 &&
                  q.scales.size() == static_cast<size_t>(weights.shape[0]);
    if (!perTensor && !perRow) return nullptr;
    for (int64_t zero : q.zeroPoints)
        if (zero != 0) return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
        const Tensor& bias = subgraph.tensors[static_cast<size_t>(op.inputs[2])];
        if (bias.type != DataType::Float32 || !bias.isConstant()) return nullptr;
    }
    const auto* options = op.options ? op.options->builtin_options_as_FullyConnectedOptions() : nullptr;
    if (options && options->fused_activation_function() != schema::ActivationFunctionType_NONE) return nullptr;
    if (op.fusedActivation > 0) return nullptr;
    return &kKernel;
}

}  // namespace litestudio::cpu

#include "accelerators/cpu/int4_blockwise_fully_connected.h"

#include "accelerators/cpu/avx512_intrinsics.h"
#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/int4_blockwise_amx.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/blockwise_fully_connected.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

using namespace int4_blockwise;

constexpr int64_t kPrefillRows = 4;
constexpr uintptr_t kPackedKind = 4;  // sharedPackedWeights: this kernel's packing
// Weights are read once per token, from memory. Two software prefetches a
// line keep more loads in flight than the hardware prefetcher does: into L2
// 4 KiB ahead, then into L1 1 KiB ahead, so the loads find the lines there
// (llm_kernels_benchmark, alternating runs, three rounds: one thread streams
// 9.1-9.5 GB/s with the L2 prefetch alone, 9.4-11.9 with both; two threads
// 1152 -> 262144: 20.4-25.3 -> 26.8-28.8 GB/s. 2 and 8 KiB ahead into L2,
// and non-temporal prefetches, were slower).
constexpr int64_t kPrefetchBytes = 4096;
constexpr int64_t kNearPrefetchBytes = 1024;

struct PackJob {
    PackedWeights* packed;
    const uint8_t* raw;
    const Tensor* scales;
    int64_t blockSize;
    const float* bias;
};

// Packs the 64 units of one tile, its padding included: tiles are disjoint
// in every array, so they pack on all threads at once (the first touch of
// each page, where the kernel zeroes it, is spread over them too).
void packTile(void* context, size_t tileIndex) {
    const PackJob& job = *static_cast<const PackJob*>(context);
    PackedWeights& p = *job.packed;
    const int64_t tile = static_cast<int64_t>(tileIndex), fileBlocks = p.depth / job.blockSize;
    const int64_t tileNibbles = p.blocks * kTileGroups * kGroupBytes, tileScales = p.blocks * kTileUnits;
    std::memset(p.nibbles.data() + tile * tileNibbles, 0x88, static_cast<size_t>(tileNibbles));  // padding: w = 0
    std::memset(p.scales.data() + tile * tileScales, 0, static_cast<size_t>(tileScales) * sizeof(uint16_t));
    for (int64_t u = tile * kTileUnits; u < std::min(p.units, (tile + 1) * kTileUnits); ++u) {
        int64_t group = (u % kTileUnits) / kGroup, lane = u % kGroup;
        double zeroPointSum = 0;
        for (int64_t b = 0; b < p.blocks; ++b) {
            float scale = reference::roundToBfloat16(reference::blockScaleAt(*job.scales, u * fileBlocks + b * kBlock / job.blockSize));
            uint32_t bits;
            std::memcpy(&bits, &scale, 4);
            int64_t slot = (tile * p.blocks + b) * kTileGroups + group;
            p.scales[static_cast<size_t>(slot * kGroup + lane)] = static_cast<uint16_t>(bits >> 16);
            uint8_t* bytes = p.nibbles.data() + slot * kGroupBytes;
            int32_t sum = 0;
            for (int64_t k = 0; k < kBlock; ++k) {
                int32_t w = reference::int4At(job.raw, u * p.depth + b * kBlock + k);
                sum += w;
                int64_t quad = k / 4, chunk = quad % 4;
                uint8_t& byte = bytes[chunk * 64 + lane * 4 + k % 4];
                uint8_t nibble = static_cast<uint8_t>(w + 8);
                byte = quad >= 4 ? static_cast<uint8_t>((byte & 0x0f) | (nibble << 4)) : static_cast<uint8_t>((byte & 0xf0) | nibble);
            }
            zeroPointSum += static_cast<double>(scale) * sum;
        }
        p.zeroPointSums[static_cast<size_t>(u)] = static_cast<float>(zeroPointSum);
        if (job.bias) p.bias[static_cast<size_t>(u)] = job.bias[u];
    }
}

std::shared_ptr<PackedWeights> pack(const RuntimeTensor& weights, const Tensor& scales, int64_t blockSize,
                                    const float* bias, pthreadpool_t pool) {
    auto packed = std::make_shared<PackedWeights>();
    PackedWeights& p = *packed;
    p.units = weights.dim(0);
    p.depth = weights.dim(1);
    p.blocks = p.depth / kBlock;
    p.tiles = (p.units + kTileUnits - 1) / kTileUnits;
    p.nibbles = HugePageBuffer<uint8_t>(static_cast<size_t>(p.tiles * p.blocks * kTileGroups * kGroupBytes));
    p.scales = HugePageBuffer<uint16_t>(static_cast<size_t>(p.tiles * p.blocks * kTileUnits));
    p.zeroPointSums.assign(static_cast<size_t>(p.tiles * kTileUnits), 0.0f);
    p.bias.assign(static_cast<size_t>(p.tiles * kTileUnits), 0.0f);
    PackJob job{packed.get(), weights.data, &scales, blockSize, bias};
    parallelize1d(pool, packTile, &job, static_cast<size_t>(p.tiles));
    return packed;
}

#define LS_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

LS_VNNI void quantizeRow(void* context, size_t row) {
    const Job& job = *static_cast<const Job*>(context);
    const int64_t depth = job.weights->depth, r = static_cast<int64_t>(row);
    const float* x = job.input + r * depth;
    __m512 low = _mm512_set1_ps(std::numeric_limits<float>::infinity()), high = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t k = 0; k < depth; k += 16) {
        __m512 v = _mm512_loadu_ps(x + k);
        low = _mm512_min_ps(low, v);
        high = _mm512_max_ps(high, v);
    }
    auto quantization = reference::dynamicRowQuantization(_mm512_reduce_min_ps(low), _mm512_reduce_max_ps(high));
    job.rowScales[r] = quantization.scale;
    job.zeroPoints[r] = quantization.zeroPoint;
    const __m512 multiplier = _mm512_set1_ps(quantization.multiplier);
    const __m512 lowest = _mm512_set1_ps(-128.0f - static_cast<float>(quantization.zeroPoint));
    const __m512 highest = _mm512_set1_ps(127.0f - static_cast<float>(quantization.zeroPoint));
    const __m512i zeroPoint = _mm512_set1_epi32(quantization.zeroPoint);
    int8_t* q = job.quantized + r * depth;
    int32_t* corrections = job.corrections + r * job.weights->blocks;
    for (int64_t b = 0; b < job.weights->blocks; ++b) {
        const float* v = x + b * kBlock;
        // Rounds to nearest even, as lrintf does in the reference.
        __m512i first = _mm512_add_epi32(
            _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_loadu_ps(v), multiplier), lowest), highest)), zeroPoint);
        __m512i second = _mm512_add_epi32(
            _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(_mm512_loadu_ps(v + 16), multiplier), lowest), highest)),
            zeroPoint);
        corrections[b] = 8 * _mm512_reduce_add_epi32(_mm512_add_epi32(first, second));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * kBlock), _mm512_cvtepi32_epi8(first));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * kBlock + 16), _mm512_cvtepi32_epi8(second));
    }
}

inline int32_t load32(const int8_t* at) {
    int32_t value;
    std::memcpy(&value, at, 4);
    return value;
}

// Rows [row, row + R) against groups [group, group + G) of one tile.
template <int R, int G>
LS_VNNI void multiplyTile(const Job& job, int64_t row, int64_t tile, int64_t group) {
    const PackedWeights& p = *job.weights;
    const __m512i mask = _mm512_set1_epi8(0x0f);
    __m512 sums[R][G];
    for (int r = 0; r < R; ++r)
        for (int g = 0; g < G; ++g) sums[r][g] = _mm512_setzero_ps();
    const int8_t* q[R];
    const int32_t* corrections[R];
    for (int r = 0; r < R; ++r) {
        q[r] = job.quantized + (row + r) * p.depth;
        corrections[r] = job.corrections + (row + r) * p.blocks;
    }
    for (int64_t b = 0; b < p.blocks; ++b) {
        int64_t slot = (tile * p.blocks + b) * kTileGroups + group;
        const uint8_t* w = p.nibbles.data() + slot * kGroupBytes;
        for (int g = 0; g < G; ++g)
            for (int c = 0; c < 4; ++c) {
                const char* line = reinterpret_cast<const char*>(w + g * kGroupBytes + c * 64);
                _mm_prefetch(line + kPrefetchBytes, _MM_HINT_T1);
                _mm_prefetch(line + kNearPrefetchBytes, _MM_HINT_T0);
            }
        __m512i products[R][G];
        for (int r = 0; r < R; ++r)
            for (int g = 0; g < G; ++g) products[r][g] = _mm512_setzero_si512();
        for (int c = 0; c < 4; ++c) {
            __m512i low[G], high[G];
            for (int g = 0; g < G; ++g) {
                __m512i bytes = _mm512_loadu_si512(w + g * kGroupBytes + c * 64);
                low[g] = _mm512_and_si512(bytes, mask);
                high[g] = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), mask);
            }
            for (int r = 0; r < R; ++r) {
                __m512i first = _mm512_set1_epi32(load32(q[r] + b * kBlock + 4 * c));
                __m512i second = _mm512_set1_epi32(load32(q[r] + b * kBlock + 16 + 4 * c));
                for (int g = 0; g < G; ++g) {
                    products[r][g] = _mm512_dpbusd_epi32(products[r][g], low[g], first);
                    products[r][g] = _mm512_dpbusd_epi32(products[r][g], high[g], second);
                }
            }
        }
        __m512 scales[G];
        for (int g = 0; g < G; ++g)
            scales[g] = _mm512_castsi512_ps(_mm512_slli_epi32(
                _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.scales.data() + (slot + g) * kGroup))), 16));
        for (int r = 0; r < R; ++r) {
            __m512i correction = _mm512_set1_epi32(corrections[r][b]);
            for (int g = 0; g < G; ++g)
                sums[r][g] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(products[r][g], correction)), scales[g], sums[r][g]);
        }
    }
    for (int g = 0; g < G; ++g) {
        int64_t unit = tile * kTileUnits + (group + g) * kGroup;
        if (unit >= p.units) break;
        for (int r = 0; r < R; ++r) storeUnits(job, row + r, unit, sums[r][g]);
    }
}

// One task: a tile of 64 units against a tile of rows. With AMX the row
// tile is every row (whole 16s on AMX, the rest by VNNI), so a tile's
// weights are unpacked once; else 4 rows (decode: all of its rows). Tasks
// that share a weight tile are numbered together, so a thread keeps that
// tile in its cache.
LS_VNNI void runTask(void* context, size_t task) {
    const Job& job = *static_cast<const Job*>(context);
    int64_t tile = static_cast<int64_t>(task) / job.rowTiles, rowTile = static_cast<int64_t>(task) % job.rowTiles;
    int64_t row = rowTile * job.rowsPerTask, end = std::min(job.rows, row + job.rowsPerTask);
    if (job.onAmx) {
        multiplyRowsAmx(job, row, end, tile);
        row += (end - row) / kAmxRows * kAmxRows;
    }
    for (; row + kPrefillRows <= end; row += kPrefillRows) {
        multiplyTile<kPrefillRows, 2>(job, row, tile, 0);
        multiplyTile<kPrefillRows, 2>(job, row, tile, 2);
    }
    for (; row < end; ++row) multiplyTile<1, 4>(job, row, tile, 0);
}

struct ScratchLayout {
    size_t quantized, corrections, rowScales, zeroPoints, total;
};

ScratchLayout scratchLayout(int64_t rows, int64_t depth) {
    auto align = [](size_t bytes) { return (bytes + 63) / 64 * 64; };
    ScratchLayout layout;
    layout.quantized = 0;
    layout.corrections = align(static_cast<size_t>(rows * depth));
    layout.rowScales = layout.corrections + align(static_cast<size_t>(rows * (depth / kBlock)) * 4);
    layout.zeroPoints = layout.rowScales + align(static_cast<size_t>(rows) * 4);
    layout.total = layout.zeroPoints + align(static_cast<size_t>(rows) * 4);
    return layout;
}

const Tensor& scalesTensorOf(const KernelContext& context, const RuntimeTensor& weights) {
    const Subgraph& subgraph = context.model->subgraphs[static_cast<size_t>(context.subgraph)];
    return subgraph.tensors[static_cast<size_t>(weights.quantization->scalesTensor)];
}

Status prepare(KernelContext& context) {
    const RuntimeTensor& weights = context.input(1);
    // Packed before the reference prepare runs, which then finds a state and
    // only checks the op and sets the output shape (no int8 copy of the
    // weights: twice the int4 bytes).
    if (!context.state) {
        const float* bias = context.hasInput(2) ? context.input(2).as<float>() : nullptr;
        const Tensor& scales = scalesTensorOf(context, weights);
        std::vector<uintptr_t> identity{kPackedKind,
                                        reinterpret_cast<uintptr_t>(weights.data),
                                        static_cast<uintptr_t>(weights.dim(0)),
                                        static_cast<uintptr_t>(weights.dim(1)),
                                        reinterpret_cast<uintptr_t>(scales.data.data()),
                                        static_cast<uintptr_t>(scales.type),
                                        static_cast<uintptr_t>(weights.quantization->blockSize),
                                        reinterpret_cast<uintptr_t>(bias)};
        context.state = sharedPackedWeights(context, identity, [&] {
            return pack(weights, scales, weights.quantization->blockSize, bias, static_cast<pthreadpool_t>(threadPoolOf(context)));
        });
    }
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_FULLY_CONNECTED)->prepare(context));
    const RuntimeTensor& input = context.input(0);
    int64_t depth = weights.dim(1);
    context.scratchBytes = scratchLayout(input.elementCount() / depth, depth).total;
    return Status::ok();
}

Status eval(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    Job job;
    job.weights = static_cast<const PackedWeights*>(context.state.get());
    job.input = input.as<float>();
    job.output = context.output(0).as<float>();
    job.rows = input.elementCount() / job.weights->depth;
    job.onAmx = job.rows >= kAmxRows && amxAvailable();
    job.rowsPerTask = job.onAmx ? job.rows : kPrefillRows;
    job.rowTiles = (job.rows + job.rowsPerTask - 1) / job.rowsPerTask;
    ScratchLayout layout = scratchLayout(job.rows, job.weights->depth);
    job.quantized = reinterpret_cast<int8_t*>(context.scratch + layout.quantized);
    job.corrections = reinterpret_cast<int32_t*>(context.scratch + layout.corrections);
    job.rowScales = reinterpret_cast<float*>(context.scratch + layout.rowScales);
    job.zeroPoints = reinterpret_cast<int32_t*>(context.scratch + layout.zeroPoints);
    auto pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    parallelize1d(pool, quantizeRow, &job, static_cast<size_t>(job.rows));
    parallelize1d(pool, runTask, &job, static_cast<size_t>(job.weights->tiles * job.rowTiles));
    return Status::ok();
}

const KernelDef kKernel{prepare, eval};

}  // namespace

const KernelDef* int4BlockwiseFullyConnectedKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    if (!cpuHasAvx512Vnni()) return nullptr;
    if (model.opCode(op).builtin != schema::BuiltinOperator_FULLY_CONNECTED || op.inputs.size() < 2 || op.inputs[0] < 0 ||
        op.inputs[1] < 0 || op.outputs.size() != 1 || op.outputs[0] < 0)
        return nullptr;
    auto tensorAt = [&](int index) -> const Tensor* {
        return index >= 0 && static_cast<size_t>(index) < subgraph.tensors.size() ? &subgraph.tensors[static_cast<size_t>(index)]
                                                                                 : nullptr;
    };
    const Tensor* input = tensorAt(op.inputs[0]);
    const Tensor* weights = tensorAt(op.inputs[1]);
    const Tensor* output = tensorAt(op.outputs[0]);
    if (!input || !weights || !output || input->type != DataType::Float32 || output->type != DataType::Float32) return nullptr;
    if (weights->type != DataType::Int4 || !weights->isConstant() || weights->shape.size() != 2) return nullptr;
    const Quantization& q = weights->quantization;
    if (q.scheme != Quantization::Scheme::Blockwise || q.zeroPointsTensor >= 0 || q.blockSize <= 0 || q.blockSize % kBlock != 0)
        return nullptr;
    int64_t units = weights->shape[0], depth = weights->shape[1];
    if (units <= 0 || depth <= 0 || depth % q.blockSize != 0) return nullptr;
    if (weights->data.size() < static_cast<size_t>((units * depth + 1) / 2)) return nullptr;
    const Tensor* scales = tensorAt(q.scalesTensor);
    if (!scales || !scales->isConstant() || (scales->type != DataType::Float16 && scales->type != DataType::Float32)) return nullptr;
    int64_t scaleCount = units * (depth / q.blockSize);
    if (scales->elementCount() != scaleCount ||
        scales->data.size() < static_cast<size_t>(scaleCount) * (scales->type == DataType::Float16 ? 2 : 4))
        return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
        const Tensor* bias = tensorAt(op.inputs[2]);
        if (!bias || bias->type != DataType::Float32 || !bias->isConstant() || bias->elementCount() != units ||
            bias->data.size() < static_cast<size_t>(units) * 4)
            return nullptr;
    }
    const auto* options = op.options ? op.options->builtin_options_as_FullyConnectedOptions() : nullptr;
    if (options && (options->fused_activation_function() != schema::ActivationFunctionType_NONE ||
                    options->weights_format() != schema::FullyConnectedOptionsWeightsFormat_DEFAULT))
        return nullptr;
    if (op.fusedActivation > 0) return nullptr;
    return &kKernel;
}

}  // namespace litestudio::cpu

#include "accelerators/cpu/float_spatial_moments.h"

#include <pthreadpool.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "accelerators/cpu/avx512_intrinsics.h"
#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int kMostVectors = 8;  // sums held in registers over a part's pixels
// Below this many floats an image a second part costs more than it saves.
constexpr int64_t kLeastSplitFloats = 64 * 1024;

int64_t paddedChannels(int64_t channels) { return (channels + kLanes - 1) / kLanes * kLanes; }

struct Moments {
    int64_t parts = 1;  // of each image's plane
};

struct MomentsRun {
    const float* input;
    const float* mean;  // the second pass's: [batch][channels]; null in the first
    double* partials;   // [batch][parts][paddedChannels], 64-byte aligned
    int64_t pixels, channels, padded, parts;
};

// Sums over pixels [first, end) of channels [c, c + 16 * Vectors): of x, or
// of (x - mean)^2 where `mean` is given. Runs of kRunPixels in float, added
// up in double: a float sum over a 64x64 plane of values near 3 was off by
// 1e-5 of the normalized outputs after it.
constexpr int64_t kRunPixels = 64;

template <int Vectors>
__attribute__((target("avx512f"))) void sumChannels(const MomentsRun& run, const float* image, const float* mean, int64_t c, int64_t first,
                                                  int64_t end, double* sums) {
    __m512 center[Vectors];
    __m512d total[Vectors][2];
    __mmask16 lanes[Vectors];
    for (int v = 0; v < Vectors; ++v) {
        total[v][0] = total[v][1] = _mm512_setzero_pd();
        lanes[v] = firstLanes(run.channels - c - v * kLanes);
        center[v] = mean ? _mm512_maskz_loadu_ps(lanes[v], mean + c + v * kLanes) : _mm512_setzero_ps();
    }
    for (int64_t begin = first; begin < end; begin += kRunPixels) {
        __m512 acc[Vectors];
        for (int v = 0; v < Vectors; ++v) acc[v] = _mm512_setzero_ps();
        for (int64_t p = begin; p < std::min(end, begin + kRunPixels); ++p) {
            const float* pixel = image + p * run.channels + c;
            for (int v = 0; v < Vectors; ++v) {
                const __m512 x = _mm512_maskz_loadu_ps(lanes[v], pixel + v * kLanes);
                if (mean) {
                    const __m512 d = _mm512_sub_ps(x, center[v]);
                    acc[v] = _mm512_fmadd_ps(d, d, acc[v]);
                } else {
                    acc[v] = _mm512_add_ps(acc[v], x);
                }
            }
        }
        for (int v = 0; v < Vectors; ++v) {
            total[v][0] = _mm512_add_pd(total[v][0], _mm512_cvtps_pd(_mm512_castps512_ps256(acc[v])));
            total[v][1] = _mm512_add_pd(total[v][1], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[v]), 1))));
        }
    }
    for (int v = 0; v < Vectors; ++v) {
        _mm512_storeu_pd(sums + c + v * kLanes, total[v][0]);
        _mm512_storeu_pd(sums + c + v * kLanes + 8, total[v][1]);
    }
}

template <int... V>
void sumChannelsOf(int vectors, const MomentsRun& run, const float* image, const float* mean, int64_t c, int64_t first, int64_t end, double* sums,
                   std::integer_sequence<int, V...>) {
    ((vectors == V + 1 ? sumChannels<V + 1>(run, image, mean, c, first, end, sums) : void()), ...);
}

// One part of one image's plane: its sums for every channel.
void sumPart(void* context, size_t task) {
    const auto& run = *static_cast<const MomentsRun*>(context);
    const auto image = static_cast<int64_t>(task) / run.parts, part = static_cast<int64_t>(task) % run.parts;
    const int64_t first = run.pixels * part / run.parts, end = run.pixels * (part + 1) / run.parts;
    const float* input = run.input + image * run.pixels * run.channels;
    const float* mean = run.mean ? run.mean + image * run.channels : nullptr;
    double* sums = run.partials + static_cast<int64_t>(task) * run.padded;
    for (int64_t c = 0; c < run.channels; c += kMostVectors * kLanes) {
        const auto vectors = static_cast<int>(std::min<int64_t>(kMostVectors, (run.channels - c + kLanes - 1) / kLanes));
        sumChannelsOf(vectors, run, input, mean, c, first, end, sums, std::make_integer_sequence<int, kMostVectors>());
    }
}

// The parts' sums of each channel over the pixel count, into `out` [batch][channels].
void averageParts(const MomentsRun& run, int64_t batch, float* out) {
    const auto count = static_cast<double>(run.pixels);
    for (int64_t image = 0; image < batch; ++image)
        for (int64_t c = 0; c < run.channels; ++c) {
            double sum = 0.0;
            for (int64_t part = 0; part < run.parts; ++part) sum += run.partials[(image * run.parts + part) * run.padded + c];
            out[image * run.channels + c] = static_cast<float>(sum / count);
        }
}

Status prepareMoments(KernelContext& context) {
    // The fusion matched axes 1 and 2, kept; the shapes follow from x's.
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 2));
    const RuntimeTensor& input = context.input(0);
    if (input.rank() != 4 || input.type != DataType::Float32 || input.dim(1) <= 0 || input.dim(2) <= 0 || input.dim(3) <= 0)
        return context.error("takes the moments of a float32 [N, H, W, C] with a plane and channels, got " + input.name + " " +
                             shapeText(input.shape));
    const std::vector<int32_t> reduced = {input.dim(0), 1, 1, input.dim(3)};
    for (int output = 0; output < 2; ++output) {
        RuntimeTensor& tensor = context.output(output);
        if (tensor.type != DataType::Float32) return context.error("writes float32 moments, not " + tensor.name);
        tensor.shape = reduced;
    }
    auto moments = std::make_shared<Moments>();
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t pixels = int64_t{input.dim(1)} * input.dim(2);
    if (pool && input.elementCount() >= kLeastSplitFloats)
        moments->parts = std::min<int64_t>(static_cast<int64_t>(pthreadpool_get_threads_count(pool)), pixels);
    context.scratchBytes = static_cast<size_t>(int64_t{input.dim(0)} * moments->parts * paddedChannels(input.dim(3))) * sizeof(double) + 64;
    context.state = moments;
    return Status::ok();
}

Status evalMoments(KernelContext& context) {
    const auto& moments = *static_cast<const Moments*>(context.state.get());
    const RuntimeTensor& input = context.input(0);
    const int64_t batch = input.dim(0);
    MomentsRun run{input.as<float>(), nullptr, reinterpret_cast<double*>(alignedScratch(context)), int64_t{input.dim(1)} * input.dim(2), input.dim(3),
                   paddedChannels(input.dim(3)), moments.parts};
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    float* mean = context.output(0).as<float>();
    parallelize1d(pool, sumPart, &run, static_cast<size_t>(batch * run.parts));
    averageParts(run, batch, mean);
    run.mean = mean;
    parallelize1d(pool, sumPart, &run, static_cast<size_t>(batch * run.parts));
    averageParts(run, batch, context.output(1).as<float>());
    return Status::ok();
}

}  // namespace

const KernelDef* floatSpatialMomentsKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareMoments, .eval = evalMoments};
    if (!cpuHasAvx512() || !op.fusedMoments || model.opCode(op).builtin != schema::BuiltinOperator_MEAN || op.inputs.size() != 2 ||
        op.outputs.size() != 2 || op.inputs[0] < 0 || op.outputs[0] < 0 || op.outputs[1] < 0)
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    for (const int output : op.outputs)
        if (subgraph.tensors[static_cast<size_t>(output)].type != DataType::Float32) return nullptr;
    return input.type == DataType::Float32 && input.shape.size() == 4 ? &kernel : nullptr;
}

}  // namespace litestudio::cpu

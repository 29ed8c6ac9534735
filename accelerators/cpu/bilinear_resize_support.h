#pragma once
// What the two bilinear resize kernels (float, and 8-bit of one
// quantization) share: the samples of every output column, and per thread
// the last two input rows resampled to the output's width.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"
#include "core/kernels/reference/bilinear_sampling.h"

namespace litestudio::cpu {

// What both kernels work out in prepare. The column samples are tabled
// once (columns[o] for output column o): every input row a thread resamples
// reads them all, and the sampler's float steps and rounding cost more than
// blending a pixel of 8 channels. The table is empty for an empty output,
// which never runs; an output or a table too large for memory, or the two
// together with each thread's resampled rows, is an error in prepare: a
// hostile size of 2^30 columns must not allocate a table.
struct BilinearResizeGeometry {
    int inH = 0, inW = 0, channels = 0, outH = 0, outW = 0;
    reference::BilinearSampler rows;
    std::vector<reference::BilinearSample> columns;
};

// A RESIZE_BILINEAR of a 4-D input to a constant size (one output), the op
// both kernels take before looking at the types; with a folded ADD
// (Op::fusedResidual), its tensor as a third input.
bool isConstantSizeResize(const Model& model, const Subgraph& subgraph, const Op& op);

// The reference prepare (output shape, checks), then `geometry` from the
// op's tensors and sampling convention.
Status prepareBilinearResize(KernelContext& context, BilinearResizeGeometry& geometry);

// task(argument, first, count) over every output row of every image, in a
// few runs of consecutive rows a thread (each resamples its input rows
// once), on the pool.
Status runResizeRows(KernelContext& context, const BilinearResizeGeometry& geometry, void (*task)(void*, size_t, size_t), void* argument);

// Bytes of a resampled value: float for the float kernel, int32 for the
// 8-bit one (prepare counts the rows' memory by it).
constexpr size_t kResampledValueBytes = 4;

// The last two input rows one thread resampled, kept while the output rows
// it works through (in order) read them again.
template <typename Value>
struct ResampledRows {
    static_assert(sizeof(Value) == kResampledValueBytes, "prepareBilinearResize counts rows of this size");
    std::vector<Value> rows[2];
    int64_t source[2] = {-1, -1};  // image * inH + y of each, -1: none

    // Another op or another run: other data.
    void forget() { source[0] = source[1] = -1; }

    // Input row `key` resampled (`length` values), by resample(Value*) unless
    // one slot holds it; the slot holding `keep` is not reused.
    template <typename Resample>
    const Value* get(int64_t key, int64_t keep, size_t length, Resample resample) {
        for (int i = 0; i < 2; ++i)
            if (source[i] == key) return rows[i].data();
        const int slot = source[0] == keep ? 1 : 0;
        if (rows[slot].size() < length) rows[slot].resize(length);
        resample(rows[slot].data());
        source[slot] = key;
        return rows[slot].data();
    }
};

}  // namespace litestudio::cpu

#pragma once
// The rows of a 1x1 convolution's result that a depthwise convolution reads,
// made only when an output row first needs them (float_pointwise_convolution's
// GEMM) into a ring of kernel-size rows: row iy lives in slot iy % k, so the
// k consecutive rows one output row reads never share a slot. A plan
// dilated over rows (rows d apart) takes its output rows phase by phase
// (ringOrderRow): the rows of one phase read only every d-th row, and row
// iy lives in slot (iy / d) % k. Output rows
// taken in that order within an image make each row of the result once; a
// thread taking a band of rows keeps a ring of its own. Used where the
// runtime fused the 1x1 into the depthwise (Op::fusedExpansion):
// float_expanded_depthwise and float_separable_block.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "accelerators/cpu/float_depthwise_convolution.h"
#include "accelerators/cpu/float_pointwise_convolution.h"
#include "core/graph/model.h"
#include "core/kernels/kernel.h"
#include "core/support/status.h"

namespace litestudio::cpu {

// The channels of the 1x1's result when `op` (an Op::fusedExpansion) has
// one a ring pays for: float32 input 0, a dense constant float32 1x1
// filter at input `filterInput` ([C, 1, 1, input channels]) and a constant
// bias or none after it, a clamp activation, and a result of 1 MiB or
// more. Otherwise -1.
int64_t expansionChannels(const Subgraph& subgraph, const Op& op, size_t filterInput);

// A constant float32 (or float16) tensor, or -1 for an omitted input.
bool isFloatConstantOrAbsent(const Subgraph& subgraph, int tensor);

// Output rows split into bands, one a thread (each band makes the rows it
// shares with the next again; finer bands would make more), each band with
// its own scratch of `floatsPerBand` floats.
struct RowBands {
    int64_t rowsPerBand = 0, bands = 0;
};

// The bands for `rows` output rows on the context's threads. Sets the
// context's scratch to bands x floatsPerBand floats and 16 more (to align
// the first band to 64 bytes), or says what the rings would exceed: they
// are never allocated whole anywhere else, so nothing checked their size.
Status splitIntoBands(KernelContext& context, int64_t rows, size_t floatsPerBand, RowBands& split);

// At eval, the first band's scratch that splitIntoBands asked for, 64-byte
// aligned; band b's is floatsPerBand x b floats on.
float* bandScratch(const KernelContext& context);

class ExpansionRing {
public:
    // Floats one ring takes (whole 64-byte lines) for `plan`, whose inW and
    // channels are the 1x1 result's.
    static size_t floatsFor(const DepthwisePlan& plan);

    // `storage`: floatsFor(plan) floats, 64-byte aligned, the ring's own.
    ExpansionRing(const PointwiseWeights& expansion, const DepthwisePlan& plan, float* storage);

    // The rows output row `oy` of image `batch` reads; `input` is the 1x1's
    // NHWC input, every image.
    InputRows rowsFor(const float* input, int64_t batch, int64_t oy);

private:
    const PointwiseWeights& expansion_;
    const DepthwisePlan& plan_;
    float* storage_;
    int64_t image_ = -1;
    std::array<int64_t, 7> slotHolds_{};  // the row of the result each slot holds, -1 for none
};

// The output row the ring takes `index`-th of an image's: in order, or
// for a plan dilated over rows phase by phase (oy = q, q + d, ...).
inline int64_t ringOrderRow(const DepthwisePlan& plan, int64_t index) {
    const int64_t d = plan.dilationH;
    for (int64_t q = 0; q < d; ++q) {
        const int64_t rows = (plan.outH - q + d - 1) / d;
        if (index < rows) return q + index * d;
        index -= rows;
    }
    return index;
}

// Output rows [band * rowsPerBand, ...) of `plan` (over every image) in
// the ring's order: rowDone(rows, row) for each, with the rows it reads
// made in a ring of the band's own at `storage`. `input` is the 1x1's input.
template <typename RowDone>
void runBandRows(const PointwiseWeights& expansion, const DepthwisePlan& plan, const float* input, int64_t band, int64_t rowsPerBand,
                 float* storage, RowDone rowDone) {
    ExpansionRing ring(expansion, plan, storage);
    const int64_t first = band * rowsPerBand, end = std::min(plan.batch * plan.outH, first + rowsPerBand);
    for (int64_t index = first; index < end; ++index) {
        const int64_t batch = index / plan.outH, oy = ringOrderRow(plan, index % plan.outH);
        rowDone(ring.rowsFor(input, batch, oy), batch * plan.outH + oy);
    }
}

}  // namespace litestudio::cpu

// SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND over NHWC (a 3-D [batch, height,
// channels] input is one column wide), as TFLite's reference kernels: the
// batch index carries the offset inside each block (row-major over the
// block), padding takes the output's zero (its zero point when quantized).
// What older converters wrote around atrous convolutions (DeepLab).

#include <algorithm>
#include <string>

#include "core/kernels/reference/element_copier.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

// The block and its padding (SPACE_TO_BATCH_ND) or crops (BATCH_TO_SPACE_ND)
// as 4-D NHWC, from inputs 1 and 2.
struct BlockGeometry {
    int64_t blockH = 1, blockW = 1, before[2] = {0, 0}, after[2] = {0, 0};
};

// The geometry, or an error naming what is wrong; `known` false when
// inputs 1 and 2 come only at run time.
Expected<BlockGeometry> geometryOf(const KernelContext& context, bool& known) {
    const RuntimeTensor& input = context.input(0);
    known = context.knows(context.input(1)) && context.knows(context.input(2));
    if (input.rank() != 3 && input.rank() != 4) return context.error("needs a 3-D or 4-D input (NHWC), got " + shapeText(input.shape));
    const int32_t spatial = input.rank() - 2;
    const RuntimeTensor& blockTensor = context.input(1);
    const RuntimeTensor& edgeTensor = context.input(2);
    if (blockTensor.shape != std::vector<int32_t>{spatial} || edgeTensor.shape != std::vector<int32_t>{spatial, 2})
        return context.error("needs a block shape [" + std::to_string(spatial) + "] and paddings or crops [" + std::to_string(spatial) +
                             ", 2], got " + shapeText(blockTensor.shape) + " and " + shapeText(edgeTensor.shape));
    if (!known) return BlockGeometry{};
    const std::vector<int64_t> block = readIntegers(blockTensor), edges = readIntegers(edgeTensor);
    BlockGeometry g;
    for (size_t d = 0; d < static_cast<size_t>(spatial); ++d) {
        if (block[d] < 1 || block[d] > 4096) return context.error("block size " + std::to_string(block[d]) + " is not in 1..4096");
        if (edges[2 * d] < 0 || edges[2 * d + 1] < 0 || edges[2 * d] > (1 << 24) || edges[2 * d + 1] > (1 << 24))
            return context.error("paddings and crops must be in 0..2^24");
        g.before[d] = edges[2 * d], g.after[d] = edges[2 * d + 1];
    }
    g.blockH = block[0];
    g.blockW = spatial > 1 ? block[1] : 1;
    return g;
}

// [batch, height, width, channels] of a 3-D or 4-D NHWC tensor.
std::array<int64_t, 4> asFourDimensions(const RuntimeTensor& tensor) {
    if (tensor.rank() == 3) return {tensor.dim(0), tensor.dim(1), 1, tensor.dim(2)};
    return {tensor.dim(0), tensor.dim(1), tensor.dim(2), tensor.dim(3)};
}

bool toBatch(const KernelContext& context) {
    return context.model->opCode(*context.op).builtin == schema::BuiltinOperator_SPACE_TO_BATCH_ND;
}

Status prepareBatchSpace(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 3, 3, 1));
    bool known = false;
    auto g = geometryOf(context, known);
    if (!g) return g.status();
    if (!known) return Status::ok();
    const RuntimeTensor& input = context.input(0);
    const auto [batch, height, width, channels] = asFourDimensions(input);
    const int64_t blocks = g->blockH * g->blockW;
    int64_t outBatch, outH, outW;
    if (toBatch(context)) {
        const int64_t paddedH = height + g->before[0] + g->after[0], paddedW = width + g->before[1] + g->after[1];
        if (paddedH % g->blockH || paddedW % g->blockW)
            return context.error("padded plane " + std::to_string(paddedH) + "x" + std::to_string(paddedW) + " does not divide by the block");
        outBatch = batch * blocks, outH = paddedH / g->blockH, outW = paddedW / g->blockW;
    } else {
        if (batch % blocks) return context.error("batch " + std::to_string(batch) + " does not divide by the block's " + std::to_string(blocks));
        outBatch = batch / blocks, outH = height * g->blockH - g->before[0] - g->after[0], outW = width * g->blockW - g->before[1] - g->after[1];
        if (outH < 0 || outW < 0) return context.error("crops exceed the plane");
    }
    if (outBatch > INT32_MAX || outH > INT32_MAX || outW > INT32_MAX) return context.error("output is too large");
    if (input.rank() == 3) context.output(0).shape = {int32_t(outBatch), int32_t(outH), int32_t(channels)};
    else context.output(0).shape = {int32_t(outBatch), int32_t(outH), int32_t(outW), int32_t(channels)};
    return Status::ok();
}

Status evalBatchSpace(KernelContext& context) {
    bool known = false;
    auto g = geometryOf(context, known);
    if (!g) return g.status();
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    const auto [inBatch, inH, inW, channels] = asFourDimensions(input);
    const auto [outBatch, outH, outW, outChannels] = asFourDimensions(out);
    const bool spaceToBatch = toBatch(context);
    // The block sizes and edges may be values computed in this run: check
    // them against the planned output before indexing with them.
    const int64_t blocks = g->blockH * g->blockW;
    const bool consistent =
        out.rank() == input.rank() && outChannels == channels &&
        (spaceToBatch ? outBatch == inBatch * blocks && outH * g->blockH == inH + g->before[0] + g->after[0] &&
                            outW * g->blockW == inW + g->before[1] + g->after[1]
                      : inBatch == outBatch * blocks && outH == inH * g->blockH - g->before[0] - g->after[0] &&
                            outW == inW * g->blockW - g->before[1] - g->after[1]);
    if (!consistent) return context.error("block and edges do not turn " + shapeText(input.shape) + " into the planned " + shapeText(out.shape));
    ElementCopier copy(input, out);
    if (spaceToBatch) {
        // Padding: the output's zero, a pixel of it made once (a float
        // 64x64x64 SPACE_TO_BATCH_ND had spent a quarter of its time in
        // 4-byte copies of a zero).
        std::vector<uint8_t> zeroPixel(static_cast<size_t>(channels) * copy.elementBytes, 0);
        if (out.isQuantized() && (out.type == DataType::UInt8 || out.type == DataType::Int8))
            std::fill(zeroPixel.begin(), zeroPixel.end(), static_cast<uint8_t>(out.zeroPoint()));
        for (int64_t b = 0; b < outBatch; ++b) {
            const int64_t source = b % inBatch, shiftW = (b / inBatch) % g->blockW, shiftH = (b / inBatch) / g->blockW;
            for (int64_t y = 0; y < outH; ++y) {
                const int64_t iy = y * g->blockH + shiftH - g->before[0];
                int64_t to = (b * outH + y) * outW * channels;
                int64_t ix = shiftW - g->before[1];
                const int64_t from = (source * inH + iy) * inW * channels;
                for (int64_t x = 0; x < outW; ++x, ix += g->blockW, to += channels) {
                    if (iy < 0 || iy >= inH || ix < 0 || ix >= inW)
                        copyBytes(out.data + static_cast<size_t>(to) * copy.elementBytes, zeroPixel.data(), zeroPixel.size());
                    else
                        copy.run(from + ix * channels, to, channels);
                }
            }
        }
        return Status::ok();
    }
    for (int64_t b = 0; b < inBatch; ++b) {
        const int64_t target = b % outBatch, offset = b / outBatch, shiftH = offset / g->blockW, shiftW = offset % g->blockW;
        for (int64_t y = 0; y < inH; ++y) {
            const int64_t oy = y * g->blockH + shiftH - g->before[0];
            if (oy < 0 || oy >= outH) continue;
            for (int64_t x = 0; x < inW; ++x) {
                const int64_t ox = x * g->blockW + shiftW - g->before[1];
                if (ox < 0 || ox >= outW) continue;
                copy.run(((b * inH + y) * inW + x) * channels, ((target * outH + oy) * outW + ox) * channels, channels);
            }
        }
    }
    return Status::ok();
}

}  // namespace

void addBatchSpaceKernels(KernelTable& table) {
    table[schema::BuiltinOperator_SPACE_TO_BATCH_ND] = {prepareBatchSpace, evalBatchSpace};
    table[schema::BuiltinOperator_BATCH_TO_SPACE_ND] = {prepareBatchSpace, evalBatchSpace};
}

}  // namespace litestudio::reference

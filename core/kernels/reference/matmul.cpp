// FULLY_CONNECTED and BATCH_MATMUL. Operands are converted to float32 in
// scratch (dequantizing int8/uint8, per-channel and int4 weights), then
// multiplied with double accumulation. Blockwise weights have their own
// kernel (blockwise_fully_connected.cpp).

#include <algorithm>

#include "core/kernels/reference/blockwise_fully_connected.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

// Blockwise weights of BATCH_MATMUL and multi-axis quantization appear in
// no model we know of; they are refused rather than guessed at.
Status rejectBlockwise(const KernelContext& context, const RuntimeTensor& weights) {
    if (weights.quantization && (weights.quantization->scheme == Quantization::Scheme::Blockwise ||
                                 weights.quantization->scheme == Quantization::Scheme::MultiAxis))
        return context.error("blockwise-quantized operand '" + weights.name + "' is supported only as FULLY_CONNECTED weights");
    return Status::ok();
}

Status prepareFullyConnected(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 3, 1));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& weights = context.input(1);
    if (hasBlockwiseWeights(weights)) {
        LS_RETURN_IF_ERROR(prepareBlockwiseFullyConnected(context));
    } else {
        LS_RETURN_IF_ERROR(rejectBlockwise(context, weights));
    }
    if (weights.rank() != 2) return context.error("weights must be 2-D [units, depth]");
    int32_t units = weights.dim(0), depth = weights.dim(1);
    if (depth == 0 || input.elementCount() % depth != 0)
        return context.error("input of " + std::to_string(input.elementCount()) + " elements does not split into rows of " +
                             std::to_string(depth));
    const auto* options = context.op->options->builtin_options_as_FullyConnectedOptions();
    if (options && options->weights_format() != schema::FullyConnectedOptionsWeightsFormat_DEFAULT)
        return context.error("shuffled weight formats are not supported");
    if (options && options->keep_num_dims()) {
        std::vector<int32_t> shape = input.shape;
        shape.back() = units;
        context.output(0).shape = shape;
    } else {
        context.output(0).shape = {static_cast<int32_t>(input.elementCount() / depth), units};
    }
    if (!hasBlockwiseWeights(weights))
        context.scratchBytes = floatScratchBytes(input) + floatScratchBytes(weights) +
                               (context.hasInput(2) ? floatScratchBytes(context.input(2)) : 0);
    return Status::ok();
}

Status evalQuantizedFullyConnected(KernelContext& context, schema::ActivationFunctionType activation) {
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& weights = context.input(1);
    RuntimeTensor& out = context.output(0);
    QuantizedOperand x{&input}, w{&weights};
    const int32_t* bias = context.hasInput(2) ? context.input(2).as<int32_t>() : nullptr;
    Requantizer requantize(input, weights, out, activation);
    int64_t units = weights.dim(0), depth = weights.dim(1), rows = input.elementCount() / depth;
    int32_t inputZero = x.zeroPoint(0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t u = 0; u < units; ++u) {
            // int64, wrapped to int32 at the end as int32 hardware sums wrap (a hostile bias overflowed int32).
            int64_t accumulator = bias ? bias[u] : 0;
            const int32_t weightZero = w.zeroPoint(u);
            for (int64_t k = 0; k < depth; ++k)
                accumulator += (x.raw(r * depth + k) - inputZero) * (w.raw(u * depth + k) - weightZero);
            int32_t value = requantize(static_cast<int32_t>(accumulator), u);
            if (out.type == DataType::UInt8) out.as<uint8_t>()[r * units + u] = static_cast<uint8_t>(value);
            else out.as<int8_t>()[r * units + u] = static_cast<int8_t>(value);
        }
    return Status::ok();
}

Status evalFullyConnected(KernelContext& context) {
    {
        const auto* options = context.op->options->builtin_options_as_FullyConnectedOptions();
        auto activation = options ? options->fused_activation_function() : schema::ActivationFunctionType_NONE;
        if (hasBlockwiseWeights(context.input(1))) return evalBlockwiseFullyConnected(context, activation);
        if (useIntegerPath(context)) return evalQuantizedFullyConnected(context, activation);
    }
    const RuntimeTensor& inputTensor = context.input(0);
    const RuntimeTensor& weightTensor = context.input(1);
    FloatScratch scratch(context.scratch);
    const float* input = scratch.convert(inputTensor);
    const float* weights = scratch.convert(weightTensor);
    bool hasBias = context.hasInput(2);
    const float* bias = hasBias ? scratch.convert(context.input(2)) : nullptr;
    const auto* options = context.op->options->builtin_options_as_FullyConnectedOptions();
    auto activation = options ? options->fused_activation_function() : schema::ActivationFunctionType_NONE;
    int64_t units = weightTensor.dim(0), depth = weightTensor.dim(1), rows = inputTensor.elementCount() / depth;
    ValueWriter write(context.output(0));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t u = 0; u < units; ++u) {
            const float* x = input + r * depth;
            const float* w = weights + u * depth;
            double sum = hasBias ? bias[u] : 0.0;
            for (int64_t k = 0; k < depth; ++k) sum += double(x[k]) * w[k];
            write(r * units + u, applyActivation(sum, activation));
        }
    return Status::ok();
}

Status prepareBatchMatmul(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 1));
    const RuntimeTensor& a = context.input(0);
    const RuntimeTensor& b = context.input(1);
    LS_RETURN_IF_ERROR(rejectBlockwise(context, b));
    if (a.rank() < 2 || b.rank() < 2) return context.error("operands need at least 2 dimensions");
    const auto* options = context.op->options->builtin_options_as_BatchMatMulOptions();
    bool adjA = options && options->adj_x(), adjB = options && options->adj_y();
    int32_t m = adjA ? a.dim(a.rank() - 1) : a.dim(a.rank() - 2);
    int32_t k = adjA ? a.dim(a.rank() - 2) : a.dim(a.rank() - 1);
    int32_t kb = adjB ? b.dim(b.rank() - 1) : b.dim(b.rank() - 2);
    int32_t n = adjB ? b.dim(b.rank() - 2) : b.dim(b.rank() - 1);
    if (k != kb) return context.error("inner dimensions differ: " + std::to_string(k) + " and " + std::to_string(kb));
    std::vector<int32_t> batchA(a.shape.begin(), a.shape.end() - 2), batchB(b.shape.begin(), b.shape.end() - 2);
    auto batch = broadcastShape(context, batchA, batchB);
    if (!batch) return batch.status();
    std::vector<int32_t> shape = *batch;
    shape.push_back(m);
    shape.push_back(n);
    context.output(0).shape = shape;
    context.scratchBytes = floatScratchBytes(a) + floatScratchBytes(b);
    return Status::ok();
}

Status evalBatchMatmul(KernelContext& context) {
    const RuntimeTensor& aTensor = context.input(0);
    const RuntimeTensor& bTensor = context.input(1);
    RuntimeTensor& out = context.output(0);
    FloatScratch scratch(context.scratch);
    const float* a = scratch.convert(aTensor);
    const float* b = scratch.convert(bTensor);
    const auto* options = context.op->options->builtin_options_as_BatchMatMulOptions();
    bool adjA = options && options->adj_x(), adjB = options && options->adj_y();
    int64_t m = out.dim(out.rank() - 2), n = out.dim(out.rank() - 1);
    int64_t k = adjA ? aTensor.dim(aTensor.rank() - 2) : aTensor.dim(aTensor.rank() - 1);
    std::vector<int32_t> outBatch(out.shape.begin(), out.shape.end() - 2);
    std::vector<int32_t> batchA(aTensor.shape.begin(), aTensor.shape.end() - 2), batchB(bTensor.shape.begin(), bTensor.shape.end() - 2);
    Broadcast broadcast = makeBroadcast(outBatch, {batchA, batchB});
    int64_t batches = 1;
    for (int32_t dim : outBatch) batches *= dim;
    ValueWriter write(out);
    // B is laid out in panels of eight columns ([panel][p][column]), and A
    // given transposed in rows, once per matrix (a batch broadcast against
    // one B packs it once), so that eight outputs of a row are summed side
    // by side from contiguous values: the column walk of B (n floats apart)
    // with one dependent double add per product made 512x256x1280 take
    // 0.3 s in release and 22 s under ASan. Each sum still adds its
    // products in order p = 0 .. k - 1.
    constexpr int64_t kPanel = 8;
    const int64_t panels = (n + kPanel - 1) / kPanel;
    std::vector<float> rowsA(static_cast<size_t>(adjA ? m * k : 0)), panelsB(static_cast<size_t>(panels * k * kPanel));
    int64_t offsets[2], packedA = -1, packedB = -1;
    for (int64_t batch = 0; batch < batches; ++batch) {
        broadcast.offsets(batch, offsets);
        const float* matrixA = a + offsets[0] * m * k;
        const float* matrixB = b + offsets[1] * k * n;
        if (adjA && offsets[0] != packedA) {
            for (int64_t i = 0; i < m; ++i)
                for (int64_t p = 0; p < k; ++p) rowsA[static_cast<size_t>(i * k + p)] = matrixA[p * m + i];
            packedA = offsets[0];
        }
        if (adjA) matrixA = rowsA.data();
        if (offsets[1] != packedB) {
            for (int64_t j = 0; j < panels * kPanel; ++j)
                for (int64_t p = 0; p < k; ++p)
                    panelsB[static_cast<size_t>(((j / kPanel) * k + p) * kPanel + j % kPanel)] =
                        j >= n ? 0.0f : adjB ? matrixB[j * k + p] : matrixB[p * n + j];
            packedB = offsets[1];
        }
        for (int64_t i = 0; i < m; ++i) {
            const float* row = matrixA + i * k;
            for (int64_t panel = 0; panel < panels; ++panel) {
                const float* columns = panelsB.data() + panel * k * kPanel;
                double sums[kPanel] = {};
                for (int64_t p = 0; p < k; ++p)
                    for (int64_t c = 0; c < kPanel; ++c) sums[c] += double(row[p]) * double(columns[p * kPanel + c]);
                for (int64_t c = 0; c < kPanel && panel * kPanel + c < n; ++c) write((batch * m + i) * n + panel * kPanel + c, sums[c]);
            }
        }
    }
    return Status::ok();
}

}  // namespace

void addMatmulKernels(KernelTable& table) {
    table[schema::BuiltinOperator_FULLY_CONNECTED] = {prepareFullyConnected, evalFullyConnected};
    table[schema::BuiltinOperator_BATCH_MATMUL] = {prepareBatchMatmul, evalBatchMatmul};
}

}  // namespace litestudio::reference

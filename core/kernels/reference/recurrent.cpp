// Recurrent ops: LSTM (one step), UNIDIRECTIONAL_SEQUENCE_LSTM (a sequence)
// and SVDF. Their states are variable tensors that keep their values from
// one run to the next, as the model expects.
//
// Arithmetic is float32 for every tensor type: quantized weights and states
// are read dequantized and states are written back with their own
// quantization. For fully-integer models this is not TFLite's integer LSTM
// (int16 gate fixed point); results agree to within the states' and
// outputs' quantization steps rather than bit for bit.

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

// TFLite's LSTM input slots.
enum LstmInput : size_t {
    kInput = 0,
    kInputToInput = 1, kInputToForget, kInputToCell, kInputToOutput,
    kRecurrentToInput = 5, kRecurrentToForget, kRecurrentToCell, kRecurrentToOutput,
    kCellToInput = 9, kCellToForget, kCellToOutput,
    kInputGateBias = 12, kForgetGateBias, kCellBias, kOutputGateBias,
    kProjectionWeights = 16, kProjectionBias,
    kOutputState = 18, kCellState,
    kInputLayerNorm = 20, kForgetLayerNorm, kCellLayerNorm, kOutputLayerNorm,
};

enum Gate { kInputGate = 0, kForgetGate, kCellGate, kOutputGate };

struct LstmOptions {
    schema::ActivationFunctionType activation = schema::ActivationFunctionType_TANH;
    float cellClip = 0, projectionClip = 0;
    bool timeMajor = false, sequence = false;
};

LstmOptions lstmOptions(const KernelContext& context) {
    LstmOptions result;
    if (const auto* o = context.op->options->builtin_options_as_LSTMOptions()) {
        result.activation = o->fused_activation_function();
        result.cellClip = o->cell_clip();
        result.projectionClip = o->proj_clip();
    } else if (const auto* u = context.op->options->builtin_options_as_UnidirectionalSequenceLSTMOptions()) {
        result.activation = u->fused_activation_function();
        result.cellClip = u->cell_clip();
        result.projectionClip = u->proj_clip();
        result.timeMajor = u->time_major();
        result.sequence = true;
    }
    return result;
}

struct LstmShape {
    int batches = 0, steps = 0, inputSize = 0, cells = 0, outputs = 0;
};

Expected<LstmShape> lstmShape(const KernelContext& context, const LstmOptions& options) {
    if (context.inputs.size() != 20 && context.inputs.size() != 24)
        return context.error("expected 20 or 24 inputs (the full LSTM kernel), got " + std::to_string(context.inputs.size()));
    for (size_t required : {kInput, kInputToForget, kInputToCell, kInputToOutput, kRecurrentToForget, kRecurrentToCell,
                            kRecurrentToOutput, kForgetGateBias, kCellBias, kOutputGateBias, kOutputState, kCellState})
        if (!context.hasInput(required)) return context.error("input " + std::to_string(required) + " is required but omitted");
    const RuntimeTensor& input = context.input(kInput);
    LstmShape shape;
    if (options.sequence) {
        if (input.rank() != 3) return context.error("needs a 3-D input [batch, time, features] (or time-major)");
        shape.batches = options.timeMajor ? input.dim(1) : input.dim(0);
        shape.steps = options.timeMajor ? input.dim(0) : input.dim(1);
    } else {
        if (input.rank() != 2) return context.error("needs a 2-D input [batch, features]");
        shape.batches = input.dim(0);
        shape.steps = 1;
    }
    shape.inputSize = input.dim(input.rank() - 1);
    const RuntimeTensor& inputToCell = context.input(kInputToCell);
    const RuntimeTensor& recurrentToCell = context.input(kRecurrentToCell);
    if (inputToCell.rank() != 2 || inputToCell.dim(1) != shape.inputSize)
        return context.error("input-to-cell weights must be [cells, " + std::to_string(shape.inputSize) + "]");
    shape.cells = inputToCell.dim(0);
    if (recurrentToCell.rank() != 2 || recurrentToCell.dim(0) != shape.cells)
        return context.error("recurrent-to-cell weights must be [" + std::to_string(shape.cells) + ", outputs]");
    shape.outputs = recurrentToCell.dim(1);
    if (context.hasInput(kProjectionWeights)) {
        const RuntimeTensor& projection = context.input(kProjectionWeights);
        if (projection.rank() != 2 || projection.dim(1) != shape.cells || projection.dim(0) != shape.outputs)
            return context.error("projection weights must be [outputs, cells]");
    } else if (shape.outputs != shape.cells) {
        return context.error("without projection the output size must equal the cell count");
    }
    for (size_t gate = 0; gate < 4; ++gate) {
        size_t weights = kInputToInput + gate, recurrent = kRecurrentToInput + gate, bias = kInputGateBias + gate;
        if (!context.hasInput(weights)) continue;  // CIFG: no input gate
        if (context.input(weights).elementCount() != int64_t(shape.cells) * shape.inputSize ||
            !context.hasInput(recurrent) || context.input(recurrent).elementCount() != int64_t(shape.cells) * shape.outputs ||
            !context.hasInput(bias) || context.input(bias).elementCount() != shape.cells)
            return context.error("gate " + std::to_string(gate) + " weights or bias have the wrong size");
    }
    if (context.input(kOutputState).elementCount() != int64_t(shape.batches) * shape.outputs ||
        context.input(kCellState).elementCount() != int64_t(shape.batches) * shape.cells)
        return context.error("state tensors do not match [batch, outputs] and [batch, cells]");
    return shape;
}

Status prepareLstm(KernelContext& context) {
    LstmOptions options = lstmOptions(context);
    auto shape = lstmShape(context, options);
    if (!shape) return shape.status();
    if (context.outputs.size() != 1) return context.error("expected 1 output");
    const RuntimeTensor& input = context.input(kInput);
    std::vector<int32_t> outShape = input.shape;
    outShape.back() = shape->outputs;
    context.output(0).shape = outShape;
    // Scratch: previous output, cell state, four gates and the input row, as floats.
    size_t floats = size_t(shape->outputs) + size_t(shape->cells) * 5 + size_t(shape->inputSize) + size_t(shape->outputs);
    context.scratchBytes = floats * sizeof(float);
    context.state = std::make_shared<LstmShape>(*shape);  // checked once here, read by every run
    return Status::ok();
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// y[r] += sum_c W[r, c] * x[c], reading W in whatever type it is stored.
void multiplyAccumulate(const RuntimeTensor& weights, const float* x, int columns, float* y, int rows) {
    ValueReader read(weights);
    if (weights.type == DataType::Float32 && !weights.isQuantized()) {
        const float* w = weights.as<const float>();
        for (int r = 0; r < rows; ++r) {
            float sum = 0;
            for (int c = 0; c < columns; ++c) sum += w[int64_t(r) * columns + c] * x[c];
            y[r] += sum;
        }
        return;
    }
    const Quantization* q = weights.quantization;
    if ((weights.type == DataType::Int8 || weights.type == DataType::UInt8) && q && q->scales.size() == 1) {
        // Per-tensor 8-bit weights: the value view's (raw - zero point) *
        // scale for each of the 256 bytes, looked up instead of recomputed:
        // the same doubles summed in the same order (micro_speech_lstm 13 -> 2.6 ms).
        double values[256];
        const bool isSigned = weights.type == DataType::Int8;
        const double zeroPoint = q->zeroPoints.empty() ? 0.0 : static_cast<double>(q->zeroPoints[0]);
        for (int byte = 0; byte < 256; ++byte)
            values[byte] = (static_cast<double>(isSigned ? int8_t(uint8_t(byte)) : uint8_t(byte)) - zeroPoint) * q->scales[0];
        const uint8_t* w = weights.data;
        for (int r = 0; r < rows; ++r) {
            double sum = 0;
            const uint8_t* rowWeights = w + int64_t(r) * columns;
            for (int c = 0; c < columns; ++c) sum += values[rowWeights[c]] * x[c];
            y[r] += static_cast<float>(sum);
        }
        return;
    }
    for (int r = 0; r < rows; ++r) {
        double sum = 0;
        for (int c = 0; c < columns; ++c) sum += read(int64_t(r) * columns + c) * x[c];
        y[r] += static_cast<float>(sum);
    }
}

void layerNormalize(float* values, int count, const RuntimeTensor& coefficients) {
    double mean = 0, variance = 0;
    for (int i = 0; i < count; ++i) mean += values[i];
    mean /= count;
    for (int i = 0; i < count; ++i) variance += (values[i] - mean) * (values[i] - mean);
    variance /= count;
    double inverse = 1.0 / std::sqrt(variance + 1e-8);
    ValueReader read(coefficients);
    for (int i = 0; i < count; ++i) values[i] = static_cast<float>((values[i] - mean) * inverse * read(i));
}

Status evalLstm(KernelContext& context) {
    LstmOptions options = lstmOptions(context);
    const LstmShape& shape = *static_cast<const LstmShape*>(context.state.get());
    const RuntimeTensor& input = context.input(kInput);
    RuntimeTensor& outputState = context.input(kOutputState);
    RuntimeTensor& cellState = context.input(kCellState);
    RuntimeTensor& out = context.output(0);
    ValueReader readInput(input), readOutputState(outputState), readCellState(cellState);
    ValueWriter writeOutputState(outputState), writeCellState(cellState), writeOutput(out);
    bool layerNorm = context.inputs.size() == 24 && context.hasInput(kForgetLayerNorm);
    bool cifg = !context.hasInput(kInputToInput);

    float* previous = reinterpret_cast<float*>(context.scratch);
    float* cell = previous + shape.outputs;
    float* gates[4] = {cell + shape.cells, cell + 2 * shape.cells, cell + 3 * shape.cells, cell + 4 * shape.cells};
    float* row = cell + 5 * shape.cells;
    float* hidden = row + shape.inputSize;

    for (int b = 0; b < shape.batches; ++b) {
        for (int i = 0; i < shape.outputs; ++i) previous[i] = static_cast<float>(readOutputState(int64_t(b) * shape.outputs + i));
        for (int i = 0; i < shape.cells; ++i) cell[i] = static_cast<float>(readCellState(int64_t(b) * shape.cells + i));
        for (int t = 0; t < shape.steps; ++t) {
            int64_t rowIndex = options.timeMajor ? int64_t(t) * shape.batches + b : int64_t(b) * shape.steps + t;
            for (int i = 0; i < shape.inputSize; ++i) row[i] = static_cast<float>(readInput(rowIndex * shape.inputSize + i));
            for (int gate = 0; gate < 4; ++gate) {
                if (gate == kInputGate && cifg) continue;
                float* g = gates[gate];
                std::fill(g, g + shape.cells, 0.0f);
                multiplyAccumulate(context.input(kInputToInput + size_t(gate)), row, shape.inputSize, g, shape.cells);
                multiplyAccumulate(context.input(kRecurrentToInput + size_t(gate)), previous, shape.outputs, g, shape.cells);
                // Peepholes see the old cell state for the input and forget
                // gates, the new one for the output gate (added below).
                size_t peephole = gate == kInputGate ? kCellToInput : gate == kForgetGate ? kCellToForget : SIZE_MAX;
                if (peephole != SIZE_MAX && context.hasInput(peephole)) {
                    ValueReader read(context.input(peephole));
                    for (int i = 0; i < shape.cells; ++i) g[i] += static_cast<float>(read(i)) * cell[i];
                }
                if (gate == kOutputGate && context.hasInput(kCellToOutput)) continue;  // finished after the cell update
                if (layerNorm && context.hasInput(kInputLayerNorm + size_t(gate)))
                    layerNormalize(g, shape.cells, context.input(kInputLayerNorm + size_t(gate)));
                ValueReader bias(context.input(kInputGateBias + size_t(gate)));
                for (int i = 0; i < shape.cells; ++i) g[i] += static_cast<float>(bias(i));
            }
            for (int i = 0; i < shape.cells; ++i) {
                float forget = sigmoid(gates[kForgetGate][i]);
                float inputGate = cifg ? 1.0f - forget : sigmoid(gates[kInputGate][i]);
                float candidate = static_cast<float>(applyActivation(gates[kCellGate][i], options.activation));
                cell[i] = forget * cell[i] + inputGate * candidate;
                if (options.cellClip > 0) cell[i] = std::clamp(cell[i], -options.cellClip, options.cellClip);
            }
            float* outputGate = gates[kOutputGate];
            if (context.hasInput(kCellToOutput)) {
                ValueReader read(context.input(kCellToOutput));
                for (int i = 0; i < shape.cells; ++i) outputGate[i] += static_cast<float>(read(i)) * cell[i];
                if (layerNorm && context.hasInput(kOutputLayerNorm)) layerNormalize(outputGate, shape.cells, context.input(kOutputLayerNorm));
                ValueReader bias(context.input(kOutputGateBias));
                for (int i = 0; i < shape.cells; ++i) outputGate[i] += static_cast<float>(bias(i));
            }
            for (int i = 0; i < shape.cells; ++i)
                gates[kCellGate][i] = sigmoid(outputGate[i]) * static_cast<float>(applyActivation(cell[i], options.activation));
            if (context.hasInput(kProjectionWeights)) {
                std::fill(hidden, hidden + shape.outputs, 0.0f);
                if (context.hasInput(kProjectionBias)) {
                    ValueReader bias(context.input(kProjectionBias));
                    for (int i = 0; i < shape.outputs; ++i) hidden[i] = static_cast<float>(bias(i));
                }
                multiplyAccumulate(context.input(kProjectionWeights), gates[kCellGate], shape.cells, hidden, shape.outputs);
                if (options.projectionClip > 0)
                    for (int i = 0; i < shape.outputs; ++i)
                        hidden[i] = std::clamp(hidden[i], -options.projectionClip, options.projectionClip);
            } else {
                std::copy(gates[kCellGate], gates[kCellGate] + shape.outputs, hidden);
            }
            std::copy(hidden, hidden + shape.outputs, previous);
            for (int i = 0; i < shape.outputs; ++i) writeOutput(rowIndex * shape.outputs + i, hidden[i]);
        }
        for (int i = 0; i < shape.outputs; ++i) writeOutputState(int64_t(b) * shape.outputs + i, previous[i]);
        for (int i = 0; i < shape.cells; ++i) writeCellState(int64_t(b) * shape.cells + i, cell[i]);
    }
    return Status::ok();
}

// ---- SVDF: (input, weights_feature, weights_time, bias?, activation_state) ----
struct SvdfShape {
    int batches, inputSize, filters, memory, units, rank;
};

Expected<SvdfShape> svdfShape(const KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 5, 5, 1));
    const auto* options = context.op->options->builtin_options_as_SVDFOptions();
    if (!options || options->rank() <= 0) return context.error("needs SVDF options with a positive rank");
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& feature = context.input(1);
    const RuntimeTensor& time = context.input(2);
    if (input.rank() != 2 || feature.rank() != 2 || time.rank() != 2)
        return context.error("needs a 2-D input and 2-D feature and time weights");
    SvdfShape shape{input.dim(0), input.dim(1), feature.dim(0), time.dim(1), 0, options->rank()};
    if (feature.dim(1) != shape.inputSize || time.dim(0) != shape.filters)
        return context.error("feature weights must be [filters, input size] and time weights [filters, memory]");
    if (shape.filters % shape.rank) return context.error("filter count must divide by the rank");
    shape.units = shape.filters / shape.rank;
    if (context.hasInput(3) && context.input(3).elementCount() != shape.units)
        return context.error("bias must hold one value per unit");
    if (context.input(4).elementCount() != int64_t(shape.batches) * shape.filters * shape.memory)
        return context.error("activation state must be [batch, filters * memory]");
    return shape;
}

Status prepareSvdf(KernelContext& context) {
    auto shape = svdfShape(context);
    if (!shape) return shape.status();
    context.output(0).shape = {shape->batches, shape->units};
    context.scratchBytes = size_t(shape->filters) * size_t(shape->memory) * sizeof(float) + size_t(shape->inputSize) * sizeof(float);
    context.state = std::make_shared<SvdfShape>(*shape);
    return Status::ok();
}

Status evalSvdf(KernelContext& context) {
    const SvdfShape& s = *static_cast<const SvdfShape*>(context.state.get());
    const auto* options = context.op->options->builtin_options_as_SVDFOptions();
    RuntimeTensor& state = context.input(4);
    ValueReader readInput(context.input(0)), readFeature(context.input(1)), readTime(context.input(2)), readState(state);
    ValueWriter writeState(state), writeOutput(context.output(0));
    float* memory = reinterpret_cast<float*>(context.scratch);
    float* row = memory + int64_t(s.filters) * s.memory;
    for (int b = 0; b < s.batches; ++b) {
        int64_t base = int64_t(b) * s.filters * s.memory;
        // The state is a window over the last `memory` feature activations:
        // drop the oldest, append this step's.
        for (int i = 0; i < s.inputSize; ++i) row[i] = static_cast<float>(readInput(int64_t(b) * s.inputSize + i));
        for (int f = 0; f < s.filters; ++f) {
            float* window = memory + int64_t(f) * s.memory;
            for (int m = 0; m + 1 < s.memory; ++m) window[m] = static_cast<float>(readState(base + int64_t(f) * s.memory + m + 1));
            double feature = 0;
            for (int i = 0; i < s.inputSize; ++i) feature += readFeature(int64_t(f) * s.inputSize + i) * row[i];
            window[s.memory - 1] = static_cast<float>(feature);
        }
        for (int64_t i = 0; i < int64_t(s.filters) * s.memory; ++i) writeState(base + i, memory[i]);
        for (int u = 0; u < s.units; ++u) {
            double sum = context.hasInput(3) ? ValueReader(context.input(3))(u) : 0.0;
            for (int r = 0; r < s.rank; ++r) {
                int f = u * s.rank + r;
                // Dot with the state as stored, so quantized states round as TFLite's do.
                for (int m = 0; m < s.memory; ++m) sum += readState(base + int64_t(f) * s.memory + m) * readTime(int64_t(f) * s.memory + m);
            }
            writeOutput(int64_t(b) * s.units + u, applyActivation(sum, options->fused_activation_function()));
        }
    }
    return Status::ok();
}

}  // namespace

void addRecurrentKernels(KernelTable& table) {
    table[schema::BuiltinOperator_LSTM] = {prepareLstm, evalLstm};
    table[schema::BuiltinOperator_UNIDIRECTIONAL_SEQUENCE_LSTM] = {prepareLstm, evalLstm};
    table[schema::BuiltinOperator_SVDF] = {prepareSvdf, evalSvdf};
}

}  // namespace litestudio::reference

// A table is 256 bytes, four 64-byte vectors: permutex2var_epi8 looks 64
// indices up in two of them at once (index bits 0-6), and bit 7 picks
// which pair. With one table per innermost channel, a vector holds the
// channels in a pattern that repeats every `channels` vectors (64 is rarely
// a multiple of the channel count): each channel's lookup is blended in
// under its lanes' mask for the vector's phase.
#include "accelerators/cpu/byte_table_lookup.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kMostChannels = 8;
constexpr size_t kTileBytes = 64 * 1024;

struct ByteTables {
    int channels = 1;                                  // tables, one per innermost channel
    int large = 0;                                     // the input looked up (a binary op's other operand is constant)
    std::vector<uint8_t> tables;                       // [channel][256]
    std::array<std::array<uint64_t, kMostChannels>, kMostChannels> lanes{};  // [phase][channel]: the lanes of that channel
};

struct RunArguments {
    const ByteTables* t;
    const uint8_t* input;
    uint8_t* output;
};

bool isByte(DataType type) { return type == DataType::Int8 || type == DataType::UInt8; }

bool oneScale(const Tensor& tensor) { return tensor.quantization.scales.size() <= 1 && tensor.quantization.zeroPoints.size() <= 1; }

bool isUnaryByteFunction(int32_t builtin) {
    switch (builtin) {
    case schema::BuiltinOperator_LOGISTIC:
    case schema::BuiltinOperator_TANH:
    case schema::BuiltinOperator_QUANTIZE:
    case schema::BuiltinOperator_HARD_SWISH:
    case schema::BuiltinOperator_LEAKY_RELU:
    case schema::BuiltinOperator_ELU:
    case schema::BuiltinOperator_RELU:
    case schema::BuiltinOperator_RELU6:
    case schema::BuiltinOperator_RELU_N1_TO_1:
    case schema::BuiltinOperator_ABS:
    case schema::BuiltinOperator_NEG: return true;
    default: return false;
    }
}

// Division and the like can fail on bytes the data never holds: not here.
bool isBinaryByteFunction(int32_t builtin) {
    switch (builtin) {
    case schema::BuiltinOperator_ADD:
    case schema::BuiltinOperator_SUB:
    case schema::BuiltinOperator_MUL:
    case schema::BuiltinOperator_MAXIMUM:
    case schema::BuiltinOperator_MINIMUM:
    case schema::BuiltinOperator_SQUARED_DIFFERENCE: return true;
    default: return false;
    }
}

// A scalar, or one value per innermost channel of `out` (every other
// dimension 1): its element for output element i is i % count.
int64_t repeatingCount(const std::vector<int32_t>& small, const std::vector<int32_t>& out) {
    int64_t count = 1;
    for (int32_t dim : small) count *= dim;
    if (count == 1) return 1;
    if (small.empty() || out.empty() || small.back() != out.back() || small.size() > out.size()) return -1;
    return count == small.back() ? count : -1;
}

// Runs the reference kernel of context's op on `inputs` into `output`.
Status runReference(const KernelContext& context, std::vector<RuntimeTensor*> inputs, RuntimeTensor& output) {
    const KernelDef* reference = findReferenceKernel(context.model->opCode(*context.op).builtin);
    if (!reference) return context.error("has no reference kernel");
    KernelContext table = context;
    table.inputs = std::move(inputs);
    table.outputs = {&output};
    table.state.reset();
    table.scratchBytes = 0;
    table.valuesKnown = true;
    LS_RETURN_IF_ERROR(reference->prepare(table));
    std::vector<uint8_t> scratch(table.scratchBytes + 64);
    table.scratch = scratch.data();
    return reference->eval(table);
}

Status prepareTables(KernelContext& context) {
    const bool binary = context.inputs.size() == 2;
    auto t = std::make_shared<ByteTables>();
    RuntimeTensor& out = context.output(0);
    std::vector<uint8_t> everyByte(256);
    for (int v = 0; v < 256; ++v) everyByte[static_cast<size_t>(v)] = static_cast<uint8_t>(v);
    if (!binary) {
        const RuntimeTensor& input = context.input(0);
        RuntimeTensor x = input, y = out;
        x.shape = {256}, x.data = everyByte.data(), x.bytes = 256, x.isConstant = true;
        t->tables.assign(256, 0);
        y.shape = {256}, y.data = t->tables.data(), y.bytes = 256, y.isConstant = false;
        LS_RETURN_IF_ERROR(runReference(context, {&x}, y));
        out.shape = input.shape;
    } else {
        const RuntimeTensor& a = context.input(0);
        const RuntimeTensor& b = context.input(1);
        t->large = a.isConstant && !b.isConstant ? 1 : 0;
        const RuntimeTensor& large = context.input(static_cast<size_t>(t->large));
        const RuntimeTensor& small = context.input(static_cast<size_t>(1 - t->large));
        const int64_t channels = repeatingCount(small.shape, large.shape);
        if (!small.isConstant || channels < 1 || channels > kMostChannels)
            return context.error("expects a constant scalar or up to " + std::to_string(kMostChannels) + " values per channel, got " +
                                 small.name + " " + shapeText(small.shape));
        t->channels = static_cast<int>(channels);
        // out[c][v] = op(v, small[c]) (operands in the op's order).
        RuntimeTensor allLarge = large, allSmall = small, allOut = out;
        allLarge.shape = {1, 256}, allLarge.data = everyByte.data(), allLarge.bytes = 256, allLarge.isConstant = true;
        allSmall.shape = {static_cast<int32_t>(channels), 1};
        t->tables.assign(static_cast<size_t>(channels * 256), 0);
        allOut.shape = {static_cast<int32_t>(channels), 256}, allOut.data = t->tables.data(), allOut.bytes = t->tables.size();
        allOut.isConstant = false;
        LS_RETURN_IF_ERROR(runReference(context, t->large == 0 ? std::vector<RuntimeTensor*>{&allLarge, &allSmall}
                                                                : std::vector<RuntimeTensor*>{&allSmall, &allLarge},
                                        allOut));
        out.shape = large.shape;
        for (int phase = 0; phase < t->channels; ++phase)
            for (int lane = 0; lane < 64; ++lane) t->lanes[static_cast<size_t>(phase)][static_cast<size_t>((phase + lane) % t->channels)] |= uint64_t(1) << lane;
    }
    context.state = t;
    return Status::ok();
}

struct Table {
    __m512i quarter[4];
};

__attribute__((target("avx512f,avx512bw,avx512vbmi"), always_inline)) inline __m512i lookUp(const Table& table, __m512i bytes) {
    const __m512i low = _mm512_permutex2var_epi8(table.quarter[0], bytes, table.quarter[1]);
    const __m512i high = _mm512_permutex2var_epi8(table.quarter[2], bytes, table.quarter[3]);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(bytes), low, high);
}

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void lookUpTile(void* argument, size_t start, size_t count) {
    const auto& run = *static_cast<const RunArguments*>(argument);
    const ByteTables& t = *run.t;
    Table tables[kMostChannels];
    for (int c = 0; c < t.channels; ++c)
        for (int q = 0; q < 4; ++q) tables[c].quarter[q] = _mm512_loadu_si512(t.tables.data() + c * 256 + q * 64);
    for (size_t at = start; at < start + count; at += 64) {
        const size_t left = std::min<size_t>(64, start + count - at);
        const __mmask64 valid = left == 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
        const __m512i bytes = _mm512_maskz_loadu_epi8(valid, run.input + at);
        __m512i result = lookUp(tables[0], bytes);
        if (t.channels > 1) {
            const auto& lanes = t.lanes[at % static_cast<size_t>(t.channels)];
            for (int c = 1; c < t.channels; ++c) result = _mm512_mask_blend_epi8(lanes[static_cast<size_t>(c)], result, lookUp(tables[c], bytes));
        }
        _mm512_mask_storeu_epi8(run.output + at, valid, result);
    }
}

Status evalTables(KernelContext& context) {
    const auto& t = *static_cast<const ByteTables*>(context.state.get());
    RunArguments run{&t, context.input(static_cast<size_t>(t.large)).as<const uint8_t>(), context.output(0).as<uint8_t>()};
    parallelizeTiles(context, lookUpTile, &run, static_cast<size_t>(context.output(0).elementCount()), kTileBytes, 64);
    return Status::ok();
}

}  // namespace

const KernelDef* byteTableLookupKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{prepareTables, evalTables};
    if (!cpuHasAvx512Vbmi() || op.outputs.size() != 1 || op.outputs[0] < 0 || op.inputs.empty() || op.inputs.size() > 2) return nullptr;
    for (int input : op.inputs)
        if (input < 0) return nullptr;
    const int32_t builtin = model.opCode(op).builtin;
    const Tensor& out = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (!isByte(out.type) || !oneScale(out)) return nullptr;
    const Tensor& a = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    if (op.inputs.size() == 1) {
        if (!isUnaryByteFunction(builtin) || !isByte(a.type) || !oneScale(a) || a.shape != out.shape) return nullptr;
        return &kernel;
    }
    if (!isBinaryByteFunction(builtin)) return nullptr;
    const Tensor& b = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    if (!isByte(a.type) || !isByte(b.type) || !oneScale(a) || !oneScale(b)) return nullptr;
    const bool aConstant = a.isConstant(), bConstant = b.isConstant();
    if (aConstant == bConstant) return nullptr;
    const Tensor& large = aConstant ? b : a;
    const Tensor& small = aConstant ? a : b;
    if (large.shape != out.shape) return nullptr;
    const int64_t channels = repeatingCount(small.shape, out.shape);
    if (channels < 1 || channels > kMostChannels) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu

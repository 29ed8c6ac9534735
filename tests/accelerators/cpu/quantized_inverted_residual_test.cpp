// The int8/uint8 inverted residual block kernel against the reference,
// bit for bit: MobileNetV2's blocks written as separate ops
//   [CONV_2D 1x1 RELU6]  DEPTHWISE_CONV_2D RELU6  CONV_2D 1x1  [ADD]
// which the runtime fuses into one op the kernel takes: with and without
// the expansion and the residual ADD, strides 1 and 2, 3x3 and 5x5,
// SAME and VALID padding, widths that end a 4-pixel tile part-way, uint8
// weights with a zero point and int8 weights with a scale per channel,
// batches of one to three images; on
// one to three threads (bands of output rows, each making again the rows
// of the expansion it shares with the band before).

#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/quantized_inverted_residual.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::randomBytes;

struct BlockCase {
    DataType type;
    int height, width, inChannels, expanded, outChannels, kernel, stride;
    schema::Padding padding;
    bool expands, adds;
    int batch = 1;
};

// Random weights of `shape` (output channels on axis `channelAxis`): int8
// with a scale per channel and zero points of 0, uint8 with one scale and
// zero point 128 +- a little; an int32 bias per output channel.
std::pair<int, int> addWeights(ModelBuilder& b, DataType type, std::vector<int32_t> shape, int channelAxis, std::mt19937& random) {
    const int outputs = shape[static_cast<size_t>(channelAxis)];
    int64_t count = 1;
    for (int32_t d : shape) count *= d;
    TensorSpec filter{"w", type, std::move(shape)};
    filter.data = randomBytes(static_cast<size_t>(count), random);
    if (type == DataType::Int8) {
        for (int n = 0; n < outputs; ++n) filter.scales.push_back(0.004f + 0.001f * float(n % 5));
        filter.zeroPoints.assign(static_cast<size_t>(outputs), 0);
        filter.quantizedDimension = channelAxis;
    } else {
        filter.scales = {0.005f};
        filter.zeroPoints = {125};
    }
    const int weights = b.addTensor(filter);
    std::vector<int32_t> values;
    for (int n = 0; n < outputs; ++n) values.push_back(static_cast<int32_t>(random() % 2001) - 1000);
    TensorSpec bias{"b", DataType::Int32, {outputs}};
    bias.data = testing::bytesOf(values);
    return {weights, b.addTensor(bias)};
}

OptionsWriter convolutionOptions(int stride, schema::Padding padding, schema::ActivationFunctionType activation) {
    return [=](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions, schema::CreateConv2DOptions(fbb, padding, stride, stride, activation).o};
    };
}

// The block as separate ops; `input` and `output` are set to its ends.
ModelBuilder buildBlock(const BlockCase& c, std::mt19937& random, int& input, int& output) {
    ModelBuilder b;
    b.addSubgraph();
    const bool int8 = c.type == DataType::Int8;
    auto feature = [&](const char* name, std::vector<int32_t> shape, float scale, int zero) {
        return b.addTensor(testing::quantized(name, c.type, std::move(shape), scale, int8 ? zero - 128 : zero));
    };
    input = feature("x", {c.batch, c.height, c.width, c.inChannels}, 0.05f, 131);
    int x = input;
    const auto relu6 = schema::ActivationFunctionType_RELU6;
    if (c.expands) {
        auto [w, bias] = addWeights(b, c.type, {c.expanded, 1, 1, c.inChannels}, 0, random);
        const int e = feature("e", {c.batch, c.height, c.width, c.expanded}, 0.03f, 0);
        b.addOp({schema::BuiltinOperator_CONV_2D, {}, {x, w, bias}, {e}, convolutionOptions(1, schema::Padding_SAME, relu6)});
        x = e;
    }
    const int outH = c.padding == schema::Padding_SAME ? (c.height + c.stride - 1) / c.stride : (c.height - c.kernel) / c.stride + 1;
    const int outW = c.padding == schema::Padding_SAME ? (c.width + c.stride - 1) / c.stride : (c.width - c.kernel) / c.stride + 1;
    auto [dw, dwBias] = addWeights(b, c.type, {1, c.kernel, c.kernel, c.expanded}, 3, random);
    const int d = feature("d", {c.batch, outH, outW, c.expanded}, 0.025f, 0);
    b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {x, dw, dwBias}, {d}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_DepthwiseConv2DOptions,
                     schema::CreateDepthwiseConv2DOptions(fbb, c.padding, c.stride, c.stride, 1, schema::ActivationFunctionType_RELU6).o};
             }});
    auto [pw, pwBias] = addWeights(b, c.type, {c.outChannels, 1, 1, c.expanded}, 0, random);
    const int p = feature("p", {c.batch, outH, outW, c.outChannels}, 0.06f, 122);
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {d, pw, pwBias}, {p},
             convolutionOptions(1, schema::Padding_SAME, schema::ActivationFunctionType_NONE)});
    output = p;
    if (c.adds) {
        output = feature("y", {c.batch, outH, outW, c.outChannels}, 0.08f, 127);
        b.addOp({schema::BuiltinOperator_ADD, {}, {p, input}, {output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb).o};
                 }});
    }
    b.setInputs({input});
    b.setOutputs({output});
    return b;
}

TEST(QuantizedInvertedResidual, MatchesTheReferenceBitForBit) {
    if (!cpu::cpuHasAvx512Vnni()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI; the kernel is not used here";
    using schema::Padding_SAME, schema::Padding_VALID;
    const std::vector<BlockCase> cases = {
        {DataType::UInt8, 14, 14, 64, 384, 64, 3, 1, Padding_SAME, true, true},    // MobileNetV2's 14x14 blocks
        {DataType::Int8, 15, 13, 24, 144, 32, 3, 2, Padding_SAME, true, false},    // stride 2, odd sides
        {DataType::UInt8, 12, 11, 32, 32, 16, 3, 1, Padding_SAME, false, false},   // the first block: no expansion
        {DataType::Int8, 9, 10, 16, 96, 16, 3, 1, Padding_SAME, true, true},
        {DataType::UInt8, 11, 9, 40, 240, 40, 5, 1, Padding_SAME, true, true},     // 5x5 (EfficientNet-Lite)
        {DataType::Int8, 16, 16, 40, 240, 80, 5, 2, Padding_SAME, true, false},
        {DataType::UInt8, 10, 13, 8, 48, 12, 3, 2, Padding_VALID, true, false},    // VALID at stride 2: no padding
        {DataType::Int8, 7, 7, 160, 960, 160, 3, 1, Padding_SAME, true, true},     // 7x7: bands of 3 and 4 rows
        {DataType::UInt8, 6, 5, 16, 96, 16, 3, 1, Padding_SAME, true, true, 3},    // three images: bands across them
        {DataType::Int8, 8, 6, 24, 144, 32, 3, 2, Padding_SAME, true, false, 2},
    };
    std::mt19937 random(31);
    for (const BlockCase& c : cases)
        for (int threads : {1, 2, 3}) {
            int input = 0, output = 0;
            const ModelBuilder builder = buildBlock(c, random, input, output);
            const std::vector<uint8_t> x = randomBytes(static_cast<size_t>(c.batch * c.height * c.width * c.inChannels), random);
            const testing::CpuByteComparison compared = testing::compareCpuBytesWithReference(builder, input, x, output, threads);
            ASSERT_TRUE(compared.error.empty()) << compared.error;
            const Subgraph& compiled = compared.cpu->model().subgraphs[0];
            const Op* block = nullptr;
            for (const Op& op : compiled.ops)
                if (op.fusedSeparableBlock) block = &op;
            ASSERT_NE(block, nullptr) << "the block was not fused";
            EXPECT_NE(cpu::quantizedInvertedResidualKernel(compared.cpu->model(), compiled, *block), nullptr);
            EXPECT_EQ(block->fusedExpansion, c.expands);
            EXPECT_EQ(block->fusedResidual, c.adds);
            std::cout << "  " << dataTypeName(c.type) << " " << c.batch << "x" << c.height << "x" << c.width << "x" << c.inChannels << " -> "
                      << c.expanded << " -> " << c.kernel << "x" << c.kernel << "/" << c.stride << " -> " << c.outChannels
                      << (c.adds ? " + x" : "") << " on " << threads << " thread(s): " << compared.elements << " outputs, "
                      << compared.differing << " differ\n";
            EXPECT_EQ(compared.differing, 0);
        }
}

}  // namespace
}  // namespace litestudio

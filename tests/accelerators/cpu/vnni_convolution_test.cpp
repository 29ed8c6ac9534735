// The AVX-512 VNNI int8/uint8 convolution against the reference kernel, bit
// for bit, on shapes that exercise every edge: channels not a multiple of 16,
// pixel counts not a multiple of 4, depths not a multiple of 4 (patch path),
// strides, padding, fused activations, per-channel int8 weights and uint8
// weights with a zero point. Skipped (with a message) on CPUs without VNNI.

#include <random>

#include "accelerators/cpu/vnni_pointwise_convolution.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::randomBytes;

struct ConvCase {
    DataType type;
    int height, width, inChannels, outChannels, kernel, stride;
    schema::Padding padding;
    schema::ActivationFunctionType activation;
};

// Random int8 weights with per-channel scales, or uint8 with one scale and a
// zero point; dimension 0 is the output channel.
int addQuantizedWeights(ModelBuilder& b, DataType type, std::vector<int32_t> shape, std::mt19937& random) {
    const int outputs = shape[0];
    int64_t count = 1;
    for (int32_t d : shape) count *= d;
    TensorSpec filter{"w", type, std::move(shape)};
    filter.data = randomBytes(static_cast<size_t>(count), random);
    if (type == DataType::Int8) {
        for (int n = 0; n < outputs; ++n) filter.scales.push_back(0.002f + 0.0005f * float(n % 7));
        filter.zeroPoints.assign(static_cast<size_t>(outputs), 0);
    } else {
        filter.scales = {0.003f};
        filter.zeroPoints = {131};
    }
    return b.addTensor(filter);
}

int addBias(ModelBuilder& b, int outputs, std::mt19937& random) {
    std::vector<int32_t> values;
    for (int n = 0; n < outputs; ++n) values.push_back(static_cast<int32_t>(random() % 4001) - 2000);
    TensorSpec bias{"b", DataType::Int32, {outputs}};
    bias.data = testing::bytesOf(values);
    return b.addTensor(bias);
}

// Runs the model on cpu and on the reference with input bytes `x`: the VNNI
// kernel must take op 0 and every output byte must agree.
void expectBitForBit(const ModelBuilder& builder, int input, int output, const std::vector<uint8_t>& x, const std::string& label,
                     int threads = 1) {
    auto reference = compileBuilt(builder, {"reference"});
    auto vnni = compileBuilt(builder, {"cpu", "reference"}, threads);
    ASSERT_TRUE(reference) << reference.errorMessage();
    ASSERT_TRUE(vnni) << vnni.errorMessage();
    const Model& compiled = (*vnni)->model();
    ASSERT_NE(cpu::vnniPointwiseConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[0]), nullptr)
        << "the VNNI kernel does not take " << label;
    ASSERT_TRUE((*reference)->setInput(0, input, x));
    ASSERT_TRUE((*vnni)->setInput(0, input, x));
    ASSERT_TRUE((*reference)->run(0));
    ASSERT_TRUE((*vnni)->run(0));
    const RuntimeTensor& want = (*reference)->tensor(0, output);
    const RuntimeTensor& got = (*vnni)->tensor(0, output);
    ASSERT_EQ(got.bytes, want.bytes);
    int differing = 0;
    for (size_t i = 0; i < got.bytes; ++i) differing += got.data[i] != want.data[i];
    std::cout << "  " << label << " on " << threads << " thread(s): " << got.bytes << " outputs, " << differing << " differ (accelerator "
              << (*vnni)->acceleratorOf(0, 0) << ")\n";
    EXPECT_EQ(differing, 0);
}

void buildConv(ModelBuilder& b, const ConvCase& c, std::mt19937& random, int& input, int& output) {
    b.addSubgraph();
    bool int8 = c.type == DataType::Int8;
    TensorSpec in{"x", c.type, {1, c.height, c.width, c.inChannels}};
    in.scales = {0.05f};
    in.zeroPoints = {int8 ? -3 : 120};
    input = b.addTensor(in);
    int w = addQuantizedWeights(b, c.type, {c.outChannels, c.kernel, c.kernel, c.inChannels}, random);
    int biasTensor = addBias(b, c.outChannels, random);
    int outH = c.padding == schema::Padding_SAME ? (c.height + c.stride - 1) / c.stride : (c.height - c.kernel) / c.stride + 1;
    int outW = c.padding == schema::Padding_SAME ? (c.width + c.stride - 1) / c.stride : (c.width - c.kernel) / c.stride + 1;
    TensorSpec out{"y", c.type, {1, outH, outW, c.outChannels}};
    out.scales = {0.07f};
    out.zeroPoints = {int8 ? 5 : 100};
    output = b.addTensor(out);
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {input, w, biasTensor}, {output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                     schema::CreateConv2DOptions(fbb, c.padding, c.stride, c.stride, c.activation).o};
             }});
    b.setInputs({input});
    b.setOutputs({output});
}

// One case on random input bytes, on `threads` threads.
void expectCaseBitForBit(const ConvCase& c, std::mt19937& random, int threads) {
    ModelBuilder builder;
    int input = 0, output = 0;
    buildConv(builder, c, random, input, output);
    std::vector<uint8_t> x = randomBytes(static_cast<size_t>(c.height * c.width * c.inChannels), random);
    expectBitForBit(builder, input, output, x,
                    std::string(dataTypeName(c.type)) + " " + std::to_string(c.kernel) + "x" + std::to_string(c.kernel) + "/" +
                        std::to_string(c.stride) + " " + std::to_string(c.inChannels) + "->" + std::to_string(c.outChannels) +
                        " on " + std::to_string(c.height) + "x" + std::to_string(c.width),
                    threads);
}

TEST(VnniConvolution, MatchesTheReferenceBitForBit) {
    if (!cpu::vnniAvailable()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI; the kernel is not used here";
    const std::vector<ConvCase> cases = {
        {DataType::UInt8, 7, 5, 16, 40, 1, 1, schema::Padding_SAME, schema::ActivationFunctionType_RELU6},
        {DataType::Int8, 5, 7, 32, 17, 1, 1, schema::Padding_VALID, schema::ActivationFunctionType_NONE},
        {DataType::Int8, 9, 9, 12, 70, 3, 2, schema::Padding_SAME, schema::ActivationFunctionType_RELU},
        {DataType::UInt8, 8, 6, 10, 33, 3, 1, schema::Padding_VALID, schema::ActivationFunctionType_NONE},
        {DataType::Int8, 6, 6, 9, 16, 1, 1, schema::Padding_SAME, schema::ActivationFunctionType_NONE},  // depth 9: patch path
        // RGB stems (depth 27): rows of taps inside the image copied whole, edge taps one by one,
        // uint8 row sums of 27 and 70 bytes (a masked tail after 64).
        {DataType::UInt8, 17, 15, 3, 24, 3, 2, schema::Padding_SAME, schema::ActivationFunctionType_RELU6},
        {DataType::Int8, 12, 13, 3, 16, 3, 2, schema::Padding_VALID, schema::ActivationFunctionType_NONE},
        {DataType::UInt8, 5, 5, 70, 20, 1, 1, schema::Padding_SAME, schema::ActivationFunctionType_NONE},
    };
    std::mt19937 random(7);
    for (const ConvCase& c : cases) expectCaseBitForBit(c, random, 1);
}

// On threads each task takes a run of 4-pixel tiles (narrow layers: up to
// 64 tiles): runs that end in a short tile, a short last run, and a task
// count capped by the tile count.
TEST(VnniConvolution, MatchesTheReferenceOnThreads) {
    if (!cpu::vnniAvailable()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI; the kernel is not used here";
    const std::vector<ConvCase> cases = {
        {DataType::UInt8, 61, 67, 16, 8, 1, 1, schema::Padding_SAME, schema::ActivationFunctionType_RELU6},   // 4087 pixels
        {DataType::Int8, 45, 47, 8, 48, 1, 1, schema::Padding_VALID, schema::ActivationFunctionType_NONE},
        {DataType::UInt8, 77, 75, 3, 16, 3, 2, schema::Padding_SAME, schema::ActivationFunctionType_RELU6},   // RGB stem
        {DataType::Int8, 9, 11, 96, 200, 1, 1, schema::Padding_SAME, schema::ActivationFunctionType_RELU},   // a tile per task
    };
    std::mt19937 random(11);
    for (int threads : {2, 3})
        for (const ConvCase& c : cases) expectCaseBitForBit(c, random, threads);
}

// Fewer than two tiles a thread: tasks take parts of the channel blocks
// (a classifier head's one pixel; parts of whole 4-block micro-tiles, the
// last one short; a patch-path conv of two output pixels).
TEST(VnniConvolution, FewPixelsSplitTheirChannelsOnThreads) {
    if (!cpu::vnniAvailable()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI; the kernel is not used here";
    const std::vector<ConvCase> cases = {
        {DataType::Int8, 1, 1, 1280, 1001, 1, 1, schema::Padding_VALID, schema::ActivationFunctionType_NONE},
        {DataType::UInt8, 2, 3, 64, 150, 1, 1, schema::Padding_SAME, schema::ActivationFunctionType_RELU6},  // 10 blocks
        {DataType::Int8, 3, 4, 20, 130, 3, 2, schema::Padding_VALID, schema::ActivationFunctionType_RELU},   // 1x1 output, patches
        {DataType::UInt8, 4, 4, 48, 129, 1, 1, schema::Padding_SAME, schema::ActivationFunctionType_NONE},   // 4 tiles, 9 blocks
    };
    std::mt19937 random(17);
    for (int threads : {2, 3})
        for (const ConvCase& c : cases) expectCaseBitForBit(c, random, threads);
}

TEST(VnniConvolution, FullyConnectedMatchesTheReferenceBitForBit) {
    // The same kernel runs int8/uint8 FULLY_CONNECTED (each input row a
    // pixel): depths that are and are not multiples of 4 (the padded-row
    // path), several rows, a fused RELU.
    if (!cpu::vnniAvailable()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI; the kernel is not used here";
    struct FcCase {
        DataType type;
        int rows, depth, units;
        schema::ActivationFunctionType activation;
    };
    const std::vector<FcCase> cases = {
        {DataType::Int8, 1, 1280, 1000, schema::ActivationFunctionType_NONE},
        {DataType::Int8, 3, 37, 20, schema::ActivationFunctionType_RELU},
        {DataType::UInt8, 5, 64, 33, schema::ActivationFunctionType_NONE},
    };
    std::mt19937 random(13);
    for (const FcCase& c : cases) {
        ModelBuilder b;
        b.addSubgraph();
        bool int8 = c.type == DataType::Int8;
        TensorSpec in{"x", c.type, {c.rows, c.depth}};
        in.scales = {0.04f};
        in.zeroPoints = {int8 ? 6 : 125};
        int input = b.addTensor(in);
        int w = addQuantizedWeights(b, c.type, {c.units, c.depth}, random);
        int biasTensor = addBias(b, c.units, random);
        TensorSpec out{"y", c.type, {c.rows, c.units}};
        out.scales = {0.3f};
        out.zeroPoints = {int8 ? -4 : 90};
        int output = b.addTensor(out);
        b.addOp({schema::BuiltinOperator_FULLY_CONNECTED, {}, {input, w, biasTensor}, {output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_FullyConnectedOptions,
                                                         schema::CreateFullyConnectedOptions(fbb, c.activation).o};
                 }});
        b.setInputs({input});
        b.setOutputs({output});
        std::vector<uint8_t> x = randomBytes(static_cast<size_t>(c.rows * c.depth), random);
        expectBitForBit(b, input, output, x,
                        std::string(dataTypeName(c.type)) + " FULLY_CONNECTED " + std::to_string(c.rows) + "x" + std::to_string(c.depth) +
                            " -> " + std::to_string(c.units));
    }
}

}  // namespace
}  // namespace litestudio

// The VNNI stem convolution (1-4 input channels) against the reference
// kernel, bit for bit: uint8 filters within a signed byte of their zero
// point and spread past it (coral's: each pixel's activation sum taken as it
// goes), int8 ones with per-channel scales; RGB 3x3 at stride 2 (MobileNet,
// DeepLab), 7x7 at stride 2 (ResNet, filter rows of 21 bytes), one-channel
// 5x5 at stride 1, four-channel 2x2; SAME, VALID and a PAD op folded in
// (zeros on one side more than the other, as TensorFlow pads stride 2);
// output channels below, at and past whole blocks of 16 and past 64 (two
// micro-tiles of blocks); widths that end in 1-3 pixels; two images; one
// to three threads. Each case checks the stem kernel took the op.

#include <iostream>
#include <random>

#include "accelerators/cpu/quantized_stem_convolution.h"
#include "accelerators/cpu/vnni_pointwise_convolution.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::quantized;

enum class Filter { Int8, Uint8WithinAByte, Uint8Spread };

struct StemCase {
    Filter filter;
    int batch, height, width, channels, outputs, kernel, stride;
    schema::Padding padding;
    int padBefore, padAfter;  // a PAD op of the height and width first (0, 0: none)
    schema::ActivationFunctionType activation;
    int threads;
};

struct StemModel {
    ModelBuilder builder;
    int input = -1, output = -1, convolution = 0;
};

StemModel stemModel(const StemCase& c, std::mt19937& random) {
    StemModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const bool int8 = c.filter == Filter::Int8;
    const DataType type = int8 ? DataType::Int8 : DataType::UInt8;
    m.input = b.addTensor(quantized("image", type, {c.batch, c.height, c.width, c.channels}, 0.02f, int8 ? -7 : 121));
    int x = m.input;
    int height = c.height, width = c.width;
    if (c.padBefore + c.padAfter > 0) {
        height += c.padBefore + c.padAfter, width += c.padBefore + c.padAfter;
        const int paddings = b.addConstant("paddings", DataType::Int32, {4, 2},
                                           testing::bytesOf<int32_t>({0, 0, c.padBefore, c.padAfter, c.padBefore, c.padAfter, 0, 0}));
        x = b.addTensor(quantized("padded", type, {c.batch, height, width, c.channels}, 0.02f, int8 ? -7 : 121));
        b.addOp({schema::BuiltinOperator_PAD, {}, {m.input, paddings}, {x}});
        m.convolution = 1;
    }
    TensorSpec filter{"w", type, {c.outputs, c.kernel, c.kernel, c.channels}};
    filter.data.resize(static_cast<size_t>(c.outputs * c.kernel * c.kernel * c.channels));
    std::uniform_int_distribution<int> spread(0, 255), withinAByte(131 - 128, 255);
    for (uint8_t& byte : filter.data) byte = static_cast<uint8_t>(c.filter == Filter::Uint8WithinAByte ? withinAByte(random) : spread(random));
    if (int8) {
        for (int n = 0; n < c.outputs; ++n) filter.scales.push_back(0.002f + 0.0005f * float(n % 7));
        filter.zeroPoints.assign(static_cast<size_t>(c.outputs), 0);
    } else {
        filter.scales = {0.003f};
        filter.zeroPoints = {131};
    }
    const int w = b.addTensor(filter);
    std::vector<int32_t> biasValues;
    for (int n = 0; n < c.outputs; ++n) biasValues.push_back(static_cast<int32_t>(random() % 4001) - 2000);
    TensorSpec bias{"b", DataType::Int32, {c.outputs}};
    bias.data = testing::bytesOf(biasValues);
    const int biasTensor = b.addTensor(bias);
    const bool same = c.padding == schema::Padding_SAME;
    const int outH = same ? (height + c.stride - 1) / c.stride : (height - c.kernel) / c.stride + 1;
    const int outW = same ? (width + c.stride - 1) / c.stride : (width - c.kernel) / c.stride + 1;
    m.output = b.addTensor(quantized("y", type, {c.batch, outH, outW, c.outputs}, 0.05f, int8 ? 4 : 97));
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {x, w, biasTensor}, {m.output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                     schema::CreateConv2DOptions(fbb, c.padding, c.stride, c.stride, c.activation).o};
             }});
    b.setInputs({m.input});
    b.setOutputs({m.output});
    return m;
}

TEST(QuantizedStemConvolution, MatchesTheReferenceBitForBit) {
    if (!cpu::vnniAvailable()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI; the kernel is not used here";
    using F = Filter;
    const auto same = schema::Padding_SAME, valid = schema::Padding_VALID;
    const auto none = schema::ActivationFunctionType_NONE, relu6 = schema::ActivationFunctionType_RELU6;
    const std::vector<StemCase> cases = {
        {F::Uint8Spread, 1, 33, 33, 3, 16, 3, 2, same, 0, 0, relu6, 1},       // DeepLab's, 17 wide: a last pixel alone
        {F::Uint8Spread, 1, 29, 30, 3, 32, 3, 2, valid, 0, 1, relu6, 2},      // MobileNetV2 quant's: a PAD of one after
        {F::Uint8WithinAByte, 1, 21, 22, 3, 32, 3, 2, same, 0, 0, none, 1},
        {F::Int8, 2, 19, 18, 3, 24, 3, 2, same, 0, 0, relu6, 2},              // two images
        {F::Int8, 1, 40, 37, 3, 64, 7, 2, valid, 3, 3, schema::ActivationFunctionType_RELU, 3},  // ResNet's 7x7
        {F::Uint8Spread, 1, 23, 25, 3, 70, 7, 2, same, 0, 0, none, 1},        // past 64 outputs
        {F::Uint8WithinAByte, 1, 14, 15, 1, 8, 5, 1, same, 0, 0, none, 2},    // one channel
        {F::Int8, 1, 12, 11, 4, 17, 2, 2, valid, 0, 0, none, 1},              // four channels, 2x2
        {F::Uint8Spread, 1, 9, 6, 2, 40, 3, 1, valid, 2, 1, relu6, 1},
    };
    std::mt19937 random(31);
    for (const StemCase& c : cases) {
        StemModel m = stemModel(c, random);
        const std::vector<uint8_t> image = testing::randomBytes(static_cast<size_t>(c.batch * c.height * c.width * c.channels), random);
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(m.builder, m.input, image, m.output, c.threads);
        ASSERT_TRUE(result.error.empty()) << result.error;
        const Model& compiled = result.cpu->model();
        const Subgraph& graph = compiled.subgraphs[0];
        const bool stemKernel = cpu::quantizedStemConvolutionKernel(compiled, graph, graph.ops[static_cast<size_t>(m.convolution)]) != nullptr;
        std::cout << "  " << (c.filter == F::Int8 ? "int8" : c.filter == F::Uint8Spread ? "uint8 (spread)" : "uint8 (within a byte)") << " "
                  << c.batch << "x" << c.height << "x" << c.width << "x" << c.channels << " " << c.kernel << "x" << c.kernel << "/" << c.stride
                  << " -> " << c.outputs << (m.convolution == 0 ? "" : graph.ops[0].fused ? " after a PAD (folded)" : " after a PAD (run)") << ", " << c.threads << " thread(s): "
                  << (stemKernel ? "stem kernel" : "not the stem kernel") << " [" << result.cpu->acceleratorOf(0, m.convolution) << "], "
                  << result.elements << " outputs, " << result.differing << " differ\n";
        EXPECT_TRUE(stemKernel);
        EXPECT_EQ(result.cpu->acceleratorOf(0, m.convolution), "cpu");
        EXPECT_EQ(result.differing, 0);
    }
}

// A model whose declared shapes lie: a RESHAPE declared [1, 8, 8, 2] makes
// [1, 8, 8, 4] at run time, so the convolution chosen for 2 input channels
// meets 4, which the reference takes as two groups. The 8-bit convolution
// kernels had sized their filter rows by the input's channels and read
// past the filter; now the model runs as the reference does or fails with
// an error that names the channels. A 3x3 (the stem kernel) and a 1x1 of
// 8 declared channels meeting 16 (the general VNNI kernel).
TEST(QuantizedStemConvolution, AnInputWiderThanDeclaredIsAClearErrorOrRight) {
    if (!cpu::vnniAvailable()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI; the kernel is not used here";
    for (const int declared : {2, 8}) {
        const int kernel = declared == 2 ? 3 : 1, actual = 2 * declared;
        ModelBuilder b;
        b.addSubgraph();
        const int x = b.addTensor(quantized("x", DataType::UInt8, {1, 8, 8, actual}, 0.02f, 121));
        const int shape = b.addConstant("shape", DataType::Int32, {4}, testing::bytesOf<int32_t>({1, 8, 8, actual}));
        const int lying = b.addTensor(quantized("reshaped", DataType::UInt8, {1, 8, 8, declared}, 0.02f, 121));
        b.addOp({schema::BuiltinOperator_RESHAPE, {}, {x, shape}, {lying}});
        TensorSpec filter{"w", DataType::UInt8, {16, kernel, kernel, declared}};
        filter.data.assign(static_cast<size_t>(16 * kernel * kernel * declared), 140);
        filter.scales = {0.003f};
        filter.zeroPoints = {131};
        const int w = b.addTensor(filter);
        const int y = b.addTensor(quantized("y", DataType::UInt8, {1, 8, 8, 16}, 0.05f, 97));
        b.addOp({schema::BuiltinOperator_CONV_2D, {}, {lying, w, -1}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                         schema::CreateConv2DOptions(fbb, schema::Padding_SAME, 1, 1).o};
                 }});
        b.setInputs({x});
        b.setOutputs({y});
        const std::vector<uint8_t> image(static_cast<size_t>(64 * actual), 200);
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(b, x, image, y, 1);
        std::cout << "  declared " << declared << " channels, " << actual << " at run time, " << kernel << "x" << kernel << ": "
                  << (result.error.empty() ? std::to_string(result.differing) + " of " + std::to_string(result.elements) + " outputs differ"
                                           : "error: " + result.error)
                  << "\n";
        if (result.error.empty()) {
            EXPECT_EQ(result.differing, 0);
        } else {
            EXPECT_NE(result.error.find("channels"), std::string::npos) << result.error;
        }
    }
}

}  // namespace
}  // namespace litestudio

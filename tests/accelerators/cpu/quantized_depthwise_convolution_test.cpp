// The AVX-512 uint8/int8 depthwise convolution against the reference kernel,
// bit for bit, on shapes that exercise every edge: channel counts below,
// between and above the 32-channel block, rows whose width is not a multiple
// of the four pixels taken together, strides 1 and 2, SAME and VALID
// padding, 3x3 and 5x5 kernels (odd tap counts), dilation, batches, fused
// activations, uint8 weights with a zero point and per-channel int8 weights,
// one and two threads; 8 and 16 channels at stride 1, whose neighbouring
// pixels share a block. Skipped (with a message) on CPUs without AVX-512 VNNI.

#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/quantized_depthwise_convolution.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::randomBytes;

struct DepthwiseCase {
    DataType type;
    int batch, height, width, channels, kernel, stride, dilation;
    schema::Padding padding;
    schema::ActivationFunctionType activation;
    int threads;
};

int outputSize(const DepthwiseCase& c, int in) {
    int span = (c.kernel - 1) * c.dilation + 1;
    return c.padding == schema::Padding_SAME ? (in + c.stride - 1) / c.stride : (in - span) / c.stride + 1;
}

void buildDepthwise(ModelBuilder& b, const DepthwiseCase& c, std::mt19937& random, int& input, int& output) {
    b.addSubgraph();
    bool int8 = c.type == DataType::Int8;
    TensorSpec in{"x", c.type, {c.batch, c.height, c.width, c.channels}};
    in.scales = {0.05f};
    in.zeroPoints = {int8 ? -7 : 121};
    input = b.addTensor(in);
    TensorSpec filter{"w", c.type, {1, c.kernel, c.kernel, c.channels}};
    filter.data = randomBytes(static_cast<size_t>(c.kernel * c.kernel * c.channels), random);
    if (int8) {
        for (int n = 0; n < c.channels; ++n) filter.scales.push_back(0.004f + 0.001f * float(n % 5));
        filter.zeroPoints.assign(static_cast<size_t>(c.channels), 0);
        filter.quantizedDimension = 3;
    } else {
        filter.scales = {0.006f};
        filter.zeroPoints = {137};
    }
    int w = b.addTensor(filter);
    std::vector<int32_t> biasValues;
    for (int n = 0; n < c.channels; ++n) biasValues.push_back(static_cast<int32_t>(random() % 6001) - 3000);
    TensorSpec bias{"b", DataType::Int32, {c.channels}};
    bias.data = testing::bytesOf(biasValues);
    int biasTensor = b.addTensor(bias);
    TensorSpec out{"y", c.type, {c.batch, outputSize(c, c.height), outputSize(c, c.width), c.channels}};
    out.scales = {0.09f};
    out.zeroPoints = {int8 ? 3 : 110};
    output = b.addTensor(out);
    b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {input, w, biasTensor}, {output},
             [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_DepthwiseConv2DOptions,
                     schema::CreateDepthwiseConv2DOptions(fbb, c.padding, c.stride, c.stride, 1, c.activation, c.dilation, c.dilation).o};
             }});
    b.setInputs({input});
    b.setOutputs({output});
}

TEST(QuantizedDepthwiseConvolution, MatchesTheReferenceBitForBit) {
    if (!cpu::cpuHasAvx512Vnni()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI; the kernel is not used here";
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6, schema::ActivationFunctionType_RELU;
    const std::vector<DepthwiseCase> cases = {
        {DataType::UInt8, 1, 9, 11, 32, 3, 1, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 1},
        {DataType::UInt8, 1, 10, 9, 72, 3, 2, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 1},
        {DataType::Int8, 1, 8, 7, 24, 3, 1, 1, schema::Padding_VALID, ActivationFunctionType_RELU, 1},
        {DataType::Int8, 2, 12, 13, 40, 5, 2, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 2},
        {DataType::UInt8, 1, 11, 10, 17, 5, 1, 1, schema::Padding_VALID, ActivationFunctionType_NONE, 2},
        {DataType::Int8, 1, 13, 14, 48, 3, 1, 2, schema::Padding_SAME, ActivationFunctionType_RELU6, 1},
        {DataType::UInt8, 1, 3, 2, 5, 3, 1, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 1},  // all border
        // 8 and 16 channels at stride 1: 4 or 2 pixels a block inside the
        // row, four such groups or one at a time, the edges pixel by pixel.
        {DataType::UInt8, 1, 9, 23, 16, 3, 1, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 1},
        {DataType::Int8, 2, 7, 30, 8, 5, 1, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 2},
        {DataType::UInt8, 1, 6, 13, 8, 3, 1, 1, schema::Padding_VALID, ActivationFunctionType_NONE, 1},
        {DataType::Int8, 1, 12, 41, 16, 5, 1, 1, schema::Padding_VALID, ActivationFunctionType_RELU, 2},
        {DataType::UInt8, 1, 5, 3, 16, 3, 1, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 1},
        {DataType::Int8, 1, 9, 20, 16, 3, 1, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 1},  // dilated: not grouped
    };
    std::mt19937 random(11);
    for (const DepthwiseCase& c : cases) {
        ModelBuilder builder;
        int input = 0, output = 0;
        buildDepthwise(builder, c, random, input, output);
        auto reference = compileBuilt(builder, {"reference"});
        auto fast = compileBuilt(builder, {"cpu", "reference"}, c.threads);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(fast) << fast.errorMessage();
        const Model& compiled = (*fast)->model();
        ASSERT_NE(cpu::quantizedDepthwiseConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[0]), nullptr)
            << "the kernel does not take this case";
        std::vector<uint8_t> x = randomBytes(static_cast<size_t>(c.batch * c.height * c.width * c.channels), random);
        ASSERT_TRUE((*reference)->setInput(0, input, x));
        ASSERT_TRUE((*fast)->setInput(0, input, x));
        ASSERT_TRUE((*reference)->run(0));
        ASSERT_TRUE((*fast)->run(0));
        const RuntimeTensor& want = (*reference)->tensor(0, output);
        const RuntimeTensor& got = (*fast)->tensor(0, output);
        ASSERT_EQ(got.bytes, want.bytes);
        int differing = 0;
        for (size_t i = 0; i < got.bytes; ++i) differing += got.data[i] != want.data[i];
        std::cout << "  " << dataTypeName(c.type) << " " << c.kernel << "x" << c.kernel << "/" << c.stride << " dilation "
                  << c.dilation << ", " << c.batch << "x" << c.height << "x" << c.width << "x" << c.channels << ", "
                  << c.threads << " thread(s): " << got.bytes << " outputs, " << differing << " differ (accelerator "
                  << (*fast)->acceleratorOf(0, 0) << ")\n";
        EXPECT_EQ(differing, 0);
    }
}

}  // namespace
}  // namespace litestudio

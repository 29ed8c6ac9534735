// XNNPACK's float convolution with weights larger than L2, which runs as
// slices of output channels writing into one output, against the reference
// kernel (within 1e-5 of the largest output): a 1x1 over 8x8 pixels from
// 272 to 1632 channels (pose landmark heavy's shape, 1.8 MB of weights) and
// back, and a 3x3 SAME one with RELU6 whose last slice is partial; one and
// two threads.

#include <random>

#include "tests/accelerators/cpu/convolution_test_model.h"

namespace litestudio {
namespace {

TEST(XnnpackConvolution, LargeWeightsInSlicesMatchTheReference) {
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<testing::ConvolutionCase> cases = {
        {1, 8, 8, 272, 1632, 1, 1, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},
        {1, 8, 8, 1632, 272, 1, 1, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 5, 6, 64, 530, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},
    };
    std::mt19937 random(29);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const testing::ConvolutionCase& c : cases) {
        std::vector<float> weights(static_cast<size_t>(c.outChannels * c.kernelH * c.kernelW * c.inChannels));
        std::vector<float> bias(static_cast<size_t>(c.outChannels));
        for (float& w : weights) w = values(random) * 0.1f;
        for (float& v : bias) v = values(random);
        testing::ConvolutionModel m = testing::convolutionModel(c, weights, bias);
        std::vector<float> x(static_cast<size_t>(c.height * c.width * c.inChannels));
        for (float& v : x) v = values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(m.builder, m.input, x, m.output, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        ASSERT_EQ(compared.cpu->acceleratorOf(0, 0), "cpu");
        std::cout << "  " << c.kernelH << "x" << c.kernelW << ", " << c.height << "x" << c.width << "x" << c.inChannels << " -> "
                  << c.outChannels << " (" << weights.size() * 4 / 1024 << " KiB of weights), " << c.threads
                  << " thread(s): largest difference " << compared.worst << "\n";
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

// An 8-bit depthwise with a depth multiplier of 2 (which only XNNPACK's
// convolution takes on cpu) whose requantization scale, input x filter /
// output, is below 2^-32: XNNPACK (2022) asserts there and a fuzzed model
// aborted the process. It now runs on the reference; the same op with
// ordinary scales still runs on cpu, and both agree with the reference.
TEST(XnnpackConvolution, ARequantizationBelowTwoToTheMinus32RunsOnTheReference) {
    struct Case {
        float inputScale, filterScale, outputScale;
        const char* accelerator;
    };
    const Case cases[] = {{0.05f, 0.01f, 0.1f, "cpu"}, {1e-6f, 1e-6f, 1.0f, "reference"}};
    for (const Case& c : cases) {
        ModelBuilder builder;
        builder.addSubgraph();
        const int x = builder.addTensor(testing::quantized("x", DataType::UInt8, {1, 5, 5, 4}, c.inputScale, 120));
        TensorSpec filter = testing::quantized("w", DataType::UInt8, {1, 3, 3, 8}, c.filterScale, 127);
        for (int i = 0; i < 72; ++i) filter.data.push_back(static_cast<uint8_t>(100 + (i * 37) % 56));
        const int w = builder.addTensor(filter);
        const int y = builder.addTensor(testing::quantized("y", DataType::UInt8, {1, 5, 5, 8}, c.outputScale, 128));
        builder.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {x, w, -1}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_DepthwiseConv2DOptions,
                                                               schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_SAME, 1, 1, 2).o};
                       }});
        builder.setInputs({x});
        builder.setOutputs({y});
        auto reference = testing::compileBuilt(builder, {"reference"});
        auto cpu = testing::compileBuilt(builder, {"cpu", "reference"});
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(cpu) << cpu.errorMessage();
        std::vector<uint8_t> input(100);
        for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>((i * 53) % 256);
        ASSERT_TRUE((*reference)->setInput(0, x, input));
        ASSERT_TRUE((*cpu)->setInput(0, x, input));
        ASSERT_TRUE((*reference)->run(0));
        ASSERT_TRUE((*cpu)->run(0));
        const auto got = testing::tensorValues<uint8_t>(**cpu, y), want = testing::tensorValues<uint8_t>(**reference, y);
        std::cout << "  requantization scale " << c.inputScale * c.filterScale / c.outputScale << ": ran on "
                  << (*cpu)->acceleratorOf(0, 0) << ", " << got.size() << " outputs, "
                  << (got == want ? "equal to" : "different from") << " the reference's\n";
        EXPECT_EQ((*cpu)->acceleratorOf(0, 0), c.accelerator);
        EXPECT_EQ(got, want);
    }
}

}  // namespace
}  // namespace litestudio

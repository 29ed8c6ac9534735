// The dilated float depthwise convolution (column phases over the AVX-512
// depthwise rows) against the reference kernel, within 1e-5 of the
// largest output: DeepLab's 3x3 at rates 2 and 4 on an odd 33x33 plane,
// 5x5 and 7x7, a rate over rows only and over columns only, SAME and VALID,
// a folded PAD (one not a multiple of the rate too), RELU6, 8 channels (which the undilated kernel runs in
// pixel pairs) and counts off the 16-lane block, planes narrower than a
// phase's reach, batches and two threads. Each case checks the kernel took
// the op; an undilated depthwise, a rate of 9 and stride 2 it leaves alone.

#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_dilated_depthwise_convolution.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

struct DilatedCase {
    int batch, height, width, channels, kernel, dilationH, dilationW;
    schema::Padding padding;
    schema::ActivationFunctionType activation;
    int padBefore;  // a PAD op of this many zeros on every side first (0: none)
    int threads;
    int stride = 1;
};

struct DilatedModel {
    ModelBuilder builder;
    int input = -1, output = -1, depthwise = 0;
};

DilatedModel dilatedModel(const DilatedCase& c, std::mt19937& random) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    DilatedModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.channels}});
    int convolved = m.input;
    const int paddedH = c.height + 2 * c.padBefore, paddedW = c.width + 2 * c.padBefore;
    if (c.padBefore > 0) {
        const int p = c.padBefore;
        const int paddings = b.addConstant("paddings", DataType::Int32, {4, 2}, testing::bytesOf<int32_t>({0, 0, p, p, p, p, 0, 0}));
        convolved = b.addTensor({"padded", DataType::Float32, {c.batch, paddedH, paddedW, c.channels}});
        b.addOp({schema::BuiltinOperator_PAD, {}, {m.input, paddings}, {convolved}});
        m.depthwise = 1;
    }
    std::vector<float> weights(static_cast<size_t>(c.kernel * c.kernel * c.channels)), bias(static_cast<size_t>(c.channels));
    for (float& w : weights) w = values(random);
    for (float& v : bias) v = values(random);
    const int w = b.addFloatConstant("w", {1, c.kernel, c.kernel, c.channels}, weights);
    const int biasTensor = b.addFloatConstant("b", {c.channels}, bias);
    auto size = [&](int in, int dilation) {
        const int reach = dilation * (c.kernel - 1) + 1;
        return c.padding == schema::Padding_SAME ? (in + c.stride - 1) / c.stride : (in - reach) / c.stride + 1;
    };
    m.output = b.addTensor({"y", DataType::Float32, {c.batch, size(paddedH, c.dilationH), size(paddedW, c.dilationW), c.channels}});
    b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {convolved, w, biasTensor}, {m.output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_DepthwiseConv2DOptions,
                                                     schema::CreateDepthwiseConv2DOptions(fbb, c.padding, c.stride, c.stride, 1, c.activation,
                                                                                          c.dilationW, c.dilationH)
                                                         .o};
             }});
    b.setInputs({m.input});
    b.setOutputs({m.output});
    return m;
}

TEST(FloatDilatedDepthwiseConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<DilatedCase> cases = {
        {1, 33, 33, 96, 3, 2, 2, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},   // DeepLab's rate 2
        {1, 33, 33, 80, 3, 4, 4, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 2},   // and rate 4
        {2, 17, 19, 40, 5, 2, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 23, 21, 33, 7, 3, 3, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 16, 15, 24, 3, 2, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},    // rows only
        {1, 15, 16, 24, 3, 1, 3, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},    // columns only
        {1, 20, 22, 48, 3, 4, 4, schema::Padding_VALID, ActivationFunctionType_RELU6, 0, 1},
        {1, 12, 13, 17, 3, 2, 2, schema::Padding_VALID, ActivationFunctionType_NONE, 2, 2},   // a folded PAD
        // Folded padding that is not a multiple of the rate: output phase q
        // then reads another input phase.
        {1, 12, 13, 17, 3, 2, 2, schema::Padding_VALID, ActivationFunctionType_NONE, 1, 1},
        {1, 15, 14, 20, 5, 4, 4, schema::Padding_VALID, ActivationFunctionType_RELU6, 3, 2},
        {1, 14, 13, 8, 3, 2, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},     // 8 channels
        {1, 6, 5, 32, 3, 8, 8, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},      // the rate reaches past the plane
        {1, 9, 3, 16, 5, 2, 4, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 2},     // fewer columns than phases
    };
    std::mt19937 random(7);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const DilatedCase& c : cases) {
        DilatedModel m = dilatedModel(c, random);
        std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.channels));
        for (float& v : x) v = values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(m.builder, m.input, x, m.output, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const Model& compiled = compared.cpu->model();
        ASSERT_NE(cpu::floatDilatedDepthwiseConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[m.depthwise]), nullptr)
            << "the kernel does not take this case";
        std::cout << "  " << c.kernel << "x" << c.kernel << " rate " << c.dilationH << "x" << c.dilationW
                  << (c.padding == schema::Padding_SAME ? " SAME" : " VALID") << (c.padBefore ? " after PAD" : "") << ", " << c.batch << "x"
                  << c.height << "x" << c.width << "x" << c.channels << ", " << c.threads << " thread(s): largest difference "
                  << compared.worst << " of outputs up to " << compared.largest << "\n";
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

TEST(FloatDilatedDepthwiseConvolution, LeavesOtherDepthwiseConvolutionsAlone) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::ActivationFunctionType_NONE;
    const std::vector<std::pair<const char*, DilatedCase>> cases = {
        {"undilated", {1, 12, 12, 32, 3, 1, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
        {"rate 9", {1, 40, 40, 32, 3, 9, 9, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
        {"rate 2 at stride 2", {1, 12, 12, 32, 3, 2, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1, 2}},
    };
    std::mt19937 random(8);
    for (const auto& [name, c] : cases) {
        DilatedModel m = dilatedModel(c, random);
        auto model = testing::compileBuilt(m.builder, {"reference"});
        ASSERT_TRUE(model) << name << ": " << model.errorMessage();
        const Model& compiled = (*model)->model();
        const bool taken = cpu::floatDilatedDepthwiseConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[0]) != nullptr;
        std::cout << "  " << name << ": " << (taken ? "taken" : "left alone") << "\n";
        EXPECT_FALSE(taken) << name;
    }
}

}  // namespace
}  // namespace litestudio

// The AVX-512 convolution to 1-4 output channels against the reference
// kernel (float sums in another order, so within 1e-5 of the largest
// output): pose landmark's 3x3 from 8 channels to 1 (blocks of 16 outputs,
// a partial block and both edges), 1x1 classifiers to 2 and 4 outputs,
// windows of 1 to 4 vectors (5x5 over 12 channels: 60 floats), strides 1
// and 2, SAME and VALID, a folded PAD, fused RELU6, batches and two
// threads. Each case checks the kernel took the op.

#include <cmath>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/narrow_output_convolution.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct NarrowCase {
    int batch, height, width, inChannels, outChannels, kernelH, kernelW, stride;
    schema::Padding padding;
    schema::ActivationFunctionType activation;
    int padBefore;  // a PAD op of this many zeros on every side first (0: none)
    int threads;
};

int outputSize(const NarrowCase& c, int in, int kernel) {
    return c.padding == schema::Padding_SAME ? (in + c.stride - 1) / c.stride : (in - kernel) / c.stride + 1;
}

TEST(NarrowOutputConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<NarrowCase> cases = {
        {1, 21, 37, 8, 1, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {2, 9, 40, 8, 1, 3, 3, 1, schema::Padding_VALID, ActivationFunctionType_RELU6, 0, 2},
        {1, 14, 14, 24, 2, 1, 1, 1, schema::Padding_VALID, ActivationFunctionType_NONE, 0, 1},
        {1, 7, 9, 16, 4, 1, 1, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 2},
        {1, 17, 35, 12, 3, 5, 5, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 16, 50, 8, 1, 3, 3, 2, schema::Padding_VALID, ActivationFunctionType_NONE, 1, 1},
        {1, 3, 2, 5, 1, 5, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},  // narrower than the kernel
    };
    std::mt19937 random(17);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const NarrowCase& c : cases) {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        int input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.inChannels}});
        int convolved = input;
        int paddedH = c.height + 2 * c.padBefore, paddedW = c.width + 2 * c.padBefore;
        if (c.padBefore > 0) {
            int p = c.padBefore;
            int paddings = b.addConstant("paddings", DataType::Int32, {4, 2}, testing::bytesOf<int32_t>({0, 0, p, p, p, p, 0, 0}));
            convolved = b.addTensor({"padded", DataType::Float32, {c.batch, paddedH, paddedW, c.inChannels}});
            b.addOp({schema::BuiltinOperator_PAD, {}, {input, paddings}, {convolved}});
        }
        std::vector<float> weights(static_cast<size_t>(c.outChannels * c.kernelH * c.kernelW * c.inChannels));
        std::vector<float> bias(static_cast<size_t>(c.outChannels));
        for (float& w : weights) w = values(random);
        for (float& v : bias) v = values(random);
        int w = b.addFloatConstant("w", {c.outChannels, c.kernelH, c.kernelW, c.inChannels}, weights);
        int biasTensor = b.addFloatConstant("b", {c.outChannels}, bias);
        int output = b.addTensor({"y", DataType::Float32,
                                  {c.batch, outputSize(c, paddedH, c.kernelH), outputSize(c, paddedW, c.kernelW), c.outChannels}});
        b.addOp({schema::BuiltinOperator_CONV_2D, {}, {convolved, w, biasTensor}, {output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                         schema::CreateConv2DOptions(fbb, c.padding, c.stride, c.stride, c.activation).o};
                 }});
        b.setInputs({input});
        b.setOutputs({output});
        auto reference = compileBuilt(b, {"reference"});
        auto fast = compileBuilt(b, {"cpu", "reference"}, c.threads);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(fast) << fast.errorMessage();
        const Model& compiled = (*fast)->model();
        const int convolution = c.padBefore > 0 ? 1 : 0;
        ASSERT_NE(cpu::narrowOutputConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[convolution]), nullptr)
            << "the kernel does not take this case";
        std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.inChannels));
        for (float& v : x) v = values(random);
        const double worst = testing::largestDifference(**fast, **reference, input, x, output, false);
        ASSERT_GE(worst, 0.0) << "a run failed or the outputs differ in size";
        float largest = 1.0f;
        for (float v : testing::tensorValues<float>(**reference, output)) largest = std::max(largest, std::fabs(v));
        std::cout << "  " << c.kernelH << "x" << c.kernelW << "/" << c.stride << (c.padding == schema::Padding_SAME ? " SAME" : " VALID")
                  << (c.padBefore ? " after PAD" : "") << ", " << c.batch << "x" << c.height << "x" << c.width << "x" << c.inChannels
                  << " -> " << c.outChannels << ", " << c.threads << " thread(s): " << "largest difference "
                  << worst << " (accelerator " << (*fast)->acceleratorOf(0, convolution) << ")\n";
        EXPECT_LE(worst, 1e-5 * largest);
    }
}

}  // namespace
}  // namespace litestudio

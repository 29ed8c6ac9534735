// The AVX-512 convolution over 1-4 input channels against the reference
// kernel (float sums in another order, so within 1e-5 of the largest
// output): 1 to 4 input channels, 8 to 64 outputs (one to four vectors, the
// last partly used), 3x3, 5x5, 7x7 and a 2x3 filter, strides 1 and 2, SAME
// and VALID, a folded PAD, fused RELU6, widths that leave a partial group of
// pixels, batches and two threads. Each case checks the kernel took the op.

#include <cmath>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_stem_convolution.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct StemCase {
    int batch, height, width, inChannels, outChannels, kernelH, kernelW, stride;
    schema::Padding padding;
    schema::ActivationFunctionType activation;
    int padBefore;  // a PAD op of this many zeros on every side first (0: none)
    int threads;
};

int outputSize(const StemCase& c, int in, int kernel) {
    return c.padding == schema::Padding_SAME ? (in + c.stride - 1) / c.stride : (in - kernel) / c.stride + 1;
}

TEST(FloatStemConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<StemCase> cases = {
        {1, 19, 21, 3, 24, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},
        {1, 16, 18, 3, 16, 3, 3, 2, schema::Padding_VALID, ActivationFunctionType_NONE, 1, 1},
        {2, 13, 11, 3, 32, 5, 5, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 9, 23, 1, 8, 7, 7, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 10, 10, 2, 40, 3, 3, 1, schema::Padding_VALID, ActivationFunctionType_RELU6, 0, 2},
        {1, 12, 9, 4, 64, 2, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 3, 2, 3, 24, 5, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},  // narrower than the kernel
    };
    std::mt19937 random(17);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const StemCase& c : cases) {
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
        ASSERT_NE(cpu::floatStemConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[convolution]), nullptr)
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

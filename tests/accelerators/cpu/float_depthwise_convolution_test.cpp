// The AVX-512 float depthwise convolution against the reference kernel
// (float sums in another order, so within 1e-5 of the largest output): 3x3
// on few channels and 5x5 and 7x7 on channel counts off the 16-lane block,
// strides 1 and 2, SAME and VALID, rows split into segments (interior
// ones, uneven ones, rows too wide for the column order), planes narrower
// than the kernel, a folded PAD, fused RELU6, batches and two threads; 8
// channels at stride 1 (two pixels a vector) with odd widths. Each case
// checks the kernel took the op.

#include <cmath>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_depthwise_convolution.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {


struct DepthwiseCase {
    int batch, height, width, channels, kernel, stride;
    schema::Padding padding;
    schema::ActivationFunctionType activation;
    int padBefore;  // a PAD op of this many zeros on every side first (0: none)
    int threads;
};

int outputSize(const DepthwiseCase& c, int in) {
    return c.padding == schema::Padding_SAME ? (in + c.stride - 1) / c.stride : (in - c.kernel) / c.stride + 1;
}

TEST(FloatDepthwiseConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<DepthwiseCase> cases = {
        {1, 12, 13, 24, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},
        {1, 11, 10, 32, 3, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 9, 14, 40, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {2, 10, 9, 17, 5, 2, schema::Padding_VALID, ActivationFunctionType_RELU6, 2, 1},
        {1, 8, 11, 70, 7, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 15, 15, 33, 7, 2, schema::Padding_VALID, ActivationFunctionType_NONE, 3, 1},
        {1, 3, 2, 48, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},  // narrower than the kernel
        // Whole blocks two at a time (edges included), a single one after an odd count
        {1, 14, 14, 96, 5, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 2},
        {1, 7, 7, 112, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},  // 7 blocks on two threads: pairs, the last alone
        {1, 9, 10, 64, 5, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 9, 12, 96, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 2},  // 3x3 over 32 channels: ours at stride 1
        // Rows in segments: 40 as 14 + 14 + 12 (an interior one between the
        // edges), 17 as 9 + 8 (two blocks at a time, then one), 100 as
        // 15 x 6 + 10 through the row order (too wide for the column order),
        // stride 2 with edges found at run time, 7x7 over a whole row of 7,
        // and a folded PAD that makes VALID the same as SAME.
        {1, 6, 40, 24, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 5, 17, 40, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 2},
        {1, 4, 100, 20, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 9, 70, 36, 5, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 7, 7, 50, 7, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},
        {1, 8, 30, 16, 7, 1, schema::Padding_VALID, ActivationFunctionType_NONE, 3, 1},
        // Tasks of many blocks down the rows: 17 blocks as 14 + 3 (a pair
        // and one, the last of 8 channels), and on two threads as pairs.
        {1, 7, 7, 264, 5, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},
        {1, 7, 7, 264, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        // 8 channels at stride 1: two pixels a vector (odd widths end in half a pair)
        {1, 13, 21, 8, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},
        {2, 9, 16, 8, 3, 1, schema::Padding_VALID, ActivationFunctionType_NONE, 1, 2},
        {1, 11, 19, 8, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 4, 3, 8, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
    };
    std::mt19937 random(3);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const DepthwiseCase& c : cases) {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        int input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.channels}});
        int convolved = input;
        int paddedH = c.height + 2 * c.padBefore, paddedW = c.width + 2 * c.padBefore;
        if (c.padBefore > 0) {
            int p = c.padBefore;
            int paddings = b.addConstant("paddings", DataType::Int32, {4, 2}, testing::bytesOf<int32_t>({0, 0, p, p, p, p, 0, 0}));
            convolved = b.addTensor({"padded", DataType::Float32, {c.batch, paddedH, paddedW, c.channels}});
            b.addOp({schema::BuiltinOperator_PAD, {}, {input, paddings}, {convolved}});
        }
        std::vector<float> weights(static_cast<size_t>(c.kernel * c.kernel * c.channels)), bias(static_cast<size_t>(c.channels));
        for (float& w : weights) w = values(random);
        for (float& v : bias) v = values(random);
        int w = b.addFloatConstant("w", {1, c.kernel, c.kernel, c.channels}, weights);
        int biasTensor = b.addFloatConstant("b", {c.channels}, bias);
        int output = b.addTensor({"y", DataType::Float32, {c.batch, outputSize(c, paddedH), outputSize(c, paddedW), c.channels}});
        b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {convolved, w, biasTensor}, {output},
                 [c](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{
                         schema::BuiltinOptions_DepthwiseConv2DOptions,
                         schema::CreateDepthwiseConv2DOptions(fbb, c.padding, c.stride, c.stride, 1, c.activation).o};
                 }});
        b.setInputs({input});
        b.setOutputs({output});
        std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.channels));
        for (float& v : x) v = values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(b, input, x, output, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const Model& compiled = compared.cpu->model();
        const int convolution = c.padBefore > 0 ? 1 : 0;
        ASSERT_NE(cpu::floatDepthwiseConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[convolution]), nullptr)
            << "the kernel does not take this case";
        std::cout << "  " << c.kernel << "x" << c.kernel << "/" << c.stride << (c.padding == schema::Padding_SAME ? " SAME" : " VALID")
                  << (c.padBefore ? " after PAD" : "") << ", " << c.batch << "x" << c.height << "x" << c.width << "x" << c.channels
                  << ", " << c.threads << " thread(s): largest difference " << compared.worst << "\n";
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

}  // namespace
}  // namespace litestudio

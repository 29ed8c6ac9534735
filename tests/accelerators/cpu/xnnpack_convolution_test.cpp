// XNNPACK's float convolution with weights larger than L2, which runs as
// slices of output channels writing into one output, against the reference
// kernel (within 1e-5 of the largest output): a 1x1 over 8x8 pixels from
// 272 to 1632 channels (pose landmark heavy's shape, 1.8 MB of weights) and
// back, and a 3x3 SAME one with RELU6 whose last slice is partial; one and
// two threads.

#include <cmath>
#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct SlicedCase {
    int height, width, inChannels, outChannels, kernel;
    schema::ActivationFunctionType activation;
    int threads;
};

TEST(XnnpackConvolution, LargeWeightsInSlicesMatchTheReference) {
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<SlicedCase> cases = {
        {8, 8, 272, 1632, 1, ActivationFunctionType_RELU6, 1},
        {8, 8, 1632, 272, 1, ActivationFunctionType_NONE, 2},
        {5, 6, 64, 530, 3, ActivationFunctionType_RELU6, 1},
    };
    std::mt19937 random(29);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const SlicedCase& c : cases) {
        ModelBuilder b;
        b.addSubgraph();
        int input = b.addTensor({"x", DataType::Float32, {1, c.height, c.width, c.inChannels}});
        std::vector<float> weights(static_cast<size_t>(c.outChannels * c.kernel * c.kernel * c.inChannels)), bias(static_cast<size_t>(c.outChannels));
        for (float& w : weights) w = values(random) * 0.1f;
        for (float& v : bias) v = values(random);
        int w = b.addFloatConstant("w", {c.outChannels, c.kernel, c.kernel, c.inChannels}, weights);
        int biasTensor = b.addFloatConstant("b", {c.outChannels}, bias);
        int output = b.addTensor({"y", DataType::Float32, {1, c.height, c.width, c.outChannels}});
        b.addOp({schema::BuiltinOperator_CONV_2D, {}, {input, w, biasTensor}, {output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{
                         schema::BuiltinOptions_Conv2DOptions, schema::CreateConv2DOptions(fbb, schema::Padding_SAME, 1, 1, c.activation).o};
                 }});
        b.setInputs({input});
        b.setOutputs({output});
        auto reference = compileBuilt(b, {"reference"});
        auto fast = compileBuilt(b, {"cpu", "reference"}, c.threads);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(fast) << fast.errorMessage();
        ASSERT_EQ((*fast)->acceleratorOf(0, 0), "cpu");
        std::vector<float> x(static_cast<size_t>(c.height * c.width * c.inChannels));
        for (float& v : x) v = values(random);
        const double worst = testing::largestDifference(**fast, **reference, input, x, output, false);
        ASSERT_GE(worst, 0.0) << "a run failed or the outputs differ in size";
        float largest = 1.0f;
        for (float v : testing::tensorValues<float>(**reference, output)) largest = std::max(largest, std::fabs(v));
        std::cout << "  " << c.kernel << "x" << c.kernel << ", " << c.height << "x" << c.width << "x" << c.inChannels << " -> "
                  << c.outChannels << " (" << weights.size() * 4 / 1024 << " KiB of weights), " << c.threads
                  << " thread(s): largest difference " << worst << "\n";
        EXPECT_LE(worst, 1e-5 * largest);
    }
}

}  // namespace
}  // namespace litestudio

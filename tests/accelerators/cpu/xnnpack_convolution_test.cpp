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

}  // namespace
}  // namespace litestudio

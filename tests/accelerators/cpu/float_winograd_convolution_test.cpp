// The Winograd F(2x2, 3x3) convolution against the reference kernel (the
// transforms add and halve, so sums round differently: within 1e-5 of the
// largest output): a ResNet stage's 56x56x64 -> 64 with RELU, odd planes
// whose last tiles hang over the edge (SAME and VALID), a folded PAD,
// RELU6, channel counts that leave partial vectors and 64-channel blocks,
// a batch of two, and two threads. Each case checks the kernel took the op;
// a 1x1, a stride-2 3x3 and a plane under 100 outputs it leaves alone.

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_winograd_convolution.h"
#include "tests/accelerators/cpu/convolution_test_model.h"

namespace litestudio {
namespace {

using testing::ConvolutionCase;
using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU, schema::ActivationFunctionType_RELU6;

TEST(FloatWinogradConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const std::vector<ConvolutionCase> cases = {
        {1, 56, 56, 64, 64, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU, 0, 1},
        {1, 15, 13, 24, 40, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 17, 14, 16, 72, 3, 3, 1, schema::Padding_VALID, ActivationFunctionType_RELU6, 0, 1},
        {1, 12, 11, 40, 33, 3, 3, 1, schema::Padding_VALID, ActivationFunctionType_NONE, 1, 1},
        {2, 10, 12, 128, 136, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU, 0, 2},
        {1, 28, 28, 96, 128, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
    };
    testing::expectCasesMatchTheReference(cases, cpu::floatWinogradConvolutionKernel, 23);
}

TEST(FloatWinogradConvolution, LeavesOtherConvolutionsAlone) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const std::vector<std::pair<const char*, ConvolutionCase>> cases = {
        {"1x1", {1, 16, 16, 32, 32, 1, 1, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
        {"3x3 stride 2", {1, 16, 16, 32, 32, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
        {"7x7 plane", {1, 7, 7, 512, 512, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
        {"8 input channels", {1, 16, 16, 8, 32, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
    };
    for (const auto& [name, c] : cases) {
        const std::vector<float> weights(static_cast<size_t>(c.outChannels * c.kernelH * c.kernelW * c.inChannels), 0.5f);
        testing::ConvolutionModel m = testing::convolutionModel(c, weights, std::vector<float>(static_cast<size_t>(c.outChannels), 0.0f));
        auto model = testing::compileBuilt(m.builder, {"reference"});
        ASSERT_TRUE(model) << model.errorMessage();
        const Model& compiled = (*model)->model();
        const bool taken = cpu::floatWinogradConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[0]) != nullptr;
        std::cout << "  " << name << ": " << (taken ? "taken" : "left alone") << "\n";
        EXPECT_FALSE(taken) << name;
    }
}

}  // namespace
}  // namespace litestudio

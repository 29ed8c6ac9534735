// The AVX-512 convolution to 1-4 output channels against the reference
// kernel (float sums in another order, so within 1e-5 of the largest
// output): pose landmark's 3x3 from 8 channels to 1 (blocks of 16 outputs,
// a partial block and both edges), 1x1 classifiers to 2 and 4 outputs,
// windows of 1 to 4 vectors (5x5 over 12 channels: 60 floats) and wider
// ones read vector by vector (a style-transfer network's 9x9 from 32
// channels to 3: 18 vectors; 3x3 over 40 channels, a masked last vector,
// on an odd width; palm detection's 1x1 head, 128 channels to 2), strides
// 1 and 2, SAME and VALID, a folded PAD, fused RELU6, batches and two
// threads. Each case checks the kernel took the op.

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/narrow_output_convolution.h"
#include "tests/accelerators/cpu/convolution_test_model.h"

namespace litestudio {
namespace {

using testing::ConvolutionCase;

TEST(NarrowOutputConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<ConvolutionCase> cases = {
        {1, 21, 37, 8, 1, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {2, 9, 40, 8, 1, 3, 3, 1, schema::Padding_VALID, ActivationFunctionType_RELU6, 0, 2},
        {1, 14, 14, 24, 2, 1, 1, 1, schema::Padding_VALID, ActivationFunctionType_NONE, 0, 1},
        {1, 7, 9, 16, 4, 1, 1, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 2},
        {1, 17, 35, 12, 3, 5, 5, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 16, 50, 8, 1, 3, 3, 2, schema::Padding_VALID, ActivationFunctionType_NONE, 1, 1},
        {1, 3, 2, 5, 1, 5, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},  // narrower than the kernel
        {1, 20, 23, 32, 3, 9, 9, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 13, 15, 40, 1, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},
        {2, 11, 12, 64, 4, 3, 3, 2, schema::Padding_VALID, ActivationFunctionType_NONE, 0, 1},
        {1, 9, 10, 24, 2, 7, 7, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 2, 2},
        {1, 4, 3, 32, 3, 9, 9, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},  // every window past both edges
        {1, 24, 24, 128, 2, 1, 1, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},  // palm detection's classifier head
    };
    testing::expectCasesMatchTheReference(cases, cpu::narrowOutputConvolutionKernel, 19);
}

}  // namespace
}  // namespace litestudio

// The AVX-512 convolution over 1-4 input channels against the reference
// kernel (float sums in another order, so within 1e-5 of the largest
// output): 1 to 4 input channels, 8 to 64 outputs (one to four vectors, the
// last partly used), 3x3, 5x5, 7x7 and a 2x3 filter, strides 1 and 2, SAME
// and VALID, a folded PAD, fused RELU6, widths that leave a partial group of
// pixels, batches and two threads. Each case checks the kernel took the op.

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_stem_convolution.h"
#include "tests/accelerators/cpu/convolution_test_model.h"

namespace litestudio {
namespace {

using testing::ConvolutionCase;

TEST(FloatStemConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<ConvolutionCase> cases = {
        {1, 19, 21, 3, 24, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 1},
        {1, 16, 18, 3, 16, 3, 3, 2, schema::Padding_VALID, ActivationFunctionType_NONE, 1, 1},
        {2, 13, 11, 3, 32, 5, 5, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 9, 23, 1, 8, 7, 7, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 10, 10, 2, 40, 3, 3, 1, schema::Padding_VALID, ActivationFunctionType_RELU6, 0, 2},
        {1, 12, 9, 4, 64, 2, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 3, 2, 3, 24, 5, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},  // narrower than the kernel
    };
    testing::expectCasesMatchTheReference(cases, cpu::floatStemConvolutionKernel, 17);
}

}  // namespace
}  // namespace litestudio

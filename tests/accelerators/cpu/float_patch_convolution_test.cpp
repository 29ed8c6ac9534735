// The patch convolution (gathered patches times the filter through the
// dense 1x1's GEMM) against the reference kernel, within 1e-5 of the
// largest output: YOLO's 3x3 stride-2 downsampling from 32 channels to
// 64, an odd plane under VALID whose 72 outputs leave a partial vector, a
// folded PAD, a 5x5 and a 3x3 over 8 channels (too few for Winograd), a
// batch of two, a patch row of 4608 floats (3x3 over 512 channels) on a
// 7x7 plane, a plane of several chunks a thread, ResNet's 1x1
// stride-2 shortcut (a patch of one pixel), and weights past 1 MiB whose
// output blocks threads share out; on one, two and three threads. Each case checks that this kernel takes the op and that none
// before it in the accelerator's order (stem, Winograd) does. It leaves
// alone a 1x1 at stride 1, fewer than 64 outputs, a plane under 49 pixels
// and a patch row past 8192 floats.

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_patch_convolution.h"
#include "accelerators/cpu/float_stem_convolution.h"
#include "accelerators/cpu/float_winograd_convolution.h"
#include "tests/accelerators/cpu/convolution_test_model.h"

namespace litestudio {
namespace {

using testing::ConvolutionCase;
using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU, schema::ActivationFunctionType_RELU6;

TEST(FloatPatchConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const std::vector<ConvolutionCase> cases = {
        {1, 40, 40, 32, 64, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 21, 19, 48, 72, 3, 3, 2, schema::Padding_VALID, ActivationFunctionType_RELU6, 0, 2},
        {1, 20, 20, 24, 64, 3, 3, 2, schema::Padding_VALID, ActivationFunctionType_RELU, 1, 2},
        {1, 14, 14, 8, 96, 5, 5, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 16, 16, 8, 64, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU, 0, 2},
        {2, 16, 16, 40, 128, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 14, 14, 512, 64, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        {1, 64, 64, 16, 64, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 2},
        {1, 28, 28, 256, 512, 1, 1, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 15, 15, 64, 80, 1, 1, 2, schema::Padding_VALID, ActivationFunctionType_RELU, 0, 1},
        // Weights past 1 MiB on two and three threads: output blocks shared
        // out over one chunk (9.4 MB, 8 blocks), over five chunks of 80
        // (1.2 MB, 4 blocks), and in groups of 2, 3 and 3 blocks.
        {1, 14, 14, 512, 512, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_RELU, 0, 2},
        {1, 40, 40, 128, 256, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 7, 7, 256, 500, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 3},
    };
    for (const ConvolutionCase& c : cases) {
        EXPECT_FALSE(testing::kernelTakes(cpu::floatWinogradConvolutionKernel, c)) << "Winograd takes case " << c.height << "x" << c.width;
        EXPECT_FALSE(testing::kernelTakes(cpu::floatStemConvolutionKernel, c)) << "the stem kernel takes case " << c.height << "x" << c.width;
    }
    testing::expectCasesMatchTheReference(cases, cpu::floatPatchConvolutionKernel, 31);
}

TEST(FloatPatchConvolution, LeavesOtherConvolutionsAlone) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const std::vector<std::pair<const char*, ConvolutionCase>> cases = {
        {"1x1", {1, 16, 16, 32, 64, 1, 1, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
        {"32 outputs", {1, 16, 16, 32, 32, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
        {"6x6 plane", {1, 12, 12, 32, 64, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
        {"patch of 9216 floats", {1, 16, 16, 1024, 64, 3, 3, 2, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1}},
    };
    for (const auto& [name, c] : cases) {
        const bool taken = testing::kernelTakes(cpu::floatPatchConvolutionKernel, c);
        std::cout << "  " << name << ": " << (taken ? "taken" : "left alone") << "\n";
        EXPECT_FALSE(taken) << name;
    }
}

TEST(FloatPatchConvolution, ChunksKeepThePatchRowsNearAHundredKilobytesOrAMegabyteForLargeWeights) {
    // 3x3 from 16 channels to 64: 144 floats a row, 227 rows in 128 KiB, capped at 96.
    EXPECT_EQ(cpu::floatPatchChunkPixels(144, 144 * 64 * 4), 96);
    // 3x3 from 128 to 64: 1152 floats, 28 rows, whole steps of six: 24.
    EXPECT_EQ(cpu::floatPatchChunkPixels(1152, 1152 * 64 * 4), 24);
    // From 128 to 256: 1.2 MB of weights, rows up to 1 MiB: 227, capped at 96.
    EXPECT_EQ(cpu::floatPatchChunkPixels(1152, 1152 * 256 * 4), 96);
    // 3x3 from 256 to 64: 2304 floats, 0.6 MB, 14 rows: 12.
    EXPECT_EQ(cpu::floatPatchChunkPixels(2304, 2304 * 64 * 4), 12);
    // 3x3 over 512 to 512: 4608 floats, 9.4 MB of weights: 56 rows, 54.
    EXPECT_EQ(cpu::floatPatchChunkPixels(4608, 4608 * 512 * 4), 54);
    // Rows of 8192 floats under small weights: 4 rows, but never fewer than a step.
    EXPECT_EQ(cpu::floatPatchChunkPixels(8192, 1024), 6);
}

}  // namespace
}  // namespace litestudio

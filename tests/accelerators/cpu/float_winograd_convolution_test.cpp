// The Winograd convolution, F(4x4, 3x3) and F(2x2, 3x3), against the
// reference kernel (the transforms scale and add, so sums round
// differently: within 5e-5 of the largest output, where F(2x2) stays
// within 1e-6 and F(4x4) within 1e-5 of the largest sum before RELU6 clamps
// it; the golden tolerance is 1e-3): a ResNet stage's
// 56x56x64 -> 64 with RELU, odd planes whose last tiles hang over the edge
// (SAME and VALID), a folded PAD, RELU6, channel counts that leave partial
// vectors and 64-channel blocks, a batch of two and of three, two
// threads, and weights past 1 MiB whose output blocks two and three
// threads share out; each case prints which tile it ran. Each case checks the kernel
// took the op; a 1x1, a stride-2 3x3 and a plane under 100 outputs it
// leaves alone. The tile rule: 4x4 where each thread gets 16 or more such
// blocks and they multiply less than 2x2 ones would.

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
        {1, 31, 23, 48, 40, 3, 3, 1, schema::Padding_VALID, ActivationFunctionType_RELU6, 1, 2},
        {3, 18, 17, 16, 32, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 1},
        // Transformed weights past 1 MiB: threads share out the output
        // blocks over one chunk (ResNet's 14x14 256 -> 256), over two
        // chunks of F(4x4) tiles, and in groups of 2, 2 and 3 blocks of
        // which the last is partial.
        {1, 14, 14, 256, 256, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU, 0, 2},
        {1, 36, 36, 160, 256, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 2},
        {1, 12, 12, 192, 440, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU6, 0, 3},
    };
    for (const auto& c : cases) {
        const int64_t outH = c.padding == schema::Padding_SAME ? c.height : c.height + 2 * c.padBefore - 2;
        const int64_t outW = c.padding == schema::Padding_SAME ? c.width : c.width + 2 * c.padBefore - 2;
        const int tile = cpu::floatWinogradTile(c.batch, outH, outW, c.threads);
        std::cout << "  " << c.batch << "x" << outH << "x" << outW << " outputs, " << c.threads << " thread(s): F(" << tile << "x" << tile
                  << ", 3x3)\n";
    }
    testing::expectCasesMatchTheReference(cases, cpu::floatWinogradConvolutionKernel, 23, 5e-5);
}

TEST(FloatWinogradConvolution, TakesFourByFourTilesWhereEachThreadGetsSixteen) {
    struct Plane {
        int64_t batch, outH, outW, threads;
        int tile;
    };
    const Plane planes[] = {
        {1, 56, 56, 1, 4}, {1, 56, 56, 2, 4}, {1, 28, 28, 2, 4},  // 196 and 49 blocks of 4x4
        {1, 14, 14, 1, 4}, {1, 14, 14, 2, 2},                     // 16: 16 for one thread, 8 for each of two
        {1, 12, 12, 1, 2}, {2, 12, 12, 1, 4}, {1, 13, 13, 1, 4},  // 9, 18 and 16
        {1, 100, 2, 1, 2},  // 25, but half their columns wasted: 900 multiplies a channel pair against 800 in 2x2 blocks
    };
    for (const Plane& plane : planes) {
        const int tile = cpu::floatWinogradTile(plane.batch, plane.outH, plane.outW, plane.threads);
        std::cout << "  " << plane.batch << "x" << plane.outH << "x" << plane.outW << " on " << plane.threads << " thread(s): F(" << tile
                  << "x" << tile << ")\n";
        EXPECT_EQ(tile, plane.tile) << plane.batch << "x" << plane.outH << "x" << plane.outW << " on " << plane.threads;
    }
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
        const bool taken = testing::kernelTakes(cpu::floatWinogradConvolutionKernel, c);
        std::cout << "  " << name << ": " << (taken ? "taken" : "left alone") << "\n";
        EXPECT_FALSE(taken) << name;
    }
}

}  // namespace
}  // namespace litestudio

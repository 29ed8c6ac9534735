// The Winograd convolution, F(4x4, 3x3) and F(2x2, 3x3), against the
// reference kernel (the transforms scale and add, so sums round
// differently: within 5e-5 of the largest output, where F(2x2) stays
// within 1e-6 and F(4x4) within 1e-5 of the largest sum before RELU6 clamps
// it; the golden tolerance is 1e-3): a ResNet stage's
// 56x56x64 -> 64 with RELU, odd planes whose last tiles hang over the edge
// (SAME and VALID), a folded PAD, RELU6, channel counts that leave partial
// vectors and 64-channel blocks, a batch of two and of three, two and
// three threads sharing out the transformed points (F(4x4) and F(2x2)),
// and weights past 1 MiB whose output blocks two and three threads share
// out; each case prints how it ran. Each case checks the kernel took the
// op; a 1x1, a stride-2 3x3 and a plane under 100 outputs it leaves alone.
// The tile rule: 4x4 where each thread gets 16 or more such blocks and
// they multiply less than 2x2 ones would; the plan on threads: output
// blocks past 1 MiB of weights, points where one thread's tiles fit 96,
// else tiles.

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
        // Points shared out: YOLOv8n's head over 20x20 on three threads
        // (F(4x4), rows of points 2, 2 and 2), its 10x10 256 -> 80 on two
        // (F(2x2): 1.3 MB of weights but two blocks, not grouped).
        {1, 20, 20, 128, 80, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_NONE, 0, 3},
        {1, 10, 10, 256, 80, 3, 3, 1, schema::Padding_SAME, ActivationFunctionType_RELU, 0, 2},
    };
    for (const auto& c : cases) {
        const int64_t outH = c.padding == schema::Padding_SAME ? c.height : c.height + 2 * c.padBefore - 2;
        const int64_t outW = c.padding == schema::Padding_SAME ? c.width : c.width + 2 * c.padBefore - 2;
        const cpu::WinogradPlan plan = cpu::floatWinogradPlan(c.batch, outH, outW, c.inChannels, c.outChannels, c.threads);
        std::cout << "  " << c.batch << "x" << outH << "x" << outW << " outputs, " << c.threads << " thread(s): F(" << plan.tile << "x"
                  << plan.tile << ", 3x3)"
                  << (plan.pointShares > 1 ? ", points shared out" : plan.blockGroups > 1 ? ", output blocks shared out" : "") << "\n";
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

TEST(FloatWinogradConvolution, PlansHowThreadsShareALayer) {
    struct Layer {
        int64_t batch, outH, outW, inputChannels, outputChannels, threads;
        int tile;
        int64_t blockGroups, pointShares;
    };
    const Layer layers[] = {
        {1, 56, 56, 64, 64, 1, 4, 1, 1},      // one thread: the tile alone
        {1, 56, 56, 64, 64, 2, 4, 1, 1},      // 196 tiles: past a chunk, shared out
        {1, 28, 28, 96, 128, 2, 4, 1, 2},     // 49 tiles: points
        {1, 20, 20, 128, 80, 3, 4, 1, 3},     // 25: points, three rows each
        {1, 14, 14, 64, 64, 2, 4, 1, 2},      // 16 tiles of 4x4 for one thread, so for two as well
        {1, 10, 10, 256, 80, 2, 2, 1, 2},     // 9 of 4x4: F(2x2), 25 tiles, points
        {1, 14, 14, 256, 256, 2, 2, 2, 1},    // 4 MiB of weights, 4 blocks: output blocks, tile for two threads
        {1, 12, 12, 192, 440, 3, 2, 3, 1},    // 5.4 MB, 7 blocks
        {1, 40, 40, 64, 80, 2, 4, 1, 1},      // 100 tiles: past a chunk
    };
    for (const Layer& l : layers) {
        const cpu::WinogradPlan plan = cpu::floatWinogradPlan(l.batch, l.outH, l.outW, l.inputChannels, l.outputChannels, l.threads);
        std::cout << "  " << l.batch << "x" << l.outH << "x" << l.outW << " " << l.inputChannels << " -> " << l.outputChannels << " on "
                  << l.threads << " thread(s): F(" << plan.tile << "x" << plan.tile << "), " << plan.blockGroups << " block group(s), "
                  << plan.pointShares << " point share(s)\n";
        EXPECT_EQ(plan.tile, l.tile) << l.outH << "x" << l.outW << " on " << l.threads;
        EXPECT_EQ(plan.blockGroups, l.blockGroups) << l.outH << "x" << l.outW << " on " << l.threads;
        EXPECT_EQ(plan.pointShares, l.pointShares) << l.outH << "x" << l.outW << " on " << l.threads;
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

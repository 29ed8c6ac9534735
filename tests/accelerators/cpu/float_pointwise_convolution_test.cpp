// The dense float32 1x1 convolution against the reference kernel (float
// sums in another order: within 1e-5 of the largest output): pixel counts
// that split into steps of unequal sizes (6s and 5s; 8s and 7s with at
// most three vectors) and into tiles of unequal sizes (256: 90, 90, 76), output
// channels that end a block of 64 part-way (39, 195) or fill one vector
// less than a block (48), 5 output channels, a last vector of at most 8
// channels (5, 24, 39, 72, 100, 195: its FMAs on 256 bits), few and many input channels
// (weights inside L1, tasks tile by tile, and past it, block by block; with
// 48 KiB of L1 the input channels in ranges whose weights fit there: sums
// kept in the output between ranges, clamped after the last; ctest runs
// the suite with 32 and 48 KiB),
// float16 weights, a batch of two, RELU6 and none, one to three threads
// (weights past L1 on threads: each thread's share of the pixels, block by
// block within it, where no depthwise reads the result).
// Each case checks which kernel took the op: planes under 49 pixels (7x7)
// and pruned weights are left to XNNPACK and the sparse kernel.

#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_pointwise_convolution.h"
#include "accelerators/cpu/xnnpack_accelerator.h"
#include "tests/accelerators/cpu/convolution_test_model.h"

namespace litestudio {
namespace {

struct PointwiseCase {
    int batch, height, width, inChannels, outChannels;
    bool float16;
    schema::ActivationFunctionType activation;
    int threads;
    double nonzeros;
    bool taken;
};

TEST(FloatPointwiseConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<PointwiseCase> cases = {
        {1, 16, 16, 24, 96, false, ActivationFunctionType_RELU6, 1, 1.0, true},   // pose landmark's first, smaller
        {1, 13, 11, 48, 39, true, ActivationFunctionType_NONE, 2, 1.0, true},     // 143 pixels, 39 outputs
        {1, 8, 8, 272, 195, false, ActivationFunctionType_RELU6, 2, 1.0, true},   // weights past L1, block by block, 3 ranges of inputs (48 KiB)
        {1, 8, 8, 1632, 100, true, ActivationFunctionType_RELU6, 1, 1.0, true},   // pose landmark heavy's: 13 ranges of inputs (48 KiB)
        {2, 9, 7, 160, 48, false, ActivationFunctionType_NONE, 1, 1.0, true},     // two images, three vectors a block
        {1, 10, 10, 40, 5, false, ActivationFunctionType_RELU6, 1, 1.0, true},    // one vector, 5 lanes of it
        {1, 12, 12, 64, 24, false, ActivationFunctionType_RELU6, 2, 1.0, true},   // MobileNetV3's 24: a last vector of 8 on 256 bits
        {1, 9, 9, 24, 72, true, ActivationFunctionType_NONE, 1, 1.0, true},       // 72: a block of 64, then one of 8
        {1, 7, 7, 1152, 192, false, ActivationFunctionType_NONE, 2, 1.0, true},   // EfficientNet's last 7x7 stage: 8 steps of 6 and 1
        {1, 7, 7, 192, 1152, false, ActivationFunctionType_NONE, 1, 1.0, true},
        {1, 20, 20, 256, 72, false, ActivationFunctionType_RELU6, 3, 1.0, true},  // block by block in pixel shares of 1, 2 and 2 tiles
        {1, 15, 16, 144, 130, true, ActivationFunctionType_NONE, 2, 1.0, true},   // in shares of 2 and 3 tiles (the runtime's even tiles)
        {1, 5, 7, 96, 64, false, ActivationFunctionType_NONE, 1, 1.0, false},     // 35 pixels: XNNPACK's
        {1, 14, 14, 480, 80, false, ActivationFunctionType_NONE, 1, 0.25, false}, // pruned: the sparse kernel's
    };
    const cpu::XnnpackAccelerator accelerator;
    std::mt19937 random(29);
    for (const PointwiseCase& c : cases) {
        const testing::ConvolutionCase shape{c.batch, c.height, c.width, c.inChannels, c.outChannels, 1, 1, 1, schema::Padding_SAME,
                                             c.activation, 0, c.threads};
        testing::CpuComparison compared = testing::comparePointwiseWithReference(shape, c.nonzeros, c.float16, 3.0f, random);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const Model& compiled = compared.cpu->model();
        // The kernel the accelerator picks for the op, ahead of this one
        // where another takes it (the sparse kernel, XNNPACK's slices).
        const KernelDef* mine = cpu::floatPointwiseConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[0]);
        const bool taken = mine && accelerator.kernelFor(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[0]) == mine;
        std::cout << "  " << c.batch << "x" << c.height << "x" << c.width << "x" << c.inChannels << " -> " << c.outChannels << ", "
                  << (c.float16 ? "float16" : "float32") << " weights, " << c.threads << " thread(s), " << (taken ? "this kernel" : "left")
                  << ": largest difference " << compared.worst << " (largest output " << compared.largest << ")\n";
        EXPECT_EQ(taken, c.taken);
        EXPECT_EQ(compared.cpu->acceleratorOf(0, 0), "cpu");
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

// A plane declared 7x7 that is empty when the model runs (the RELU before
// the convolution passes on its input's [1,0,7,24]): the kernel is chosen
// by the declared shape, then finds no pixels; it must make no tiles (the
// tile size once divided by their count; found by fuzzing).
TEST(FloatPointwiseConvolution, APlaneEmptyWhenItRunsHasNoTiles) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    for (int threads : {1, 2}) {
        ModelBuilder b;
        b.addSubgraph();
        const int x = b.addTensor({"x", DataType::Float32, {1, 0, 7, 24}});
        const int t = b.addTensor({"t", DataType::Float32, {1, 7, 7, 24}});
        const int y = b.addTensor({"y", DataType::Float32, {1, 7, 7, 32}});
        const int w = b.addFloatConstant("w", {32, 1, 1, 24}, std::vector<float>(32 * 24, 0.5f));
        b.addOp({schema::BuiltinOperator_RELU, {}, {x}, {t}});
        b.addOp({schema::BuiltinOperator_CONV_2D, {}, {t, w, -1}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions, schema::CreateConv2DOptions(fbb, schema::Padding_SAME, 1, 1).o};
                 }});
        b.setInputs({x});
        b.setOutputs({y});
        auto model = testing::compileBuilt(b, {"cpu", "reference"}, threads);
        ASSERT_TRUE(model) << model.errorMessage();
        const Model& compiled = (*model)->model();
        EXPECT_NE(cpu::floatPointwiseConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[1]), nullptr);
        const Status ran = (*model)->run(0);
        EXPECT_TRUE(ran) << ran.message();
        std::cout << "  " << threads << " thread(s): output " << shapeText((*model)->tensor(0, y).shape) << ", run "
                  << (ran ? "ok" : ran.message()) << "\n";
        EXPECT_EQ((*model)->tensor(0, y).elementCount(), 0);
    }
}

TEST(FloatPointwiseConvolution, ThreadsShareOutTheOutputBlocksOfWeightsPastAMegabyte) {
    struct Split {
        const char* name;
        int64_t weightBytes, blocks, threads, groups;
    };
    const Split splits[] = {
        {"ResNet-50's 7x7 3x3 512 -> 512 (9.4 MB, 8 blocks), two threads", 4608 * 512 * 4, 8, 2, 2},
        {"the same on three threads (2, 3 and 3 blocks)", 4608 * 512 * 4, 8, 3, 3},
        {"the same on one thread", 4608 * 512 * 4, 8, 1, 1},
        {"Winograd's 14x14 256 -> 256 (16 matrices: 4 MB, 4 blocks)", 16 * 256 * 256 * 4, 4, 2, 2},
        {"exactly 1 MiB (style transfer's 128 -> 128 in 16 matrices)", 16 * 128 * 128 * 4, 2, 2, 1},
        {"80 outputs: 64 and 16 channels would be the halves", 16 * 256 * 80 * 4, 2, 2, 1},
        {"256 -> 128 in Winograd: one block a thread", 16 * 256 * 128 * 4, 2, 2, 1},
        {"7 blocks on four threads", 16 * 256 * 448 * 4, 7, 4, 1},
    };
    for (const Split& split : splits) {
        const int64_t groups = cpu::outputBlockGroups(split.weightBytes, split.blocks, split.threads);
        std::cout << "  " << split.name << ": " << groups << " group(s)\n";
        EXPECT_EQ(groups, split.groups) << split.name;
    }
}

}  // namespace
}  // namespace litestudio

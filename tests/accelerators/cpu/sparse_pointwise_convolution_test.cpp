// The sparse 1x1 convolution against the reference kernel (float sums in
// another order, so within 1e-5 of the largest output): 25 % nonzero
// weights stored float32 and float16 (kept as 4-byte nonzeros with
// float16 values: channel_major::compactToHalves); input channels taken whole (80, 112
// with chunks of 128) and in chunks of 128 or 64, as L1 sizes them (200: a partial last chunk; 1152;
// tests/CMakeLists.txt runs L1 sizes of 16, 32 and 48 KiB); output channels not a
// multiple of 16; planes that end in a partial tile (7x7, 14x14, 5x3; their
// blocks of at most four pixels on 8 and 5 channels too) and a
// batch of two; a last tile of up to 68 pixels, its last 4 in a tail; RELU6 and no activation; one and two threads (a 7x7 plane
// splits its output channels between threads, a narrowing 9x20 layer of
// one chunk takes tiles of 32 pixels, and up to four tiles narrowing 700,
// 480 or 300 channels split their input chunks, the threads' partial sums
// added after), and an empty plane. Each case checks the kernel took the op, and that
// dense weights or a narrow layer are left to XNNPACK.

#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/sparse_pointwise_convolution.h"
#include "tests/accelerators/cpu/convolution_test_model.h"

namespace litestudio {
namespace {

struct SparseCase {
    int batch, height, width, inChannels, outChannels;
    double nonzeros;  // share of nonzero weights
    bool float16;
    schema::ActivationFunctionType activation;
    int threads;
    bool taken;  // whether the sparse kernel should take it
};

TEST(SparsePointwiseConvolution, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<SparseCase> cases = {
        {1, 7, 7, 192, 1152, 0.25, false, ActivationFunctionType_RELU6, 1, true},
        {1, 7, 7, 192, 1152, 0.25, true, ActivationFunctionType_RELU6, 1, true},  // halves, a 49th pixel's quarter
        {1, 14, 14, 112, 200, 0.25, true, ActivationFunctionType_RELU6, 1, true},  // halves, a tail of 4 pixels
        {1, 14, 14, 672, 112, 0.25, true, ActivationFunctionType_NONE, 2, true},  // halves, input parts
        {1, 7, 7, 1152, 200, 0.25, true, ActivationFunctionType_NONE, 2, true},
        {1, 14, 14, 80, 480, 0.25, false, ActivationFunctionType_RELU6, 2, true},
        {1, 14, 14, 112, 200, 0.25, false, ActivationFunctionType_RELU6, 1, true},  // one chunk of 128: a window of 64 outputs at a time, the last 8; 64 + 64 + 68 pixels
        // The last tile's pixels past 64 in its tail: in chunks (196 = 64 + 64
        // + 68, 130 = 64 + 66); on two threads where each still has two
        // tiles (260 = 3 x 64 + 68); 68 pixels stay two tiles (one goes
        // another path). 196 on two threads: widening, three tiles (64 + 64
        // + 68) of two output parts each; narrowing, three tiles whose input
        // chunks split between the threads (164: 64 + 64 + 36).
        {1, 14, 14, 672, 112, 0.25, false, ActivationFunctionType_RELU6, 1, true},
        {1, 10, 13, 200, 40, 0.3, true, ActivationFunctionType_NONE, 1, true},
        {1, 10, 26, 80, 480, 0.25, false, ActivationFunctionType_RELU6, 2, true},
        {1, 4, 41, 300, 40, 0.25, false, ActivationFunctionType_NONE, 2, true},
        {1, 2, 34, 112, 48, 0.3, false, ActivationFunctionType_RELU6, 1, true},
        {1, 14, 14, 672, 112, 0.25, false, ActivationFunctionType_NONE, 2, true},
        {2, 5, 3, 200, 72, 0.3, false, ActivationFunctionType_NONE, 1, true},
        {1, 9, 20, 112, 40, 0.35, true, ActivationFunctionType_RELU6, 2, true},
        // A last input chunk of 5 channels (133 = 128 + 5 or 2 x 64 + 5) and one of 8
        // (200), on tiles that end part way through a vector (99 = 64 + 35):
        // the narrow blocks' own transpose (two pixels a vector).
        {1, 9, 11, 133, 64, 0.25, false, ActivationFunctionType_RELU6, 1, true},
        {1, 9, 11, 200, 48, 0.25, false, ActivationFunctionType_NONE, 1, true},
        // Blocks of at most four pixels (a 7x7 plane's 49th, a 14x14 plane's
        // tail) transposed on their own, on blocks of 8 and 5 channels.
        {1, 7, 7, 200, 40, 0.25, false, ActivationFunctionType_RELU6, 1, true},
        {1, 14, 14, 133, 72, 0.25, false, ActivationFunctionType_NONE, 1, true},
        // One tile narrowing on two threads: input chunks split between the
        // threads, partial sums added up (chunks of 128: 6 -> 3 + 3, 3 -> 2 +
        // 1; of 64: 11 -> 6 + 5, 5 -> 3 + 2).
        {1, 5, 5, 700, 90, 0.25, false, ActivationFunctionType_RELU6, 2, true},
        {2, 4, 4, 300, 40, 0.3, false, ActivationFunctionType_NONE, 2, true},
        // A few tiles narrowing on two threads: the same, tile by tile (196 =
        // 64 + 64 + 68, the last 4 in the parts' tails; 164 = 64 + 64 + 36).
        {1, 14, 14, 480, 80, 0.25, false, ActivationFunctionType_RELU6, 2, true},
        // An empty plane on two threads: no tiles, nothing to split (the
        // split once divided by the tile count; found by fuzzing).
        {1, 5, 0, 64, 256, 0.25, false, ActivationFunctionType_NONE, 2, true},
        {1, 14, 14, 80, 480, 0.9, false, ActivationFunctionType_NONE, 1, false},  // dense
        {1, 28, 28, 16, 144, 0.25, false, ActivationFunctionType_NONE, 1, false},  // too little work per pixel
        // Either side of 5 nonzeros a pixel for each channel transposed: 5.5 taken, 4.5 not.
        {1, 28, 28, 24, 264, 0.25, true, ActivationFunctionType_RELU6, 1, true},
        {1, 28, 28, 24, 72, 0.25, true, ActivationFunctionType_RELU6, 1, false},
    };
    std::mt19937 random(23);
    for (const SparseCase& c : cases) {
        const testing::ConvolutionCase shape{c.batch, c.height, c.width, c.inChannels, c.outChannels, 1, 1, 1, schema::Padding_SAME,
                                             c.activation, 0, c.threads};
        testing::CpuComparison compared = testing::comparePointwiseWithReference(shape, c.nonzeros, c.float16, 1.0f, random);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const Model& compiled = compared.cpu->model();
        const bool taken = cpu::sparsePointwiseConvolutionKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[0]) != nullptr;
        ASSERT_EQ(taken, c.taken) << c.inChannels << " -> " << c.outChannels << " at " << c.nonzeros << " nonzeros";
        std::cout << "  " << c.batch << "x" << c.height << "x" << c.width << "x" << c.inChannels << " -> " << c.outChannels << ", "
                  << c.nonzeros * 100 << " % nonzero " << (c.float16 ? "float16" : "float32") << ", " << c.threads
                  << " thread(s), " << (taken ? "sparse" : "dense") << ": largest difference " << compared.worst << " (accelerator "
                  << compared.cpu->acceleratorOf(0, 0) << ")\n";
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

}  // namespace
}  // namespace litestudio

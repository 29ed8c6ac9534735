// The AVX-512 float32 RESIZE_BILINEAR against the reference kernel (which
// blends in double: within 1e-5 of the largest output): upsampling by whole
// and fractional factors, downsampling, the three sampling conventions,
// channel counts 1 to 48 (8 as pose landmark's decoder), two images, two
// threads. Then XNNPACK's arithmetic on a stated case, a NaN carried through
// like the reference does, and hostile sizes: outputs too large or empty,
// a table of column samples too large for memory, an output that fits
// but not with the rows each thread resamples, and two resizes that fit
// one by one but not together. Each case checks the cpu
// accelerator took the op; skipped without AVX-512.

#include <algorithm>
#include <climits>
#include <cmath>
#include <iostream>
#include <limits>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "core/kernels/reference/bilinear_sampling.h"
#include "core/support/memory_limit.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct ResizeCase {
    std::vector<int32_t> input;  // NHWC
    int32_t outH, outW;
    bool alignCorners, halfPixel;
    int threads;
};

ModelBuilder resizeModel(const ResizeCase& c, int& input, int& out) {
    ModelBuilder builder;
    builder.addSubgraph();
    input = builder.addTensor({"input", DataType::Float32, c.input});
    int size = builder.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({c.outH, c.outW}));
    out = builder.addTensor({"out", DataType::Float32, {c.input[0], c.outH, c.outW, c.input[3]}});
    const bool alignCorners = c.alignCorners, halfPixel = c.halfPixel;
    builder.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {input, size}, {out}, [=](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions,
                                            schema::CreateResizeBilinearOptions(fbb, alignCorners, halfPixel).o};
    }});
    builder.setInputs({input});
    builder.setOutputs({out});
    return builder;
}

std::string conventionOf(const ResizeCase& c) { return c.alignCorners ? "aligned corners" : c.halfPixel ? "half-pixel" : "legacy"; }

TEST(FloatResizeBilinear, MatchesTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const std::vector<ResizeCase> cases = {
        {{1, 16, 16, 8}, 32, 32, false, true, 1},  // pose landmark's decoder, smaller
        {{1, 16, 16, 8}, 32, 32, false, true, 2},
        {{1, 8, 8, 48}, 16, 16, false, true, 2},   // three vectors a pixel
        {{1, 9, 9, 21}, 65, 65, true, false, 1},   // x8 with corners aligned
        {{1, 7, 5, 3}, 20, 13, false, true, 1},    // fractional factors
        {{2, 6, 4, 16}, 11, 9, false, false, 2},   // legacy sampling, two images
        {{1, 17, 19, 1}, 8, 7, false, true, 1},    // downsampling, one channel
        {{1, 17, 19, 5}, 1, 1, true, false, 1},    // one output pixel with aligned corners
    };
    std::mt19937 random(17);
    std::uniform_real_distribution<float> values(-3.0f, 3.0f);
    for (const ResizeCase& c : cases) {
        int input = 0, out = 0;
        ModelBuilder builder = resizeModel(c, input, out);
        std::vector<float> x(static_cast<size_t>(c.input[0] * c.input[1] * c.input[2] * c.input[3]));
        for (float& v : x) v = values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(builder, input, x, out, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        EXPECT_EQ(compared.cpu->acceleratorOf(0, 0), "cpu") << "the AVX-512 kernel did not take the op";
        std::cout << "  " << shapeText(c.input) << " -> " << c.outH << "x" << c.outW << " " << conventionOf(c) << ", " << c.threads
                  << " thread(s): largest difference " << compared.worst << " (largest output " << compared.largest << ")\n";
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

TEST(FloatResizeBilinear, BlendsAsXnnpackDoes) {
    // 1x1x2x1 -> 1x1x5x1 with half-pixel centres: positions -0.3 (held at
    // 0), 0.1, 0.5, 0.9 and 1.3 (held at 1) between the values 2 and 7, each
    // output 2 + (7 - 2) * fraction: 2, 2.5, 4.5, 6.5, 7.
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    int input = 0, out = 0;
    ModelBuilder builder = resizeModel({{1, 1, 2, 1}, 1, 5, false, true, 1}, input, out);
    auto model = compileBuilt(builder, {"cpu", "reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    EXPECT_EQ((*model)->acceleratorOf(0, 0), "cpu");
    ASSERT_TRUE(testing::setValues<float>(**model, input, {2.0f, 7.0f}));
    ASSERT_TRUE((*model)->run(0));
    const std::vector<float> got = testing::tensorValues<float>(**model, out), want{2.0f, 2.5f, 4.5f, 6.5f, 7.0f};
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << "output " << i;
}

TEST(FloatResizeBilinear, ANanReachesTheOutputsThatBlendIt) {
    // A clamp written max(value, low) would turn NaN into the low bound.
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    int input = 0, out = 0;
    ModelBuilder builder = resizeModel({{1, 4, 4, 2}, 8, 8, false, true, 1}, input, out);
    std::vector<float> x(32, 1.0f);
    x[0] = std::numeric_limits<float>::quiet_NaN();  // pixel (0, 0), channel 0
    std::vector<std::vector<float>> outputs;
    for (const std::vector<std::string>& accelerators : {std::vector<std::string>{"cpu", "reference"}, {"reference"}}) {
        auto model = compileBuilt(builder, accelerators);
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE(testing::setValues<float>(**model, input, x));
        ASSERT_TRUE((*model)->run(0));
        outputs.push_back(testing::tensorValues<float>(**model, out));
    }
    int nans = 0;
    for (size_t i = 0; i < outputs[0].size(); ++i) {
        EXPECT_EQ(std::isnan(outputs[0][i]), std::isnan(outputs[1][i])) << "output " << i;
        nans += std::isnan(outputs[0][i]);
    }
    std::cout << "  one NaN of [1,4,4,2] -> [1,8,8,2]: " << nans << " NaN outputs on cpu, as on the reference\n";
    EXPECT_GT(nans, 0);
}

TEST(FloatResizeBilinear, HugeSizesAllocateNoColumnTable) {
    // Over a channel-less image the output is empty and nothing runs; over
    // one channel the output cannot fit in memory and the model is refused.
    // Neither builds a table of 2^30 column samples.
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    for (int channels : {0, 1}) {
        int input = 0, out = 0;
        ModelBuilder builder = resizeModel({{1, 3, 3, channels}, 1 << 30, 1 << 30, false, true, 1}, input, out);
        auto model = compileBuilt(builder, {"cpu", "reference"});
        std::cout << "  [1,3,3," << channels << "] -> 2^30 x 2^30: "
                  << (model ? std::string("compiled, run ") + ((*model)->run(0) ? "ok" : "failed") : model.errorMessage()) << "\n";
        if (channels == 0) {
            ASSERT_TRUE(model) << model.errorMessage();
            EXPECT_EQ((*model)->acceleratorOf(0, 0), "cpu");
            EXPECT_TRUE((*model)->run(0));
        } else {
            EXPECT_FALSE(model);
        }
    }
}

TEST(FloatResizeBilinear, AColumnTableTooLargeForMemoryIsAClearError) {
    // [1,1,W,1] with W near 2^31: the output (4 bytes a column) fits in
    // memory, the table of column samples (16 bytes each) does not. It was
    // reserved anyway, and the allocation threw out of prepare. (Prepare now
    // counts the table with the output and the resampled rows first.)
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const size_t memory = physicalMemoryBytes();
    const int64_t width = std::min<int64_t>(INT32_MAX, static_cast<int64_t>(memory / 8));
    if (static_cast<size_t>(width) * sizeof(reference::BilinearSample) <= memory) GTEST_SKIP() << "this machine could hold the table";
    int input = 0, out = 0;
    ModelBuilder builder = resizeModel({{1, 1, 3, 1}, 1, static_cast<int32_t>(width), false, true, 1}, input, out);
    auto model = compileBuilt(builder, {"cpu", "reference"});
    ASSERT_FALSE(model);
    std::cout << "  [1,1,3,1] -> 1x" << width << ": " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("column samples"), std::string::npos);
    EXPECT_NE(model.errorMessage().find("more than this machine's"), std::string::npos);
}

TEST(FloatResizeBilinear, AnOutputWithItsResampledRowsBeyondMemoryIsAClearError) {
    // [1,1,2,1024] -> [1,1,W,1024] with the output 0.4 of memory: the output
    // and the column table each fit, but with the two input rows a thread
    // resamples to the output's width (0.8 of memory on one thread) the op
    // does not. Such a model compiled, and a run was killed for memory
    // (a fuzzed 2.4 KB file: 14.5 GB of output, 4.8 GB of rows a thread).
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const size_t memory = physicalMemoryBytes();
    const int32_t channels = 1024;
    const int64_t width = std::min<int64_t>(INT32_MAX, static_cast<int64_t>(memory / 10 * 4 / (channels * sizeof(float))));
    int input = 0, out = 0;
    ModelBuilder builder = resizeModel({{1, 1, 2, channels}, 1, static_cast<int32_t>(width), false, true, 1}, input, out);
    auto model = compileBuilt(builder, {"cpu", "reference"});
    std::cout << "  [1,1,2," << channels << "] -> 1x" << width << " (" << width * channels * 4 / (1 << 20) << " MiB of output, "
              << memory / (1 << 20) << " MiB of memory): " << (model ? std::string("compiled") : model.errorMessage()) << "\n";
    ASSERT_FALSE(model);
    EXPECT_NE(model.errorMessage().find("rows resampled on 1 thread(s)"), std::string::npos);
}

TEST(FloatResizeBilinear, TwoResizesThatFitOneByOneButNotTogetherAreAClearError) {
    // One image resized twice to [1,1,W,1024], both results kept: each op
    // with its output and the rows a thread resamples needs 12/14 of
    // memory and passes its own check, and the arena of both outputs needs
    // 8/14. But the arena with the rows (which the kernel keeps
    // thread_local) needs 16/14: the model compiled, and a run would have
    // touched 27 GiB on a machine of 23.5. The runtime now adds what the ops
    // hold outside the arena (KernelContext::holdMemory) to the arena's check.
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const size_t memory = physicalMemoryBytes();
    const int32_t channels = 1024;
    const int64_t width = static_cast<int64_t>(memory / 14 / channels);  // 4/14 of memory an output
    if (width * channels > INT32_MAX) GTEST_SKIP() << "this machine's memory needs outputs of more than 2^31 values";
    ModelBuilder builder;
    builder.addSubgraph();
    const int input = builder.addTensor({"input", DataType::Float32, {1, 1, 2, channels}});
    const int size = builder.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({1, static_cast<int32_t>(width)}));
    std::vector<int> outputs;
    for (const char* name : {"first", "second"}) {
        outputs.push_back(builder.addTensor({name, DataType::Float32, {1, 1, static_cast<int32_t>(width), channels}}));
        builder.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {input, size}, {outputs.back()}, [](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions,
                                                schema::CreateResizeBilinearOptions(fbb, false, true).o};
        }});
    }
    builder.setInputs({input});
    builder.setOutputs(outputs);
    auto model = compileBuilt(builder, {"cpu", "reference"});
    std::cout << "  [1,1,2," << channels << "] -> 1x" << width << " twice (" << width * channels * 4 / (1 << 20) << " MiB an output, "
              << memory / (1 << 20) << " MiB of memory): " << (model ? std::string("compiled") : model.errorMessage()) << "\n";
    ASSERT_FALSE(model);
    EXPECT_NE(model.errorMessage().find("the activation arena, with the variables and the ops' own tables and rows"), std::string::npos);
    EXPECT_NE(model.errorMessage().find("more than this machine's"), std::string::npos);
}

}  // namespace
}  // namespace litestudio

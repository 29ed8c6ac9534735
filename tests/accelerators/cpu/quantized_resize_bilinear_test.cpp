// The AVX-512 int8/uint8 RESIZE_BILINEAR against the reference kernel, bit
// for bit: upsampling by whole and fractional factors, downsampling, the
// three sampling conventions, channel counts below, at and past 16 (21 as
// DeepLab's logits), two images, and two threads. Each case checks the cpu
// accelerator took the op; skipped without AVX-512.

#include <iostream>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::quantized;

struct ResizeCase {
    DataType type;
    std::vector<int32_t> input;  // NHWC
    int32_t outH, outW;
    bool alignCorners, halfPixel;
    int threads;
};

ModelBuilder resizeModel(const ResizeCase& c, int& input, int& out) {
    ModelBuilder builder;
    builder.addSubgraph();
    const bool int8 = c.type == DataType::Int8;
    input = builder.addTensor(quantized("input", c.type, c.input, 0.07f, int8 ? -5 : 120));
    int size = builder.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({c.outH, c.outW}));
    out = builder.addTensor(quantized("out", c.type, {c.input[0], c.outH, c.outW, c.input[3]}, 0.07f, int8 ? -5 : 120));
    const bool alignCorners = c.alignCorners, halfPixel = c.halfPixel;
    builder.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {input, size}, {out}, [=](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions,
                                            schema::CreateResizeBilinearOptions(fbb, alignCorners, halfPixel).o};
    }});
    builder.setInputs({input});
    builder.setOutputs({out});
    return builder;
}

TEST(QuantizedResizeBilinear, MatchesTheReferenceBitForBit) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const std::vector<ResizeCase> cases = {
        {DataType::UInt8, {1, 9, 9, 21}, 65, 65, true, false, 1},   // DeepLab's x8 with corners aligned
        {DataType::Int8, {1, 9, 9, 21}, 65, 65, true, false, 2},
        {DataType::UInt8, {1, 7, 5, 3}, 20, 13, false, true, 1},    // half-pixel centres, fractional factors
        {DataType::Int8, {2, 6, 4, 16}, 11, 9, false, false, 1},    // neither convention, two images
        {DataType::Int8, {1, 5, 6, 33}, 10, 12, false, true, 2},
        {DataType::UInt8, {1, 17, 19, 1}, 8, 7, false, true, 1},    // downsampling, one channel
        {DataType::UInt8, {1, 17, 19, 5}, 1, 1, true, false, 1},    // one output pixel with aligned corners
    };
    std::mt19937 random(11);
    for (const ResizeCase& c : cases) {
        int input = 0, out = 0;
        ModelBuilder builder = resizeModel(c, input, out);
        std::vector<uint8_t> bytes(static_cast<size_t>(c.input[0] * c.input[1] * c.input[2] * c.input[3]));
        for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(builder, input, bytes, out, c.threads);
        ASSERT_TRUE(result.error.empty()) << result.error;
        EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu") << "the AVX-512 kernel did not take the op";
        std::cout << "  " << dataTypeName(c.type) << " " << shapeText(c.input) << " -> " << c.outH << "x" << c.outW
                  << (c.alignCorners ? " aligned corners" : c.halfPixel ? " half-pixel" : "") << ", " << c.threads << " thread(s): "
                  << result.elements << " outputs, " << result.differing << " differ\n";
        EXPECT_EQ(result.differing, 0);
    }
}

TEST(QuantizedResizeBilinear, RoundsHalfStepsUpLikeXnnpack) {
    // The reference's stated case (tests/core/kernels/quantized_arithmetic_test.cpp)
    // on the cpu kernel: 1x1x2x1 -> 1x1x5x1, half-pixel centres, weights
    // 205, 1024, 1843 of 2048; -115.5 rounds to -115, not -116.
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    int input = 0, out = 0;
    ModelBuilder builder = resizeModel({DataType::Int8, {1, 1, 2, 1}, 1, 5, false, true, 1}, input, out);
    auto model = compileBuilt(builder, {"cpu", "reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    EXPECT_EQ((*model)->acceleratorOf(0, 0), "cpu");
    ASSERT_TRUE(testing::setValues<int8_t>(**model, input, {-128, -103}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<int8_t>(**model, out), (std::vector<int8_t>{-128, -125, -115, -106, -103}));
}

TEST(QuantizedResizeBilinear, AHugeSizeOverAnEmptyImageAllocatesNothing) {
    // fuzz.model_run_cpu: a size of 2^30 x 2^30 over channel-less pixels is
    // an empty output, but sampling tables per output row and column took
    // 2 x 12 GiB in prepare. Row samples are now worked out when used, and
    // column samples tabled only for an output that fits in memory.
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    int input = 0, out = 0;
    ModelBuilder builder = resizeModel({DataType::UInt8, {1, 3, 3, 0}, 1 << 30, 1 << 30, false, true, 1}, input, out);
    auto model = compileBuilt(builder, {"cpu", "reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    EXPECT_EQ((*model)->acceleratorOf(0, 0), "cpu");
    Status status = (*model)->run(0);
    std::cout << "  [1,3,3,0] -> 2^30 x 2^30: " << (status ? "ran, " : status.message() + ", ") << (*model)->tensor(0, out).bytes
              << " output bytes\n";
    EXPECT_TRUE(status);
}

}  // namespace
}  // namespace litestudio

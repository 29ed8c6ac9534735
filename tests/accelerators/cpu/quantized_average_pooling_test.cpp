// The AVX-512 int8/uint8 AVERAGE_POOL_2D against the reference kernel, bit
// for bit: Inception's 3x3 stride-1 SAME pool (windows cut by the padding
// at the edges), 2x2 stride 2 VALID, a global 7x7 pool over 1280 channels
// (MobileNet v2's), a 16x16 window of 255s (the largest uint8 sum, 65,280,
// past int16), channel counts below, at and past 32, a RELU6, two images
// and two threads. And TFLite's rounding stated by hand: half away from
// zero, so 6/4 gives 2 and -6/4 gives -2, -7/4 gives -2.

#include <iostream>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::quantized;

struct PoolCase {
    DataType type;
    std::vector<int32_t> input;  // NHWC
    int filter, stride;
    bool same;
    schema::ActivationFunctionType activation;
    int threads;
    bool allLargest = false;  // every input value 255 (uint8) or 127
};

ModelBuilder poolModel(const PoolCase& c, int& input, int& out) {
    ModelBuilder builder;
    builder.addSubgraph();
    const bool int8 = c.type == DataType::Int8;
    input = builder.addTensor(quantized("input", c.type, c.input, 0.05f, int8 ? -3 : 117));
    auto size = [&](int in) { return c.same ? (in + c.stride - 1) / c.stride : (in - c.filter + c.stride) / c.stride; };
    out = builder.addTensor(quantized("out", c.type, {c.input[0], size(c.input[1]), size(c.input[2]), c.input[3]}, 0.05f, int8 ? -3 : 117));
    const PoolCase options = c;
    builder.addOp({schema::BuiltinOperator_AVERAGE_POOL_2D, {}, {input}, {out}, [options](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{
            schema::BuiltinOptions_Pool2DOptions,
            schema::CreatePool2DOptions(fbb, options.same ? schema::Padding_SAME : schema::Padding_VALID, options.stride, options.stride,
                                        options.filter, options.filter, options.activation).o};
    }});
    builder.setInputs({input});
    builder.setOutputs({out});
    return builder;
}

TEST(QuantizedAveragePooling, MatchesTheReferenceBitForBit) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const auto none = schema::ActivationFunctionType_NONE;
    const std::vector<PoolCase> cases = {
        {DataType::UInt8, {1, 35, 35, 384}, 3, 1, true, none, 1},  // Inception v3/v4's block pool
        {DataType::Int8, {1, 17, 17, 40}, 3, 1, true, none, 2},
        {DataType::UInt8, {2, 8, 9, 33}, 2, 2, false, none, 1},
        {DataType::Int8, {1, 7, 7, 1280}, 7, 1, false, none, 1},   // MobileNet v2's global pool
        {DataType::UInt8, {1, 11, 10, 7}, 5, 2, true, schema::ActivationFunctionType_RELU6, 2},
        {DataType::UInt8, {1, 16, 16, 64}, 16, 1, false, none, 1, true},  // 256 values of 255
        {DataType::Int8, {1, 16, 16, 64}, 16, 1, false, none, 1, true},
    };
    std::mt19937 random(5);
    for (const PoolCase& c : cases) {
        int input = 0, out = 0;
        ModelBuilder builder = poolModel(c, input, out);
        std::vector<uint8_t> bytes(static_cast<size_t>(c.input[0] * c.input[1] * c.input[2] * c.input[3]));
        for (uint8_t& byte : bytes) byte = c.allLargest ? (c.type == DataType::UInt8 ? 255 : 127) : static_cast<uint8_t>(random());
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(builder, input, bytes, out, c.threads);
        ASSERT_TRUE(result.error.empty()) << result.error;
        EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu") << "the AVX-512 kernel did not take the op";
        std::cout << "  " << dataTypeName(c.type) << " " << shapeText(c.input) << " " << c.filter << "x" << c.filter << " stride " << c.stride
                  << (c.same ? " SAME" : " VALID") << (c.allLargest ? ", every value the largest" : "") << ", " << c.threads
                  << " thread(s): " << result.elements << " outputs, " << result.differing << " differ\n";
        EXPECT_EQ(result.differing, 0);
    }
}

TEST(QuantizedAveragePooling, RoundsHalfAwayFromZeroAsTflite) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    // One 2x2 window per output channel: [1, 2, 2, 3] -> [1, 1, 1, 3], int8
    // zero point -3 (the stored values are averaged as they are).
    int input = 0, out = 0;
    ModelBuilder builder = poolModel({DataType::Int8, {1, 2, 2, 3}, 2, 2, false, schema::ActivationFunctionType_NONE, 1}, input, out);
    for (const char* accelerator : {"cpu", "reference"}) {
        auto model = compileBuilt(builder, {accelerator, "reference"});
        ASSERT_TRUE(model) << model.errorMessage();
        EXPECT_EQ((*model)->acceleratorOf(0, 0), accelerator);
        // Channel 0 sums 6 (1.5), channel 1 sums -6 (-1.5), channel 2 sums -7 (-1.75).
        ASSERT_TRUE(testing::setValues<int8_t>(**model, input, {0, -1, -1, 2, -2, -2, 2, -2, -2, 2, -1, -2}));
        ASSERT_TRUE((*model)->run(0));
        const std::vector<int8_t> got = testing::tensorValues<int8_t>(**model, out);
        std::cout << "  " << accelerator << ": sums 6, -6, -7 over 4 -> " << int(got[0]) << ", " << int(got[1]) << ", " << int(got[2]) << "\n";
        EXPECT_EQ(got, (std::vector<int8_t>{2, -2, -2}));
    }
}

}  // namespace
}  // namespace litestudio

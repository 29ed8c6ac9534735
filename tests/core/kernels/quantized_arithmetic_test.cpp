// Quantized ops where LiteRT (through XNNPACK) uses fixed-point steps whose
// rounding differs from "compute in float, round once". The expected values
// are what LiteRT.js returns; the float-then-round answer is noted beside.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

TensorSpec quantized(std::string name, DataType type, std::vector<int32_t> shape, float scale, int64_t zeroPoint) {
    TensorSpec spec{std::move(name), type, std::move(shape)};
    spec.scales = {scale};
    spec.zeroPoints = {zeroPoint};
    return spec;
}

TEST(QuantizedArithmetic, Int8AddRoundsAsXnnpackFixedPointDoes) {
    // MoveNet's block_5_add: a (0.045552, -14) + b (0.043232, 7) -> (0.068864, 1).
    // Each pair lands within 1e-6 of a half step; float-then-round goes the
    // other way for every one of them (-123, -53, 17, 53, -51).
    ModelBuilder builder;
    builder.addSubgraph();
    int a = builder.addTensor(quantized("a", DataType::Int8, {5}, 0.045552f, -14));
    int b = builder.addTensor(quantized("b", DataType::Int8, {5}, 0.043232f, 7));
    int out = builder.addTensor(quantized("out", DataType::Int8, {5}, 0.068864f, 1));
    builder.addOp({schema::BuiltinOperator_ADD, {}, {a, b}, {out}});
    builder.setInputs({a, b});
    builder.setOutputs({out});
    for (const char* accelerator : {"reference", "cpu"}) {
        auto model = compileBuilt(builder, {accelerator, "reference"});
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE(setValues<int8_t>(**model, a, {-102, -74, -46, -32, 4}));
        ASSERT_TRUE(setValues<int8_t>(**model, b, {-97, -15, 67, 108, -94}));
        ASSERT_TRUE((*model)->run(0));
        EXPECT_EQ(tensorValues<int8_t>(**model, out), (std::vector<int8_t>{-122, -52, 18, 52, -50})) << accelerator;
    }
}

TEST(QuantizedArithmetic, Uint8SubtractUsesTheNegatedMultiplier) {
    // (a - 128) * 0.5 - (b - 128) * 0.25 in units of 0.5, zero point 128.
    ModelBuilder builder;
    builder.addSubgraph();
    int a = builder.addTensor(quantized("a", DataType::UInt8, {4}, 0.5f, 128));
    int b = builder.addTensor(quantized("b", DataType::UInt8, {4}, 0.25f, 128));
    int out = builder.addTensor(quantized("out", DataType::UInt8, {4}, 0.5f, 128));
    builder.addOp({schema::BuiltinOperator_SUB, {}, {a, b}, {out}});
    builder.setInputs({a, b});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<uint8_t>(**model, a, {128, 130, 0, 255}));
    ASSERT_TRUE(setValues<uint8_t>(**model, b, {129, 128, 255, 0}));
    ASSERT_TRUE((*model)->run(0));
    // 0 - 0.25 = -0.25 -> -0.5 steps rounds half up to 0; 1; -64 - 31.75 clamps to 0; 63.5 + 32 -> 191 + 128 clamps to 255.
    EXPECT_EQ(tensorValues<uint8_t>(**model, out), (std::vector<uint8_t>{128, 130, 0, 255}));
}

TEST(QuantizedArithmetic, Int8ResizeBilinearBlendsWithElevenBitWeights) {
    // 1x1x2x1 -> 1x1x5x1 with half-pixel centres: sample positions 0 (clamped),
    // 0.1, 0.5, 0.9, 1 (clamped); weights lrint(p * 2048) = 205, 1024, 1843.
    // -128 + 25 * 205 / 2048 = -125.50 -> -125 (float-then-round: -126);
    // -128 + 25 / 2 = -115.5 rounds half up to -115 (float: -116).
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor(quantized("input", DataType::Int8, {1, 1, 2, 1}, 0.1f, 0));
    int size = builder.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({1, 5}));
    int out = builder.addTensor(quantized("out", DataType::Int8, {1, 1, 5, 1}, 0.1f, 0));
    builder.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {input, size}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions,
                                            schema::CreateResizeBilinearOptions(fbb, false, true).o};
    }});
    builder.setInputs({input});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<int8_t>(**model, input, {-128, -103}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(tensorValues<int8_t>(**model, out), (std::vector<int8_t>{-128, -125, -115, -106, -103}));
}

}  // namespace
}  // namespace litestudio

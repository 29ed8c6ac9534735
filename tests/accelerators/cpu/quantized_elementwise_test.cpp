// The AVX-512 int8/uint8 ADD, SUB, MUL and float32 QUANTIZE against the
// reference kernels, bit for bit: same-shape operands whose length is not a
// multiple of 16, rows broadcast along an axis (a [4, 1, 37] against a
// [4, 6, 37], a [70, 1] against a [1, 70], a [30, 20, 1] against a small
// [1, 17]), operands of the same elements at another rank, a fused RELU6, one value per channel repeated, outputs and
// broadcast rows in two shares on two threads, and QUANTIZE of values on half steps, beyond
// the type's range, infinities and NaN (40,001 of them, on two threads).
// Each case checks the cpu accelerator took the op; skipped without AVX-512.

#include <cmath>
#include <limits>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

using testing::quantized;

int64_t countOf(const std::vector<int32_t>& shape) {
    int64_t count = 1;
    for (int32_t dim : shape) count *= dim;
    return count;
}

struct BinaryCase {
    schema::BuiltinOperator op;
    DataType type;
    std::vector<int32_t> a, b, out;
    schema::ActivationFunctionType activation;
    int threads = 1;
};

// Runs `builder` on the reference and on cpu with the same random bytes in
// every input; returns how many output bytes differ.
int compareWithReference(const litestudio::ModelBuilder& builder, const std::vector<int>& inputs, const std::vector<int64_t>& counts, int output,
                         std::mt19937& random, int threads = 1) {
    auto reference = compileBuilt(builder, {"reference"});
    auto fast = compileBuilt(builder, {"cpu", "reference"}, threads);
    EXPECT_TRUE(reference) << reference.errorMessage();
    EXPECT_TRUE(fast) << fast.errorMessage();
    if (!reference || !fast) return -1;
    EXPECT_EQ((*fast)->acceleratorOf(0, 0), "cpu") << "the AVX-512 kernel did not take the op";
    for (size_t i = 0; i < inputs.size(); ++i) {
        std::vector<uint8_t> bytes(static_cast<size_t>(counts[i]));
        for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
        EXPECT_TRUE((*reference)->setInput(0, inputs[i], bytes));
        EXPECT_TRUE((*fast)->setInput(0, inputs[i], bytes));
    }
    EXPECT_TRUE((*reference)->run(0));
    EXPECT_TRUE((*fast)->run(0));
    const RuntimeTensor& want = (*reference)->tensor(0, output);
    const RuntimeTensor& got = (*fast)->tensor(0, output);
    EXPECT_EQ(got.bytes, want.bytes);
    int differing = 0;
    for (size_t i = 0; i < std::min(got.bytes, want.bytes); ++i) differing += got.data[i] != want.data[i];
    return differing;
}

TEST(QuantizedElementwise, BinaryOpsMatchTheReferenceBitForBit) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernels are not used here";
    using namespace schema;
    const std::vector<BinaryCase> cases = {
        {BuiltinOperator_ADD, DataType::Int8, {1, 7, 11, 13}, {1, 7, 11, 13}, {1, 7, 11, 13}, ActivationFunctionType_NONE},
        {BuiltinOperator_ADD, DataType::UInt8, {4, 6, 37}, {4, 1, 37}, {4, 6, 37}, ActivationFunctionType_RELU6},
        {BuiltinOperator_SUB, DataType::Int8, {70, 1}, {1, 70}, {70, 70}, ActivationFunctionType_NONE},
        // A small operand, but neither input has the output's shape (MoveNet's
        // [48,48,1] - [1,17]): no lookup table in the reference, so the kernel takes it.
        {BuiltinOperator_SUB, DataType::Int8, {30, 20, 1}, {1, 17}, {30, 20, 17}, ActivationFunctionType_NONE},
        {BuiltinOperator_SUB, DataType::UInt8, {3, 5, 33}, {3, 5, 33}, {3, 5, 33}, ActivationFunctionType_NONE},
        {BuiltinOperator_MUL, DataType::Int8, {2, 9, 50}, {2, 9, 50}, {2, 9, 50}, ActivationFunctionType_NONE},
        {BuiltinOperator_MUL, DataType::UInt8, {4, 6, 37}, {4, 1, 37}, {4, 6, 37}, ActivationFunctionType_RELU6},
        // The same elements at another rank (MoveNet's [1,48,48,1] x [48,48,1]): one flat row.
        {BuiltinOperator_MUL, DataType::UInt8, {1, 48, 48, 1}, {48, 48, 1}, {1, 48, 48, 1}, ActivationFunctionType_NONE},
        {BuiltinOperator_ADD, DataType::Int8, {5, 7}, {1, 1, 5, 7}, {1, 1, 5, 7}, ActivationFunctionType_RELU6},
        // One value per innermost channel (or one value) against a tensor of
        // the output's shape, over 4096 outputs (where the reference tables
        // them): laid out as a repeating row of lcm(channels, 16).
        {BuiltinOperator_SUB, DataType::Int8, {1, 40, 40, 3}, {1, 1, 1, 3}, {1, 40, 40, 3}, ActivationFunctionType_NONE},
        {BuiltinOperator_MUL, DataType::UInt8, {2, 30, 30, 5}, {}, {2, 30, 30, 5}, ActivationFunctionType_NONE},
        {BuiltinOperator_ADD, DataType::UInt8, {1, 1, 1, 20}, {1, 16, 16, 20}, {1, 16, 16, 20}, ActivationFunctionType_RELU6},
        {BuiltinOperator_SUB, DataType::Int8, {17}, {16, 16, 17}, {16, 16, 17}, ActivationFunctionType_NONE},
        // Over 32,768 outputs on two threads: halves, each a multiple of 16,
        // or of 48 for a repeating 3-channel operand.
        {BuiltinOperator_SUB, DataType::Int8, {1, 120, 120, 3}, {1, 1, 1, 3}, {1, 120, 120, 3}, ActivationFunctionType_NONE, 2},
        {BuiltinOperator_ADD, DataType::UInt8, {1, 64, 64, 12}, {1, 64, 64, 12}, {1, 64, 64, 12}, ActivationFunctionType_RELU6, 2},
        {BuiltinOperator_MUL, DataType::Int8, {1, 100, 100, 5}, {5}, {1, 100, 100, 5}, ActivationFunctionType_NONE, 2},
        // Broadcast rows in two shares, each a thread's: MoveNet's 2,304
        // rows of 17, and 12,261 rows of 3 (element by element) whose second
        // share starts part-way through an outer axis.
        {BuiltinOperator_SUB, DataType::Int8, {48, 48, 1}, {1, 17}, {48, 48, 17}, ActivationFunctionType_NONE, 2},
        {BuiltinOperator_ADD, DataType::UInt8, {201, 1, 3}, {1, 61, 3}, {201, 61, 3}, ActivationFunctionType_RELU6, 2},
    };
    std::mt19937 random(5);
    for (const BinaryCase& c : cases) {
        litestudio::ModelBuilder builder;
        builder.addSubgraph();
        bool int8 = c.type == DataType::Int8;
        int a = builder.addTensor(quantized("a", c.type, c.a, 0.031f, int8 ? -9 : 117));
        int b = builder.addTensor(quantized("b", c.type, c.b, 0.047f, int8 ? 4 : 131));
        int out = builder.addTensor(quantized("out", c.type, c.out, c.op == BuiltinOperator_MUL ? 0.09f : 0.05f, int8 ? 2 : 125));
        auto activation = c.activation;
        OpSpec op{c.op, {}, {a, b}, {out}};
        if (c.op == BuiltinOperator_ADD)
            op.options = [activation](flatbuffers::FlatBufferBuilder& fbb) {
                return std::pair<uint8_t, uint32_t>{BuiltinOptions_AddOptions, CreateAddOptions(fbb, activation).o};
            };
        if (c.op == BuiltinOperator_MUL)
            op.options = [activation](flatbuffers::FlatBufferBuilder& fbb) {
                return std::pair<uint8_t, uint32_t>{BuiltinOptions_MulOptions, CreateMulOptions(fbb, activation).o};
            };
        builder.addOp(op);
        builder.setInputs({a, b});
        builder.setOutputs({out});
        int differing = compareWithReference(builder, {a, b}, {countOf(c.a), countOf(c.b)}, out, random, c.threads);
        std::cout << "  " << EnumNameBuiltinOperator(c.op) << " " << dataTypeName(c.type) << " " << shapeText(c.a) << " with "
                  << shapeText(c.b) << ", " << c.threads << " thread(s): " << countOf(c.out) << " outputs, " << differing << " differ\n";
        EXPECT_EQ(differing, 0);
    }
}

TEST(QuantizedElementwise, QuantizeMatchesTheReferenceOnEdges) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernels are not used here";
    const float infinity = std::numeric_limits<float>::infinity();
    std::vector<float> values = {0.0f, 0.25f, 0.75f, -0.25f, -0.75f, 1.25f, 2.5f, -2.5f, 1e9f, -1e9f, infinity, -infinity,
                                 std::numeric_limits<float>::quiet_NaN(), 31.75f, -32.25f, 3e38f};
    std::mt19937 random(9);
    std::uniform_real_distribution<float> spread(-40.0f, 40.0f);
    while (values.size() < 40001) values.push_back(spread(random));  // over 32,768: split between two threads
    for (DataType type : {DataType::Int8, DataType::UInt8}) {
        litestudio::ModelBuilder builder;
        builder.addSubgraph();
        int x = builder.addTensor({"x", DataType::Float32, {static_cast<int32_t>(values.size())}});
        int y = builder.addTensor(quantized("y", type, {static_cast<int32_t>(values.size())}, 0.5f, type == DataType::Int8 ? -3 : 100));
        builder.addOp({schema::BuiltinOperator_QUANTIZE, {}, {x}, {y}});
        builder.setInputs({x});
        builder.setOutputs({y});
        auto reference = compileBuilt(builder, {"reference"});
        auto fast = compileBuilt(builder, {"cpu", "reference"}, 2);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(fast) << fast.errorMessage();
        EXPECT_EQ((*fast)->acceleratorOf(0, 0), "cpu");
        ASSERT_TRUE(testing::setValues<float>(**reference, x, values));
        ASSERT_TRUE(testing::setValues<float>(**fast, x, values));
        ASSERT_TRUE((*reference)->run(0));
        ASSERT_TRUE((*fast)->run(0));
        const RuntimeTensor& want = (*reference)->tensor(0, y);
        const RuntimeTensor& got = (*fast)->tensor(0, y);
        int differing = 0;
        for (size_t i = 0; i < got.bytes; ++i) differing += got.data[i] != want.data[i];
        std::cout << "  QUANTIZE to " << dataTypeName(type) << ", 2 threads: " << got.bytes << " outputs, " << differing << " differ\n";
        EXPECT_EQ(differing, 0);
    }
}

TEST(QuantizedElementwise, DequantizeAndCastMatchTheReferenceBitForBit) {
    // int8/uint8 -> float32: every byte value, with awkward scales (not
    // powers of two, tiny, huge), a zero point at either end, a CAST of
    // plain bytes, and 40,000 elements on two threads.
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernels are not used here";
    struct Case {
        schema::BuiltinOperator op;
        DataType type;
        float scale;  // 0: no quantization
        int64_t zeroPoint;
        int32_t count;
        int threads;
    };
    const std::vector<Case> cases = {
        {schema::BuiltinOperator_DEQUANTIZE, DataType::Int8, 0.0078125f * 1.37f, -128, 256, 1},
        {schema::BuiltinOperator_DEQUANTIZE, DataType::UInt8, 3.3e-9f, 255, 1001, 1},
        {schema::BuiltinOperator_DEQUANTIZE, DataType::UInt8, 7.1e30f, 3, 40000, 2},
        {schema::BuiltinOperator_CAST, DataType::UInt8, 0.0f, 0, 40000, 2},
        {schema::BuiltinOperator_CAST, DataType::Int8, 0.0f, 0, 300, 1},
    };
    std::mt19937 random(13);
    for (const Case& c : cases) {
        litestudio::ModelBuilder builder;
        builder.addSubgraph();
        int x = builder.addTensor(c.scale > 0 ? quantized("x", c.type, {c.count}, c.scale, c.zeroPoint) : TensorSpec{"x", c.type, {c.count}});
        int y = builder.addTensor({"y", DataType::Float32, {c.count}});
        if (c.op == schema::BuiltinOperator_CAST)
            builder.addOp({c.op, {}, {x}, {y}, [type = c.type](flatbuffers::FlatBufferBuilder& fbb) {
                               auto in = type == DataType::Int8 ? schema::TensorType_INT8 : schema::TensorType_UINT8;
                               return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_CastOptions,
                                                                   schema::CreateCastOptions(fbb, in, schema::TensorType_FLOAT32).o};
                           }});
        else
            builder.addOp({c.op, {}, {x}, {y}});
        builder.setInputs({x});
        builder.setOutputs({y});
        std::vector<uint8_t> bytes(static_cast<size_t>(c.count));
        for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = i < 256 ? static_cast<uint8_t>(i) : static_cast<uint8_t>(random());
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(builder, x, bytes, y, c.threads);
        ASSERT_TRUE(result.error.empty()) << result.error;
        EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu");
        std::cout << "  " << schema::EnumNameBuiltinOperator(c.op) << " " << dataTypeName(c.type) << " scale " << c.scale << " zero point "
                  << c.zeroPoint << ", " << c.threads << " thread(s): " << result.elements << " values, " << result.differing << " differ\n";
        EXPECT_EQ(result.differing, 0);
    }
}

}  // namespace
}  // namespace litestudio

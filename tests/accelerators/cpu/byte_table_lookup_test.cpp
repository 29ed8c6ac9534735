// 8-bit ops looked up in tables the reference kernel made, against the
// reference running the op itself: every byte must be the same. Unary ops
// (LOGISTIC, TANH, a requantizing QUANTIZE from int8 and from uint8,
// HARD_SWISH, LEAKY_RELU, RELU6, ABS, NEG, ELU, RELU, RELU_N1_TO_1) and binary ones against a constant
// (MoveNet's SUB of a [1,1,1,3] constant at a 1e-6 scale, a scalar first
// operand, 5 and 8 values per channel, whose lanes fall differently in
// each 64-byte vector), on odd sizes (a partial last vector) and on two
// threads over more than one tile. Left to the other kernels: 9 values per
// channel, an operand computed at run time, DIV. Skipped without VBMI.

#include <iostream>
#include <random>

#include "accelerators/cpu/byte_table_lookup.h"
#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::randomBytes;

using testing::quantized;

struct UnaryCase {
    schema::BuiltinOperator op;
    DataType in, out;
    float inScale, outScale;
    int inZero, outZero;
    std::vector<int32_t> shape;
    int threads;
};

size_t elementsOf(const std::vector<int32_t>& shape) {
    size_t count = 1;
    for (int32_t dim : shape) count *= static_cast<size_t>(dim);
    return count;
}

TEST(ByteTableLookup, UnaryOpsMatchTheReferenceByteForByte) {
    if (!cpu::cpuHasAvx512Vbmi()) GTEST_SKIP() << "this CPU has no AVX-512 VBMI; the kernel is not used here";
    using schema::BuiltinOperator_LOGISTIC, schema::BuiltinOperator_TANH, schema::BuiltinOperator_QUANTIZE,
        schema::BuiltinOperator_HARD_SWISH, schema::BuiltinOperator_LEAKY_RELU, schema::BuiltinOperator_RELU6, schema::BuiltinOperator_ABS,
        schema::BuiltinOperator_NEG, schema::BuiltinOperator_ELU, schema::BuiltinOperator_RELU, schema::BuiltinOperator_RELU_N1_TO_1;
    const std::vector<UnaryCase> cases = {
        {BuiltinOperator_LOGISTIC, DataType::Int8, DataType::Int8, 0.28f, 1.0f / 256, 114, -128, {1, 48, 48, 17}, 1},  // MoveNet's
        {BuiltinOperator_TANH, DataType::UInt8, DataType::UInt8, 0.05f, 1.0f / 128, 120, 128, {3, 7, 11}, 1},
        {BuiltinOperator_QUANTIZE, DataType::Int8, DataType::Int8, 0.0039f, 0.0041f, -128, -128, {1, 48, 48, 17}, 2},
        {BuiltinOperator_QUANTIZE, DataType::UInt8, DataType::Int8, 0.1f, 0.07f, 128, 5, {1000, 77}, 2},  // two tiles
        {BuiltinOperator_HARD_SWISH, DataType::Int8, DataType::Int8, 0.03f, 0.02f, 10, -20, {1, 9, 9, 40}, 1},
        {BuiltinOperator_LEAKY_RELU, DataType::UInt8, DataType::UInt8, 0.04f, 0.03f, 100, 90, {65}, 1},
        {BuiltinOperator_RELU6, DataType::Int8, DataType::Int8, 0.05f, 6.0f / 255, 3, -128, {63}, 1},
        {BuiltinOperator_ABS, DataType::Int8, DataType::Int8, 0.02f, 0.01f, -4, -128, {2, 130}, 1},
        {BuiltinOperator_NEG, DataType::Int8, DataType::Int8, 0.02f, 0.03f, 7, -3, {129}, 1},
        {BuiltinOperator_ELU, DataType::Int8, DataType::Int8, 0.04f, 0.03f, 0, 20, {3, 50}, 1},
        {BuiltinOperator_RELU, DataType::UInt8, DataType::UInt8, 0.04f, 0.02f, 128, 0, {200}, 1},
        {BuiltinOperator_RELU_N1_TO_1, DataType::Int8, DataType::Int8, 0.02f, 2.0f / 255, 5, 0, {100}, 1},
    };
    std::mt19937 random(11);
    for (const UnaryCase& c : cases) {
        ModelBuilder builder;
        builder.addSubgraph();
        const int input = builder.addTensor(quantized("x", c.in, c.shape, c.inScale, c.inZero));
        const int output = builder.addTensor(quantized("y", c.out, c.shape, c.outScale, c.outZero));
        if (c.op == BuiltinOperator_LEAKY_RELU)
            builder.addOp({c.op, {}, {input}, {output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                               return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_LeakyReluOptions,
                                                                   schema::CreateLeakyReluOptions(fbb, 0.2f).o};
                           }});
        else
            builder.addOp({c.op, {}, {input}, {output}});
        builder.setInputs({input});
        builder.setOutputs({output});
        const size_t count = elementsOf(c.shape);
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(builder, input, randomBytes(count, random), output, c.threads);
        ASSERT_TRUE(result.error.empty()) << schema::EnumNameBuiltinOperator(c.op) << ": " << result.error;
        std::cout << "  " << schema::EnumNameBuiltinOperator(c.op) << " " << dataTypeName(c.in) << " -> " << dataTypeName(c.out) << " "
                  << shapeText(c.shape) << ", " << c.threads << " thread(s): ran on " << result.cpu->acceleratorOf(0, 0) << ", "
                  << result.differing << " of " << count << " bytes differ\n";
        EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu");
        EXPECT_EQ(result.differing, 0);
    }
}

struct BinaryCase {
    schema::BuiltinOperator op;
    DataType type;
    std::vector<int32_t> shape, constantShape;
    float constantScale;
    bool constantFirst;
    int threads;
    bool taken;
};

ModelBuilder binaryModel(const BinaryCase& c, std::mt19937& random, int& input, int& output) {
    ModelBuilder builder;
    builder.addSubgraph();
    const int zero = c.type == DataType::Int8 ? -128 : 0;
    input = builder.addTensor(quantized("x", c.type, c.shape, 1.0f, zero));
    TensorSpec constant = quantized("c", c.type, c.constantShape, c.constantScale, c.type == DataType::Int8 ? 3 : 131);
    constant.data = randomBytes(elementsOf(c.constantShape), random);
    const int other = builder.addTensor(constant);
    output = builder.addTensor(quantized("y", c.type, c.shape, 0.9f, zero + 7));
    const std::vector<int> operands = c.constantFirst ? std::vector<int>{other, input} : std::vector<int>{input, other};
    builder.addOp({c.op, {}, operands, {output}});
    builder.setInputs({input});
    builder.setOutputs({output});
    return builder;
}

TEST(ByteTableLookup, BinaryOpsAgainstAConstantMatchTheReferenceByteForByte) {
    if (!cpu::cpuHasAvx512Vbmi()) GTEST_SKIP() << "this CPU has no AVX-512 VBMI; the kernel is not used here";
    using schema::BuiltinOperator_SUB, schema::BuiltinOperator_ADD, schema::BuiltinOperator_MUL, schema::BuiltinOperator_MAXIMUM,
        schema::BuiltinOperator_SQUARED_DIFFERENCE, schema::BuiltinOperator_DIV;
    const std::vector<BinaryCase> cases = {
        {BuiltinOperator_SUB, DataType::Int8, {1, 192, 192, 3}, {1, 1, 1, 3}, 1e-6f, false, 2, true},  // MoveNet's input normalisation
        {BuiltinOperator_ADD, DataType::UInt8, {4, 33}, {}, 0.5f, true, 1, true},                       // a scalar, first
        {BuiltinOperator_MUL, DataType::Int8, {1, 13, 7, 5}, {1, 5}, 0.01f, false, 1, true},
        {BuiltinOperator_MAXIMUM, DataType::UInt8, {1, 700, 8}, {8}, 0.7f, true, 2, true},
        {BuiltinOperator_SQUARED_DIFFERENCE, DataType::Int8, {3, 31}, {1}, 0.2f, false, 1, true},
        {BuiltinOperator_SUB, DataType::Int8, {1, 6, 6, 9}, {1, 1, 1, 9}, 0.3f, false, 1, false},  // 9 values a channel
        {BuiltinOperator_DIV, DataType::UInt8, {4, 33}, {1}, 0.5f, false, 1, false},
    };
    std::mt19937 random(12);
    for (const BinaryCase& c : cases) {
        int input = 0, output = 0;
        ModelBuilder builder = binaryModel(c, random, input, output);
        const size_t count = elementsOf(c.shape);
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(builder, input, randomBytes(count, random), output, c.threads);
        ASSERT_TRUE(result.error.empty()) << schema::EnumNameBuiltinOperator(c.op) << ": " << result.error;
        const Model& compiled = result.cpu->model();
        const bool taken = cpu::byteTableLookupKernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[0]) != nullptr;
        std::cout << "  " << schema::EnumNameBuiltinOperator(c.op) << " " << dataTypeName(c.type) << " " << shapeText(c.shape) << " and "
                  << shapeText(c.constantShape) << (c.constantFirst ? " (constant first)" : "") << ", " << c.threads
                  << " thread(s): " << (taken ? "tables" : "not tables") << ", " << result.differing << " of " << count
                  << " bytes differ\n";
        EXPECT_EQ(taken, c.taken);
        EXPECT_EQ(result.differing, 0);
    }
}

TEST(ByteTableLookup, LeavesAnOperandComputedAtRunTimeAlone) {
    if (!cpu::cpuHasAvx512Vbmi()) GTEST_SKIP() << "this CPU has no AVX-512 VBMI; the kernel is not used here";
    ModelBuilder builder;
    builder.addSubgraph();
    const int a = builder.addTensor(quantized("a", DataType::Int8, {1, 8, 3}, 0.1f, 0));
    const int b = builder.addTensor(quantized("b", DataType::Int8, {1, 1, 3}, 0.1f, 0));
    const int y = builder.addTensor(quantized("y", DataType::Int8, {1, 8, 3}, 0.2f, 0));
    builder.addOp({schema::BuiltinOperator_ADD, {}, {a, b}, {y}});
    builder.setInputs({a, b});
    builder.setOutputs({y});
    auto compiled = testing::compileBuilt(builder, {"cpu", "reference"});
    ASSERT_TRUE(compiled) << compiled.errorMessage();
    const Model& model = (*compiled)->model();
    EXPECT_EQ(cpu::byteTableLookupKernel(model, model.subgraphs[0], model.subgraphs[0].ops[0]), nullptr);
}

}  // namespace
}  // namespace litestudio

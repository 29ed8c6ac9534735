// The reference SOFTMAX and LOG_SOFTMAX of 8-bit rows, which work each
// distinct byte's exponential out once and copy each distinct byte's
// result, against the formula applied element by element in the test: a
// quantized classifier's [2, 1001] uint8 rows (beta 1 and 0.5) and int8
// LOG_SOFTMAX rows of 300, every byte equal; and a float32 row by hand.

#include <algorithm>
#include <cmath>
#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::quantized;

struct SoftmaxCase {
    schema::BuiltinOperator op;
    DataType type;
    std::vector<int32_t> shape;
    float inScale, outScale, beta;
    int inZero, outZero;
};

ModelBuilder softmaxModel(const SoftmaxCase& c, int& x, int& y) {
    ModelBuilder builder;
    builder.addSubgraph();
    x = builder.addTensor(c.type == DataType::Float32 ? TensorSpec{"x", c.type, c.shape} : quantized("x", c.type, c.shape, c.inScale, c.inZero));
    y = builder.addTensor(c.type == DataType::Float32 ? TensorSpec{"y", c.type, c.shape} : quantized("y", c.type, c.shape, c.outScale, c.outZero));
    const float beta = c.beta;
    if (c.op == schema::BuiltinOperator_SOFTMAX)
        builder.addOp({c.op, {}, {x}, {y}, [beta](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SoftmaxOptions, schema::CreateSoftmaxOptions(fbb, beta).o};
                       }});
    else
        builder.addOp({c.op, {}, {x}, {y}});
    builder.setInputs({x});
    builder.setOutputs({y});
    return builder;
}

// As the reference writes a quantized value: the float reciprocal of the
// scale, round half to even, the zero point, saturated.
uint8_t quantize(double value, const SoftmaxCase& c) {
    const double q = std::nearbyint(static_cast<float>(value) * (1.0f / c.outScale)) + c.outZero;
    if (c.type == DataType::Int8) return static_cast<uint8_t>(static_cast<int8_t>(std::clamp(q, -128.0, 127.0)));
    return static_cast<uint8_t>(std::clamp(q, 0.0, 255.0));
}

TEST(Softmax, EightBitRowsMatchTheFormulaElementByElement) {
    const std::vector<SoftmaxCase> cases = {
        {schema::BuiltinOperator_SOFTMAX, DataType::UInt8, {2, 1001}, 0.1f, 1.0f / 256, 1.0f, 17, 0},  // a classifier's output
        {schema::BuiltinOperator_SOFTMAX, DataType::UInt8, {3, 257}, 0.05f, 1.0f / 256, 0.5f, 128, 0},
        {schema::BuiltinOperator_LOG_SOFTMAX, DataType::Int8, {2, 300}, 0.08f, 16.0f / 256, 1.0f, -5, 127},
    };
    std::mt19937 random(4);
    for (const SoftmaxCase& c : cases) {
        int x = 0, y = 0;
        ModelBuilder builder = softmaxModel(c, x, y);
        auto model = testing::compileBuilt(builder, {"reference"});
        ASSERT_TRUE(model) << model.errorMessage();
        const int64_t depth = c.shape.back(), rows = c.shape[0];
        std::vector<uint8_t> bytes(static_cast<size_t>(rows * depth));
        for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
        ASSERT_TRUE((*model)->setInput(0, x, bytes));
        ASSERT_TRUE((*model)->run(0));
        const RuntimeTensor& out = (*model)->tensor(0, y);
        auto real = [&](uint8_t byte) {
            const int stored = c.type == DataType::Int8 ? static_cast<int8_t>(byte) : byte;
            return (static_cast<double>(stored) - c.inZero) * static_cast<double>(c.inScale);
        };
        int differing = 0;
        for (int64_t r = 0; r < rows; ++r) {
            double maximum = -INFINITY, sum = 0;
            for (int64_t i = 0; i < depth; ++i) maximum = std::max(maximum, real(bytes[static_cast<size_t>(r * depth + i)]));
            for (int64_t i = 0; i < depth; ++i) sum += std::exp((real(bytes[static_cast<size_t>(r * depth + i)]) - maximum) * c.beta);
            for (int64_t i = 0; i < depth; ++i) {
                const double shifted = (real(bytes[static_cast<size_t>(r * depth + i)]) - maximum) * c.beta;
                const double value = c.op == schema::BuiltinOperator_LOG_SOFTMAX ? shifted - std::log(sum) : std::exp(shifted) / sum;
                differing += out.data[r * depth + i] != quantize(value, c);
            }
        }
        std::cout << "  " << schema::EnumNameBuiltinOperator(c.op) << " " << dataTypeName(c.type) << " " << shapeText(c.shape) << ", beta "
                  << c.beta << ": " << differing << " of " << rows * depth << " bytes differ\n";
        EXPECT_EQ(differing, 0);
    }
}

TEST(Softmax, AFloatRowByHand) {
    const SoftmaxCase c{schema::BuiltinOperator_SOFTMAX, DataType::Float32, {1, 3}, 0, 0, 1.0f, 0, 0};
    int x = 0, y = 0;
    ModelBuilder builder = softmaxModel(c, x, y);
    auto model = testing::compileBuilt(builder, {"reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**model, x, {0.0f, std::log(2.0f), std::log(5.0f)}));
    ASSERT_TRUE((*model)->run(0));
    const std::vector<float> got = testing::tensorValues<float>(**model, y);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_NEAR(got[0], 0.125f, 1e-6f);  // 1 / (1 + 2 + 5)
    EXPECT_NEAR(got[1], 0.25f, 1e-6f);
    EXPECT_NEAR(got[2], 0.625f, 1e-6f);
}

}  // namespace
}  // namespace litestudio

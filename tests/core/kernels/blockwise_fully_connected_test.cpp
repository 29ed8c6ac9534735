// FULLY_CONNECTED over blockwise int4 weights, worked by hand the way LiteRT
// computes it: the input row is quantized to int8 from its own range, each
// block of 2 inputs is summed in integers and scaled by its block scale
// (rounded to bfloat16), then the row's scale is applied.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

struct BlockwiseModel {
    ModelBuilder builder;
    int input = 0, output = 0;
};

// Weights [2 units, 4 inputs] in int4, blocks of 2:
//   unit 0:  1 -2 |  3  7    scales 0.5, 0.25
//   unit 1: -8  0 |  5 -1    scales 1.0, 0.3 (float16 0x34CD = 0.30004883)
// bias 0.1, -0.2.
void buildBlockwise(BlockwiseModel& m) {
    m.builder.addSubgraph();
    m.input = m.builder.addTensor({"x", DataType::Float32, {1, 4}});
    int scales = m.builder.addConstant("scales", DataType::Float16, {2, 2},
                                       testing::bytesOf<uint16_t>({0x3800, 0x3400, 0x3C00, 0x34CD}));
    TensorSpec weights{"w", DataType::Int4, {2, 4}};
    weights.data = {0xE1, 0x73, 0x08, 0xF5};  // two values per byte, low nibble first
    weights.blockSize = 2;
    weights.blockScalesTensor = scales;
    int w = m.builder.addTensor(weights);
    int bias = m.builder.addFloatConstant("bias", {2}, {0.1f, -0.2f});
    m.output = m.builder.addTensor({"y", DataType::Float32, {1, 2}});
    m.builder.addOp({schema::BuiltinOperator_FULLY_CONNECTED, {}, {m.input, w, bias}, {m.output}});
    m.builder.setInputs({m.input});
    m.builder.setOutputs({m.output});
}

TEST(BlockwiseFullyConnected, QuantizesTheInputRowLikeLiteRt) {
    // x = 1, -0.5, 0.31, 0.5: range [-0.5, 1] gives 170 steps per unit and
    // zero point -43, so x becomes 170, -85, 53 (52.7 rounded), 85 steps.
    //   unit 0: (170 - 2*-85) * 0.5 + (3*53 + 7*85) * 0.25 = 358.5
    //           358.5 / 170 + 0.1 = 2.2088235  (float math: 2.2075)
    //   unit 1: (-8*170) * 1 + (5*53 - 85) * bf16(0.30004883) = -1360 + 180 * 0.30078125
    //           -1305.859375 / 170 - 0.2 = -7.8815257  (float math: -7.8823)
    BlockwiseModel m;
    buildBlockwise(m);
    for (std::vector<std::string> accelerators : {std::vector<std::string>{"reference"}, {"cpu", "reference"}}) {
        auto model = compileBuilt(m.builder, accelerators);
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE(setValues<float>(**model, m.input, {1.0f, -0.5f, 0.31f, 0.5f}));
        ASSERT_TRUE((*model)->run(0));
        std::vector<float> got = tensorValues<float>(**model, m.output);
        std::cout << "  " << accelerators[0] << ": " << got[0] << ", " << got[1] << " (want 2.2088235, -7.8815257)\n";
        EXPECT_NEAR(got[0], 2.2088235f, 1e-5f);
        EXPECT_NEAR(got[1], -7.8815257f, 1e-5f);
    }
}

TEST(BlockwiseFullyConnected, RefusesScalesThatDoNotCoverEveryBlock) {
    BlockwiseModel m;
    buildBlockwise(m);
    m.builder.current().tensors[1].shape = {2, 1};
    m.builder.current().tensors[1].data.resize(4);
    auto model = compileBuilt(m.builder);
    ASSERT_FALSE(model);
    std::cout << "  " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("block scales"), std::string::npos) << model.errorMessage();
}

}  // namespace
}  // namespace litestudio

// LSTM and SVDF on one-unit models whose steps can be followed by hand.

#include <cmath>
#include <iostream>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

// Finishes a one-op UNIDIRECTIONAL_SEQUENCE_LSTM model whose input and
// weights are already in `inputs` (TFLite's 24 operand slots): adds the
// output and cell state variables and the [1, steps, cells] output, which
// it returns; inputs[0] is the model's input.
int addSequenceLstm(ModelBuilder& builder, std::vector<int>& inputs, int cells, int steps) {
    TensorSpec outputState{"output_state", DataType::Float32, {1, cells}};
    outputState.isVariable = true;
    TensorSpec cellState{"cell_state", DataType::Float32, {1, cells}};
    cellState.isVariable = true;
    inputs[18] = builder.addTensor(outputState);
    inputs[19] = builder.addTensor(cellState);
    int out = builder.addTensor({"output", DataType::Float32, {1, steps, cells}});
    builder.addOp({schema::BuiltinOperator_UNIDIRECTIONAL_SEQUENCE_LSTM, {}, inputs, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_UnidirectionalSequenceLSTMOptions,
                                            schema::CreateUnidirectionalSequenceLSTMOptions(fbb, schema::ActivationFunctionType_TANH).o};
    }});
    builder.setInputs({inputs[0]});
    builder.setOutputs({out});
    return out;
}

TEST(Recurrent, SequenceLstmCarriesStateAcrossStepsAndRuns) {
    // One feature, one cell. Input weights i,f,c,o = 1, 0.5, 1, 1; every
    // recurrent weight 0.5; forget bias 1. With h = c = 0 at first:
    //   x=1: i=s(1) f=s(1.5) g=tanh(1) o=s(1): c=0.538, h=0.369606
    //   x=2: i=s(2.185) f=s(2.185) g=tanh(2.185) o=s(2.185): c=1.376876, h=0.791236
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Float32, {1, 2, 1}});
    std::vector<int> inputs(24, -1);
    inputs[0] = input;
    const float inputWeights[4] = {1.0f, 0.5f, 1.0f, 1.0f};
    for (int gate = 0; gate < 4; ++gate) {
        std::string g = std::to_string(gate);
        inputs[1 + gate] = builder.addFloatConstant("input_to_" + g, {1, 1}, {inputWeights[gate]});
        inputs[5 + gate] = builder.addFloatConstant("recurrent_to_" + g, {1, 1}, {0.5f});
        inputs[12 + gate] = builder.addFloatConstant("bias_" + g, {1}, {gate == 1 ? 1.0f : 0.0f});
    }
    int out = addSequenceLstm(builder, inputs, 1, 2);
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<float>(**model, input, {1.0f, 2.0f}));
    ASSERT_TRUE((*model)->run(0));
    std::vector<float> first = tensorValues<float>(**model, out);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_NEAR(first[0], 0.369606f, 1e-5f);
    EXPECT_NEAR(first[1], 0.791236f, 1e-5f);
    EXPECT_NEAR(tensorValues<float>(**model, inputs[19])[0], 1.376876f, 1e-5f);
    // The states are the model's memory: a second run continues from them.
    ASSERT_TRUE((*model)->run(0));
    EXPECT_GT(tensorValues<float>(**model, out)[0], first[0] + 0.1f);
}

TEST(Recurrent, PerTensorInt8WeightsGiveTheSameOutputsAsTheGeneralPath) {
    // A float LSTM (5 features, 6 cells, 4 steps) with int8 weights: once with
    // one scale per tensor (the 256-entry lookup of dequantized weights), once
    // with the same scale repeated per row (the value view's general path).
    // Both sum the same doubles in the same order, so the outputs are equal.
    std::vector<std::vector<float>> results;
    for (bool perChannel : {false, true}) {
        ModelBuilder builder;
        builder.addSubgraph();
        const int features = 5, cells = 6, steps = 4;
        int input = builder.addTensor({"input", DataType::Float32, {1, steps, features}});
        std::vector<int> inputs(24, -1);
        inputs[0] = input;
        auto int8Weights = [&](const std::string& name, int rows, int columns, int seed) {
            TensorSpec spec{name, DataType::Int8, {rows, columns}};
            for (int i = 0; i < rows * columns; ++i) spec.data.push_back(static_cast<uint8_t>((i * 53 + seed * 31) % 251));
            spec.scales.assign(perChannel ? size_t(rows) : 1u, 0.013f);
            spec.zeroPoints.assign(perChannel ? size_t(rows) : 1u, 0);
            return builder.addTensor(spec);
        };
        for (int gate = 0; gate < 4; ++gate) {
            std::string g = std::to_string(gate);
            inputs[1 + gate] = int8Weights("input_to_" + g, cells, features, gate);
            inputs[5 + gate] = int8Weights("recurrent_to_" + g, cells, cells, gate + 4);
            inputs[12 + gate] = builder.addFloatConstant("bias_" + g, {cells}, std::vector<float>(cells, gate == 1 ? 1.0f : 0.1f));
        }
        int out = addSequenceLstm(builder, inputs, cells, steps);
        auto model = compileBuilt(builder);
        ASSERT_TRUE(model) << model.errorMessage();
        std::vector<float> x;
        for (int i = 0; i < steps * features; ++i) x.push_back(std::sin(0.7f * float(i)));
        ASSERT_TRUE(setValues<float>(**model, input, x));
        ASSERT_TRUE((*model)->run(0));
        results.push_back(tensorValues<float>(**model, out));
    }
    std::cout << "  " << results[0].size() << " outputs, e.g. " << results[0][0] << " and " << results[1][0] << "\n";
    EXPECT_EQ(results[0], results[1]);
}

TEST(Recurrent, SvdfKeepsAWindowOfFeatureActivations) {
    // Feature weights [1, 1], time weights [0.5, 2], bias 0.25, memory 2.
    //   x=(1,2): window (0, 3) -> 0*0.5 + 3*2 + 0.25 = 6.25
    //   x=(3,-1): window (3, 2) -> 3*0.5 + 2*2 + 0.25 = 5.75
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Float32, {1, 2}});
    int feature = builder.addFloatConstant("feature", {1, 2}, {1, 1});
    int time = builder.addFloatConstant("time", {1, 2}, {0.5f, 2.0f});
    int bias = builder.addFloatConstant("bias", {1}, {0.25f});
    TensorSpec stateSpec{"state", DataType::Float32, {1, 2}};
    stateSpec.isVariable = true;
    int state = builder.addTensor(stateSpec);
    int out = builder.addTensor({"output", DataType::Float32, {1, 1}});
    builder.addOp({schema::BuiltinOperator_SVDF, {}, {input, feature, time, bias, state}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SVDFOptions, schema::CreateSVDFOptions(fbb, 1).o};
    }});
    builder.setInputs({input});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<float>(**model, input, {1, 2}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(tensorValues<float>(**model, out), (std::vector<float>{6.25f}));
    ASSERT_TRUE(setValues<float>(**model, input, {3, -1}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(tensorValues<float>(**model, out), (std::vector<float>{5.75f}));
}

}  // namespace
}  // namespace litestudio

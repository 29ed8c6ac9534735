// CONCATENATION's output shape: inputs whose joined axis passes int32 are
// refused by name (two empty inputs of 2,000,000,000 rows each overflowed
// the sum in its prepare), and a plain join is the inputs one after the
// other. SPLIT cuts each outer row into the parts' runs, raw or (outputs
// of other quantization) value by value; PACK and UNPACK interleave and
// pull apart runs of the inner dimensions.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

ModelBuilder concatenation(std::vector<int32_t> a, std::vector<int32_t> b, std::vector<int32_t> out, int& first, int& second, int& output) {
    ModelBuilder builder;
    builder.addSubgraph();
    first = builder.addTensor({"a", DataType::Float32, std::move(a)});
    second = builder.addTensor({"b", DataType::Float32, std::move(b)});
    output = builder.addTensor({"joined", DataType::Float32, std::move(out)});
    builder.addOp({schema::BuiltinOperator_CONCATENATION, {}, {first, second}, {output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions,
                                                           schema::CreateConcatenationOptions(fbb, 0).o};
                   }});
    builder.setInputs({first, second});
    builder.setOutputs({output});
    return builder;
}

TEST(Concatenation, JoinsAlongTheAxis) {
    int a = 0, b = 0, out = 0;
    auto model = compileBuilt(concatenation({1, 2}, {2, 2}, {3, 2}, a, b, out), {"reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**model, a, {1, 2}));
    ASSERT_TRUE(testing::setValues<float>(**model, b, {3, 4, 5, 6}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<float>(**model, out), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Concatenation, AJoinedAxisPastInt32IsRefused) {
    int a = 0, b = 0, out = 0;
    auto model = compileBuilt(concatenation({2000000000, 0}, {2000000000, 0}, {1, 0}, a, b, out), {"reference"});
    ASSERT_FALSE(model);
    std::cout << "  " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("joins 4000000000 along axis 0, past the largest dimension"), std::string::npos)
        << model.errorMessage();
}

// SPLIT of `in` along `axis` into outputs of the given shapes.
ModelBuilder split(TensorSpec in, int axis, std::vector<TensorSpec> parts, int& input, std::vector<int>& outputs) {
    ModelBuilder builder;
    builder.addSubgraph();
    const int axisTensor = builder.addConstant("axis", DataType::Int32, {}, testing::bytesOf<int32_t>({axis}));
    input = builder.addTensor(std::move(in));
    outputs.clear();
    for (TensorSpec& part : parts) outputs.push_back(builder.addTensor(std::move(part)));
    const int count = static_cast<int>(outputs.size());
    builder.addOp({schema::BuiltinOperator_SPLIT, {}, {axisTensor, input}, outputs, [count](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SplitOptions, schema::CreateSplitOptions(fbb, count).o};
                   }});
    builder.setInputs({input});
    builder.setOutputs(outputs);
    return builder;
}

TEST(Split, CutsEveryOuterRowIntoTheParts) {
    // [2, 3, 2] along axis 2 into two [2, 3, 1]: the first and second
    // value of each of the six rows.
    int in = 0;
    std::vector<int> out;
    auto model = compileBuilt(split({"x", DataType::Float32, {2, 3, 2}}, 2,
                                    {{"first", DataType::Float32, {2, 3, 1}}, {"second", DataType::Float32, {2, 3, 1}}}, in, out));
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**model, in, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<float>(**model, out[0]), (std::vector<float>{0, 2, 4, 6, 8, 10}));
    EXPECT_EQ(testing::tensorValues<float>(**model, out[1]), (std::vector<float>{1, 3, 5, 7, 9, 11}));
}

TEST(Split, CutsAMiddleAxisIntoRunsOfRows) {
    // [2, 4, 3] along axis 1 into two [2, 2, 3]: runs of six values.
    int in = 0;
    std::vector<int> out;
    auto model = compileBuilt(split({"x", DataType::Float32, {2, 4, 3}}, 1,
                                    {{"top", DataType::Float32, {2, 2, 3}}, {"bottom", DataType::Float32, {2, 2, 3}}}, in, out));
    ASSERT_TRUE(model) << model.errorMessage();
    std::vector<float> values(24);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
    ASSERT_TRUE(testing::setValues<float>(**model, in, values));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<float>(**model, out[0]), (std::vector<float>{0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17}));
    EXPECT_EQ(testing::tensorValues<float>(**model, out[1]), (std::vector<float>{6, 7, 8, 9, 10, 11, 18, 19, 20, 21, 22, 23}));
}

TEST(Split, RequantizesAPartOfOtherQuantization) {
    // int8 at scale 0.5, zero point 0: a stored q is the value q / 2, which
    // the second part (scale 1, zero point 10) stores as q / 2 + 10.
    int in = 0;
    std::vector<int> out;
    auto model = compileBuilt(split(testing::quantized("x", DataType::Int8, {2, 2}, 0.5f, 0), 1,
                                    {testing::quantized("same", DataType::Int8, {2, 1}, 0.5f, 0),
                                     testing::quantized("other", DataType::Int8, {2, 1}, 1.0f, 10)},
                                    in, out));
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(testing::setValues<int8_t>(**model, in, {4, 6, -8, 20}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<int8_t>(**model, out[0]), (std::vector<int8_t>{4, -8}));
    EXPECT_EQ(testing::tensorValues<int8_t>(**model, out[1]), (std::vector<int8_t>{13, 20}));
}

TEST(Pack, InterleavesTheInputsAlongTheNewAxis) {
    // Two [2, 3] along a new axis 1: [2, 2, 3], each row of a beside b's.
    ModelBuilder builder;
    builder.addSubgraph();
    const int a = builder.addTensor({"a", DataType::Float32, {2, 3}}), b = builder.addTensor({"b", DataType::Float32, {2, 3}});
    const int out = builder.addTensor({"packed", DataType::Float32, {2, 2, 3}});
    builder.addOp({schema::BuiltinOperator_PACK, {}, {a, b}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_PackOptions, schema::CreatePackOptions(fbb, 2, 1).o};
                   }});
    builder.setInputs({a, b});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**model, a, {0, 1, 2, 3, 4, 5}));
    ASSERT_TRUE(testing::setValues<float>(**model, b, {10, 11, 12, 13, 14, 15}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<float>(**model, out), (std::vector<float>{0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15}));
}

TEST(Unpack, PullsApartTheRunsOfEachIndex) {
    // [2, 3, 2] along axis 1 into three [2, 2].
    ModelBuilder builder;
    builder.addSubgraph();
    const int x = builder.addTensor({"x", DataType::Float32, {2, 3, 2}});
    std::vector<int> outs;
    for (const char* name : {"first", "second", "third"}) outs.push_back(builder.addTensor({name, DataType::Float32, {2, 2}}));
    builder.addOp({schema::BuiltinOperator_UNPACK, {}, {x}, outs, [](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_UnpackOptions, schema::CreateUnpackOptions(fbb, 3, 1).o};
                   }});
    builder.setInputs({x});
    builder.setOutputs(outs);
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**model, x, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<float>(**model, outs[0]), (std::vector<float>{0, 1, 6, 7}));
    EXPECT_EQ(testing::tensorValues<float>(**model, outs[1]), (std::vector<float>{2, 3, 8, 9}));
    EXPECT_EQ(testing::tensorValues<float>(**model, outs[2]), (std::vector<float>{4, 5, 10, 11}));
}

}  // namespace
}  // namespace litestudio

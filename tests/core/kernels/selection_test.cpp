// SELECT, SELECT_V2 and WHERE on inputs small enough to check by hand.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

TEST(Selection, SelectV2BroadcastsTheCondition) {
    // condition [2,1] picks whole rows of x [2,3] or of the scalar y.
    ModelBuilder builder;
    builder.addSubgraph();
    int condition = builder.addTensor({"condition", DataType::Bool, {2, 1}});
    int x = builder.addTensor({"x", DataType::Float32, {2, 3}});
    int y = builder.addFloatConstant("y", {}, {-1.0f});
    int out = builder.addTensor({"out", DataType::Float32, {2, 3}});
    builder.addOp({schema::BuiltinOperator_SELECT_V2, {}, {condition, x, y}, {out}});
    builder.setInputs({condition, x});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<uint8_t>(**model, condition, {0, 1}));
    ASSERT_TRUE(setValues<float>(**model, x, {1, 2, 3, 4, 5, 6}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(tensorValues<float>(**model, out), (std::vector<float>{-1, -1, -1, 4, 5, 6}));
}

TEST(Selection, SelectV1TakesOneConditionPerRow) {
    ModelBuilder builder;
    builder.addSubgraph();
    int condition = builder.addTensor({"condition", DataType::Bool, {2}});
    int x = builder.addTensor({"x", DataType::Int32, {2, 2}});
    int y = builder.addTensor({"y", DataType::Int32, {2, 2}});
    int out = builder.addTensor({"out", DataType::Int32, {2, 2}});
    builder.addOp({schema::BuiltinOperator_SELECT, {}, {condition, x, y}, {out}});
    builder.setInputs({condition, x, y});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<uint8_t>(**model, condition, {1, 0}));
    ASSERT_TRUE(setValues<int32_t>(**model, x, {1, 2, 3, 4}));
    ASSERT_TRUE(setValues<int32_t>(**model, y, {10, 20, 30, 40}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(tensorValues<int32_t>(**model, out), (std::vector<int32_t>{1, 2, 30, 40}));
}

TEST(Selection, WhereGivesCoordinatesWhoseCountIsKnownOnlyWhenItRuns) {
    // The output is [-1, 2]: its row count depends on the input's values,
    // so the runtime sizes it during the run, and again on the next run.
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Bool, {2, 3}});
    int out = builder.addTensor({"indices", DataType::Int64, {1, 2}, {-1, 2}});
    builder.addOp({schema::BuiltinOperator_WHERE, {}, {input}, {out}});
    builder.setInputs({input});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<uint8_t>(**model, input, {0, 1, 0, 1, 0, 1}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ((*model)->tensor(0, out).shape, (std::vector<int32_t>{3, 2}));
    EXPECT_EQ(tensorValues<int64_t>(**model, out), (std::vector<int64_t>{0, 1, 1, 0, 1, 2}));
    ASSERT_TRUE(setValues<uint8_t>(**model, input, {0, 0, 0, 0, 0, 1}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ((*model)->tensor(0, out).shape, (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(tensorValues<int64_t>(**model, out), (std::vector<int64_t>{1, 2}));
}

TEST(Selection, OpsAfterARunTimeShapeArePreparedInTheRun) {
    // TILE by multiples the model computes, then ADD on the result: the ADD
    // learns its shape only once the TILE has run.
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Float32, {1, 2}});
    int multiples = builder.addTensor({"multiples", DataType::Int32, {2}});
    int tiled = builder.addTensor({"tiled", DataType::Float32, {1, 1}, {-1, -1}});
    int one = builder.addFloatConstant("one", {}, {1.0f});
    int out = builder.addTensor({"out", DataType::Float32, {1, 1}, {-1, -1}});
    builder.addOp({schema::BuiltinOperator_TILE, {}, {input, multiples}, {tiled}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {tiled, one}, {out}});
    builder.setInputs({input, multiples});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<float>(**model, input, {1, 2}));
    ASSERT_TRUE(setValues<int32_t>(**model, multiples, {2, 2}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ((*model)->tensor(0, out).shape, (std::vector<int32_t>{2, 4}));
    EXPECT_EQ(tensorValues<float>(**model, out), (std::vector<float>{2, 3, 2, 3, 2, 3, 2, 3}));
    ASSERT_TRUE(setValues<int32_t>(**model, multiples, {1, 1}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(tensorValues<float>(**model, out), (std::vector<float>{2, 3}));
}

}  // namespace
}  // namespace litestudio

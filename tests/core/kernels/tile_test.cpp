// TILE and BROADCAST_TO, which copy the input's last axis in whole runs, on
// inputs small enough to check by hand; a last axis of length 1 (filled
// value by value) and a 1-D input take the raw path's edge cases. Multiples
// that are negative or make a dimension past int32 are refused.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

std::vector<float> run(schema::BuiltinOperator code, std::vector<int32_t> inputShape, std::vector<int32_t> argument,
                       std::vector<int32_t> outputShape, const std::vector<float>& values) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, inputShape});
    std::vector<uint8_t> bytes = testing::bytesOf(argument);
    int multiples = builder.addConstant("argument", DataType::Int32, {static_cast<int32_t>(argument.size())}, bytes);
    int out = builder.addTensor({"out", DataType::Float32, outputShape});
    builder.addOp({code, {}, {x, multiples}, {out}});
    builder.setInputs({x});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return {};
    EXPECT_TRUE(setValues<float>(**model, x, values));
    EXPECT_TRUE((*model)->run(0));
    return tensorValues<float>(**model, out);
}

TEST(Tile, RepeatsEveryAxisByItsMultiple) {
    // [2,3] by [2,2]: the rows repeat whole, each row twice side by side.
    std::vector<float> out = run(schema::BuiltinOperator_TILE, {2, 3}, {2, 2}, {4, 6}, {1, 2, 3, 4, 5, 6});
    EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}));
}

TEST(Tile, RepeatsALeadingAxisOnly) {
    // The generated Gemma tiles its [rows, keys] mask once per query head.
    std::vector<float> out = run(schema::BuiltinOperator_TILE, {2, 2}, {3, 1}, {6, 2}, {1, 2, 3, 4});
    EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}));
}

TEST(Tile, BroadcastToSpreadsLengthOneAxes) {
    // [2,1] to [2,2,3]: each value fills its row; the leading axis repeats.
    std::vector<float> out = run(schema::BuiltinOperator_BROADCAST_TO, {2, 1}, {2, 2, 3}, {2, 2, 3}, {7, 8});
    EXPECT_EQ(out, (std::vector<float>{7, 7, 7, 8, 8, 8, 7, 7, 7, 8, 8, 8}));
}

TEST(Tile, RepeatsALastAxisOfOneValue) {
    // [2,3,1] by [2,1,2]: each value twice in a row, then the whole block again.
    std::vector<float> out = run(schema::BuiltinOperator_TILE, {2, 3, 1}, {2, 1, 2}, {4, 3, 2}, {1, 2, 3, 4, 5, 6});
    EXPECT_EQ(out, (std::vector<float>{1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6}));
}

TEST(Tile, RepeatsAOneDimensionalInput) {
    std::vector<float> out = run(schema::BuiltinOperator_TILE, {3}, {3}, {9}, {1, 2, 3});
    EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 1, 2, 3, 1, 2, 3}));
}

TEST(Tile, RepeatsAMiddleAxis) {
    // [2,2,2] by [1,2,1]: within each outer block, its two rows twice.
    std::vector<float> out = run(schema::BuiltinOperator_TILE, {2, 2, 2}, {1, 2, 1}, {2, 4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8}));
}

TEST(Tile, AMultipleNegativeOrPastInt32IsRefused) {
    // An int64 multiple of 2^62 overflowed the product in TILE's prepare; a
    // negative one or one past int32 wrapped to a wrong dimension.
    for (int64_t multiple : {int64_t{-2}, int64_t{1} << 62, int64_t{1} << 31}) {
        ModelBuilder builder;
        builder.addSubgraph();
        int x = builder.addTensor({"x", DataType::Float32, {2, 3}});
        int multiples = builder.addConstant("multiples", DataType::Int64, {2}, testing::bytesOf<int64_t>({multiple, 1}));
        int out = builder.addTensor({"out", DataType::Float32, {2, 3}});
        builder.addOp({schema::BuiltinOperator_TILE, {}, {x, multiples}, {out}});
        builder.setInputs({x});
        builder.setOutputs({out});
        auto model = compileBuilt(builder, {"reference"});
        ASSERT_FALSE(model) << "multiple " << multiple;
        std::cout << "  " << model.errorMessage() << "\n";
        EXPECT_NE(model.errorMessage().find("multiple " + std::to_string(multiple) + " of axis 0 of [2,3] is negative or passes"),
                  std::string::npos)
            << model.errorMessage();
    }
}

}  // namespace
}  // namespace litestudio

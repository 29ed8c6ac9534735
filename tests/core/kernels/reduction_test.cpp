// float32 REDUCE_MAX/REDUCE_MIN and SUM over the last axis (eight partial
// chains) and over a middle axis (row by row): NaN is skipped as TFLite's
// std::max/std::min skip it, infinities win, a span that is not a multiple
// of eight keeps its tail, and a 1000-value sum equals the double sum
// rounded to float; MEAN over [1, T, C] by axes 0 and 2 (axes of length 1
// do not break the run) against sums by hand. Axes given only at run time
// leave the output as declared: one holding another number of values than
// the reduction makes is an error naming it (fuzz.model_run_cpu: REDUCE_ANY
// over an input with empty kept axes into a declared [1,17,17,21] divided
// by zero).

#include <algorithm>
#include <cmath>
#include <limits>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

std::vector<float> reduce(schema::BuiltinOperator code, std::vector<int32_t> shape, std::vector<int32_t> axisList,
                          const std::vector<float>& values) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, shape});
    int axes = builder.addConstant("axes", DataType::Int32, {static_cast<int32_t>(axisList.size())}, testing::bytesOf<int32_t>(axisList));
    std::vector<int32_t> outShape;
    for (size_t d = 0; d < shape.size(); ++d)
        if (std::find(axisList.begin(), axisList.end(), static_cast<int32_t>(d)) == axisList.end()) outShape.push_back(shape[d]);
    int out = builder.addTensor({"out", DataType::Float32, outShape});
    builder.addOp({code, {}, {x, axes}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ReducerOptions, schema::CreateReducerOptions(fbb, false).o};
                   }});
    builder.setInputs({x});
    builder.setOutputs({out});
    auto model = compileBuilt(builder, {"reference"});
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return {};
    EXPECT_TRUE(setValues<float>(**model, x, values));
    EXPECT_TRUE((*model)->run(0));
    return tensorValues<float>(**model, out);
}

std::vector<float> reduce(schema::BuiltinOperator code, std::vector<int32_t> shape, int axis, const std::vector<float>& values) {
    return reduce(code, std::move(shape), std::vector<int32_t>{axis}, values);
}

TEST(Reduction, MaxAndMinOverTheLastAxisSkipNaN) {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    // Two rows of 11 (eight chains and a tail of three): the extreme sits in the tail of the first row.
    std::vector<float> values = {3, nan, -2, 5, 1, 0, 4, 2, 6, 9, -7,   //
                                 nan, 1, 2, -inf, 3, 4, 5, 6, 7, 8, inf};
    EXPECT_EQ(reduce(schema::BuiltinOperator_REDUCE_MAX, {2, 11}, 1, values), (std::vector<float>{9, inf}));
    EXPECT_EQ(reduce(schema::BuiltinOperator_REDUCE_MIN, {2, 11}, 1, values), (std::vector<float>{-7, -inf}));
}

TEST(Reduction, MaxAndMinOverAMiddleAxis) {
    // [2,3,2] over axis 1: per outer block, the largest/smallest of three rows per column.
    std::vector<float> values = {1, 8, 5, 2, 3, 9, -1, 0, -5, 4, 2, -3};
    EXPECT_EQ(reduce(schema::BuiltinOperator_REDUCE_MAX, {2, 3, 2}, 1, values), (std::vector<float>{5, 9, 2, 4}));
    EXPECT_EQ(reduce(schema::BuiltinOperator_REDUCE_MIN, {2, 3, 2}, 1, values), (std::vector<float>{1, 2, -5, -3}));
}

TEST(Reduction, SumOverTheLastAxisIsTheDoubleSum) {
    std::vector<float> values(2 * 1000);
    double expected[2] = {0, 0};
    for (size_t i = 0; i < values.size(); ++i) {
        values[i] = std::sin(static_cast<float>(i)) * 100.0f + 0.001f * static_cast<float>(i);
        expected[i / 1000] += values[i];
    }
    std::vector<float> out = reduce(schema::BuiltinOperator_SUM, {2, 1000}, 1, values);
    ASSERT_EQ(out.size(), 2u);
    std::cout << "  sums " << out[0] << ", " << out[1] << " (double sums " << expected[0] << ", " << expected[1] << ")\n";
    EXPECT_EQ(out[0], static_cast<float>(expected[0]));
    EXPECT_EQ(out[1], static_cast<float>(expected[1]));
}

TEST(Reduction, MeanSkipsAxesOfLengthOne) {
    // [1, 3, 4] over axes 0 and 2: the mean of each row of four.
    std::vector<float> values = {1, 2, 3, 6, -1, -1, 4, 2, 0.5f, 0.25f, 0.125f, 0.125f};
    EXPECT_EQ(reduce(schema::BuiltinOperator_MEAN, {1, 3, 4}, {0, 2}, values), (std::vector<float>{3, 1, 0.25f}));
}

TEST(Reduction, AxesGivenAtRunTimeAreCheckedAgainstTheDeclaredOutput) {
    auto runWithAxes = [](std::vector<int32_t> shape, std::vector<int32_t> declared, int32_t axis) {
        ModelBuilder builder;
        builder.addSubgraph();
        int x = builder.addTensor({"x", DataType::Float32, shape});
        int axes = builder.addTensor({"axes", DataType::Int32, {1}});
        int out = builder.addTensor({"out", DataType::Float32, declared});
        builder.addOp({schema::BuiltinOperator_SUM, {}, {x, axes}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ReducerOptions,
                                                               schema::CreateReducerOptions(fbb, false).o};
                       }});
        builder.setInputs({x, axes});
        builder.setOutputs({out});
        auto model = compileBuilt(builder, {"reference"});
        EXPECT_TRUE(model) << model.errorMessage();
        if (!model) return std::pair<Status, std::vector<float>>{Status::ok(), {}};
        int64_t count = 1;
        for (int32_t dim : shape) count *= dim;
        EXPECT_TRUE(setValues<float>(**model, x, std::vector<float>(static_cast<size_t>(count), 1.5f)));
        EXPECT_TRUE(setValues<int32_t>(**model, axes, {axis}));
        Status status = (*model)->run(0);
        return std::pair<Status, std::vector<float>>{status, status ? tensorValues<float>(**model, out) : std::vector<float>{}};
    };
    auto [fits, values] = runWithAxes({2, 3}, {2}, 1);
    ASSERT_TRUE(fits) << fits.message();
    EXPECT_EQ(values, (std::vector<float>{4.5f, 4.5f}));
    auto [wrong, none] = runWithAxes({2, 3}, {3}, 1);
    std::cout << "  [2,3] over axis 1 into a declared [3]: " << wrong.message() << "\n";
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.message().find("output 'out' [3] holds 3 values; the reduction of [2,3] makes 2"), std::string::npos);
    auto [empty, nothing] = runWithAxes({4, 0}, {2}, 0);
    std::cout << "  [4,0] over axis 0 into a declared [2]: " << empty.message() << "\n";
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.message().find("makes 0"), std::string::npos);
}

}  // namespace
}  // namespace litestudio

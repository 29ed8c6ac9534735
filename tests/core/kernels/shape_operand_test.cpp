// Ops whose output shape is an operand's values (SCATTER_ND's shape,
// TRANSPOSE_CONV's output_shape, BROADCAST_TO's): a plain scatter puts each update at its
// index among zeros, and shapes a tensor cannot have are refused by name at
// compile time. A fuzzed SCATTER_ND with the shape [2^30 - 1, 2^30 - 1,
// 2^30 - 1, 128] had its element count overflow int64 (UBSan, in the
// runtime's check for empty outputs; its output was a variable, whose
// run-time shape the runtime now checks too, see compiled_model_test); a
// negative value had become a dimension as it was.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct ScatterModel {
    ModelBuilder builder;
    int updates = -1, output = -1;
};

// SCATTER_ND of float updates [count] at constant int32 indices [count, 1]
// into zeros of the constant int64 shape `shape`.
ScatterModel scatter(const std::vector<int32_t>& indices, const std::vector<int64_t>& shape, std::vector<int32_t> declared) {
    ScatterModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const auto count = static_cast<int32_t>(indices.size());
    int where = b.addConstant("indices", DataType::Int32, {count, 1}, testing::bytesOf(indices));
    m.updates = b.addTensor({"updates", DataType::Float32, {count}});
    int dims = b.addConstant("shape", DataType::Int64, {static_cast<int32_t>(shape.size())}, testing::bytesOf(shape));
    m.output = b.addTensor({"scattered", DataType::Float32, std::move(declared)});
    b.addOp({schema::BuiltinOperator_SCATTER_ND, {}, {where, m.updates, dims}, {m.output}});
    b.setInputs({m.updates});
    b.setOutputs({m.output});
    return m;
}

TEST(ScatterNd, PutsEachUpdateAtItsIndex) {
    ScatterModel m = scatter({3, 0}, {5}, {5});
    auto model = compileBuilt(m.builder, {"reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**model, m.updates, {7.5f, -2.0f}));
    ASSERT_TRUE((*model)->run(0));
    const std::vector<float> expected{-2.0f, 0.0f, 0.0f, 7.5f, 0.0f};
    const std::vector<float> got = testing::tensorValues<float>(**model, m.output);
    std::cout << "  scattered 7.5 at 3 and -2 at 0 into 5 zeros: got";
    for (float v : got) std::cout << " " << v;
    std::cout << "\n";
    EXPECT_EQ(got, expected);
}

TEST(ScatterNd, AShapeNoTensorCanHaveIsRefusedByName) {
    const int64_t big = (int64_t{1} << 30) - 1;
    const std::vector<std::vector<int64_t>> shapes = {{big, big, big, 128}, {4, -3}, {int64_t{1} << 33, 1}};
    for (const std::vector<int64_t>& shape : shapes) {
        ScatterModel m = scatter({0}, shape, {1, 1});
        auto model = compileBuilt(m.builder, {"cpu", "reference"});
        ASSERT_FALSE(model);
        std::cout << "  " << model.errorMessage() << "\n";
        EXPECT_NE(model.errorMessage().find("shape operand 'shape' holds"), std::string::npos) << model.errorMessage();
    }
}

TEST(BroadcastTo, ANegativeTargetIsRefusedByName) {
    // [1] broadcast to [-5] had made an output of -5 elements.
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {1}});
    int target = builder.addConstant("shape", DataType::Int32, {1}, testing::bytesOf<int32_t>({-5}));
    int out = builder.addTensor({"out", DataType::Float32, {1}});
    builder.addOp({schema::BuiltinOperator_BROADCAST_TO, {}, {x, target}, {out}});
    builder.setInputs({x});
    builder.setOutputs({out});
    auto model = compileBuilt(builder, {"cpu", "reference"});
    ASSERT_FALSE(model);
    std::cout << "  " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("shape operand 'shape' holds -5"), std::string::npos) << model.errorMessage();
}

}  // namespace
}  // namespace litestudio

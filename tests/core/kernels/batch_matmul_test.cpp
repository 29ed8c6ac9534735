// The reference BATCH_MATMUL on matrices small enough to check by hand: the
// same product with either operand given transposed (adj_x, adj_y), five
// output columns (a panel of eight only partly filled), a batch of A
// against one B, and a batch of both.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

std::vector<float> multiply(std::vector<int32_t> shapeA, const std::vector<float>& a, std::vector<int32_t> shapeB,
                            const std::vector<float>& b, std::vector<int32_t> outputShape, bool adjA, bool adjB) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"a", DataType::Float32, shapeA});
    int y = builder.addTensor({"b", DataType::Float32, shapeB});
    int out = builder.addTensor({"out", DataType::Float32, outputShape});
    builder.addOp({schema::BuiltinOperator_BATCH_MATMUL, {}, {x, y}, {out}, [adjA, adjB](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_BatchMatMulOptions,
                                                           schema::CreateBatchMatMulOptions(fbb, adjA, adjB).o};
                   }});
    builder.setInputs({x, y});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return {};
    EXPECT_TRUE(setValues<float>(**model, x, a));
    EXPECT_TRUE(setValues<float>(**model, y, b));
    EXPECT_TRUE((*model)->run(0));
    return tensorValues<float>(**model, out);
}

const std::vector<float> kA = {1, 2, 3, 4, 5, 6};                                   // [2, 3]
const std::vector<float> kATransposed = {1, 4, 2, 5, 3, 6};                         // [3, 2]
const std::vector<float> kB = {1, 0, 2, -1, 3, 0, 1, 1, 2, -2, 2, -1, 0, 1, 1};     // [3, 5]
const std::vector<float> kBTransposed = {1, 0, 2, 0, 1, -1, 2, 1, 0, -1, 2, 1, 3, -2, 1};  // [5, 3]
const std::vector<float> kProduct = {7, -1, 4, 6, 2, 16, -1, 13, 12, 8};             // [2, 5]

TEST(BatchMatmul, MultipliesRowsByColumns) {
    EXPECT_EQ(multiply({2, 3}, kA, {3, 5}, kB, {2, 5}, false, false), kProduct);
}

TEST(BatchMatmul, TakesEitherOperandTransposed) {
    EXPECT_EQ(multiply({3, 2}, kATransposed, {3, 5}, kB, {2, 5}, true, false), kProduct);
    EXPECT_EQ(multiply({2, 3}, kA, {5, 3}, kBTransposed, {2, 5}, false, true), kProduct);
    EXPECT_EQ(multiply({3, 2}, kATransposed, {5, 3}, kBTransposed, {2, 5}, true, true), kProduct);
}

TEST(BatchMatmul, BroadcastsOneMatrixOverABatch) {
    std::vector<float> a = kA;
    a.insert(a.end(), {-1, 0, 1, 2, 2, 2});
    std::vector<float> expected = kProduct;
    expected.insert(expected.end(), {1, -1, -2, 2, -2, 6, 0, 6, 4, 4});
    EXPECT_EQ(multiply({2, 2, 3}, a, {3, 5}, kB, {2, 2, 5}, false, false), expected);
}

TEST(BatchMatmul, MultipliesEachMatrixOfABatchByItsOwn) {
    // The second B is the first negated: its product is the second A's by B, negated.
    std::vector<float> a = kA, b = kB;
    a.insert(a.end(), {-1, 0, 1, 2, 2, 2});
    for (float value : kB) b.push_back(-value);
    std::vector<float> expected = kProduct;
    expected.insert(expected.end(), {-1, 1, 2, -2, 2, -6, 0, -6, -4, -4});
    EXPECT_EQ(multiply({2, 2, 3}, a, {2, 3, 5}, b, {2, 2, 5}, false, false), expected);
}

}  // namespace
}  // namespace litestudio

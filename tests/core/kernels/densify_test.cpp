// DENSIFY: a constant sparse tensor (TFLite's format: per traversed
// dimension dense or CSR, optionally in blocks) expanded to its dense form.
// The runtime folds it when it compiles the model (pose detection's 38
// pruned filters), so each case here reads the dense values through an
// ADD of zeros that runs afterwards. Values are placed as stored, float16
// and int8 ones bit for bit; inconsistent sparse data is an error by name.

#include "core/kernels/reference/kernel_util.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct DensifyModel {
    ModelBuilder builder;
    int zeros = -1, output = -1;
};

// sparse -> DENSIFY -> (DEQUANTIZE unless float32) -> ADD(zeros) -> output,
// all float32 from the DEQUANTIZE on.
DensifyModel densify(TensorSpec sparse) {
    DensifyModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const std::vector<int32_t> shape = sparse.shape;
    const DataType type = sparse.type;
    TensorSpec denseSpec{"dense", type, shape};
    denseSpec.scales = sparse.scales;
    denseSpec.zeroPoints = sparse.zeroPoints;
    const int source = b.addTensor(std::move(sparse));
    int dense = b.addTensor(std::move(denseSpec));
    b.addOp({schema::BuiltinOperator_DENSIFY, {}, {source}, {dense}});
    if (type != DataType::Float32) {
        const int dequantized = b.addTensor({"dequantized", DataType::Float32, shape});
        b.addOp({schema::BuiltinOperator_DEQUANTIZE, {}, {dense}, {dequantized}});
        dense = dequantized;
    }
    m.zeros = b.addTensor({"zeros", DataType::Float32, shape});
    m.output = b.addTensor({"output", DataType::Float32, shape});
    b.addOp({schema::BuiltinOperator_ADD, {}, {dense, m.zeros}, {m.output}});
    b.setInputs({m.zeros});
    b.setOutputs({m.output});
    return m;
}

std::vector<float> runDensify(TensorSpec sparse, const std::string& accelerator) {
    DensifyModel m = densify(std::move(sparse));
    auto model = compileBuilt(m.builder, {accelerator});
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return {};
    const auto count = static_cast<size_t>((*model)->tensor(0, m.output).elementCount());
    EXPECT_TRUE(testing::setValues<float>(**model, m.zeros, std::vector<float>(count, 0.0f)));
    Status status = (*model)->run(0);
    EXPECT_TRUE(status) << status.message();
    return testing::tensorValues<float>(**model, m.output);
}

void expectDense(const char* what, TensorSpec sparse, const std::vector<float>& expected) {
    for (const std::string accelerator : {"reference", "cpu"}) {
        const std::vector<float> got = runDensify(sparse, accelerator);
        std::cout << "  " << what << " on " << accelerator << ":";
        for (float v : got) std::cout << " " << v;
        std::cout << "\n";
        EXPECT_EQ(got, expected) << what << " on " << accelerator;
    }
}

// [3, 4]: row 0 holds columns 0 and 3, row 1 nothing, row 2 column 1.
TensorSpec rowsCsr(DataType type, std::vector<uint8_t> values) {
    TensorSpec spec{"sparse", type, {3, 4}};
    spec.data = std::move(values);
    spec.traversalOrder = {0, 1};
    spec.sparseDimensions = {{true, 3, {}, {}}, {false, 0, {0, 2, 2, 3}, {0, 3, 1}}};
    return spec;
}

const std::vector<float> kRowsDense{1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0};

TEST(Densify, CompressedRowsOfFloat32) { expectDense("CSR float32", rowsCsr(DataType::Float32, testing::bytesOf<float>({1, 2, 3})), kRowsDense); }

TEST(Densify, CompressedRowsOfFloat16) {
    std::vector<uint16_t> halves;
    for (float v : {1.0f, 2.0f, 3.0f}) halves.push_back(reference::floatToHalf(v));
    expectDense("CSR float16", rowsCsr(DataType::Float16, testing::bytesOf(halves)), kRowsDense);
}

TEST(Densify, CompressedRowsOfInt8KeepTheirQuantization) {
    // The elements not stored are the stored type's zero, as TFLite fills
    // them: with a zero point of 10 and a scale of 0.5 they read as -5.
    TensorSpec spec = rowsCsr(DataType::Int8, testing::bytesOf<int8_t>({12, 14, 16}));
    spec.scales = {0.5f};
    spec.zeroPoints = {10};
    expectDense("CSR int8 (scale 0.5, zero point 10)", spec, {1, -5, -5, 2, -5, -5, -5, -5, -5, 3, -5, -5});
}

TEST(Densify, BlocksOfTwoByTwo) {
    // [4, 4] in 2x2 blocks: block row 0 holds block column 1, block row 1
    // block column 0; each block's four values row by row.
    TensorSpec spec{"sparse", DataType::Float32, {4, 4}};
    spec.data = testing::bytesOf<float>({1, 2, 3, 4, 5, 6, 7, 8});
    spec.traversalOrder = {0, 1, 2, 3};
    spec.blockMap = {0, 1};
    spec.sparseDimensions = {{true, 2, {}, {}}, {false, 0, {0, 1, 2}, {1, 0}}, {true, 2, {}, {}}, {true, 2, {}, {}}};
    expectDense("2x2 blocks", spec, {0, 0, 1, 2, 0, 0, 3, 4, 5, 6, 0, 0, 7, 8, 0, 0});
}

TEST(Densify, InconsistentSparseDataIsAnErrorByName) {
    struct Case {
        const char* what;
        std::vector<int32_t> segments, indices;
        const char* message;
    };
    const Case cases[] = {
        {"an index past the row (it had landed in the next one)", {0, 2, 2, 3}, {0, 5, 1}, "sparse index 5 is outside its dimension of 4"},
        {"a negative index", {0, 2, 2, 3}, {0, -1, 1}, "sparse index -1 is outside its dimension of 4"},
        {"segments past the indices", {0, 2, 2, 7}, {0, 3, 1}, "sparse indices are inconsistent"},
        {"too few segments", {0, 2}, {0, 3, 1}, "sparse segments are inconsistent"},
        {"a dense dimension longer than the shape's", {0, 2, 2, 3, 3}, {0, 3, 1}, "dense size 4 is larger than its dimension of 3"},
    };
    for (const Case& c : cases) {
        TensorSpec spec = rowsCsr(DataType::Float32, testing::bytesOf<float>({1, 2, 3}));
        spec.sparseDimensions[1].segments = c.segments;
        spec.sparseDimensions[1].indices = c.indices;
        if (c.segments.size() == 5) spec.sparseDimensions[0].denseSize = 4;  // four rows of three
        DensifyModel m = densify(std::move(spec));
        auto model = compileBuilt(m.builder, {"cpu", "reference"});
        std::string message = model ? "" : model.errorMessage();
        if (model) {
            ASSERT_TRUE(testing::setValues<float>(**model, m.zeros, std::vector<float>(12, 0.0f)));
            Status status = (*model)->run(0);
            ASSERT_FALSE(status) << c.what;
            message = status.message();
        }
        std::cout << "  " << c.what << ": " << message << "\n";
        EXPECT_NE(message.find(c.message), std::string::npos) << c.what << ": " << message;
    }
}

}  // namespace
}  // namespace litestudio

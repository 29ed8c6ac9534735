// The AVX-512 int8/uint8 ARG_MAX and ARG_MIN against the reference kernel:
// over the innermost axis, axes of 1, 7, 21 (DeepLab's classes), 32, 33 and
// 64 values; over an axis before it with up to 32 values inside (MoveNet's
// [1, 2304, 17] heatmap, 32, 9, two axes of 6, the first axis); int32 and
// int64 indices, two threads, and ties (values drawn from four, so most
// pixels have several winners: the first one counts). An axis that grows
// past 64 at run time, or an inside past 32, takes the element-wise path;
// 33 values inside stay on the reference. Skipped without AVX-512.

#include <iostream>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::quantized;

struct ArgCase {
    schema::BuiltinOperator op;
    DataType type, indexType;
    std::vector<int32_t> shape;
    int axis;  // as written in the model: -1 or the last dimension
    int threads;
};

ModelBuilder argModel(const ArgCase& c, int& input, int& out, std::vector<int32_t> signature = {}) {
    ModelBuilder builder;
    builder.addSubgraph();
    TensorSpec spec = quantized("input", c.type, c.shape, 0.2f, c.type == DataType::Int8 ? 3 : 128);
    spec.shapeSignature = std::move(signature);
    input = builder.addTensor(spec);
    int axis = builder.addConstant("axis", DataType::Int32, {1}, testing::bytesOf<int32_t>({c.axis}));
    std::vector<int32_t> outShape = c.shape;
    outShape.erase(outShape.begin() + (c.axis < 0 ? c.axis + static_cast<int>(c.shape.size()) : c.axis));
    out = builder.addTensor({"out", c.indexType, outShape});
    const schema::TensorType indexType = c.indexType == DataType::Int64 ? schema::TensorType_INT64 : schema::TensorType_INT32;
    if (c.op == schema::BuiltinOperator_ARG_MAX)
        builder.addOp({c.op, {}, {input, axis}, {out}, [=](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ArgMaxOptions, schema::CreateArgMaxOptions(fbb, indexType).o};
        }});
    else
        builder.addOp({c.op, {}, {input, axis}, {out}, [=](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ArgMinOptions, schema::CreateArgMinOptions(fbb, indexType).o};
        }});
    builder.setInputs({input});
    builder.setOutputs({out});
    return builder;
}

// Bytes drawn from four values near both ends of the type (and some at
// random), so ties and extremes are common.
std::vector<uint8_t> tieProneBytes(size_t count, std::mt19937& random) {
    const uint8_t choices[4] = {0x00, 0x7f, 0x80, 0xff};
    std::vector<uint8_t> bytes(count);
    for (uint8_t& byte : bytes) byte = random() % 3 == 0 ? static_cast<uint8_t>(random()) : choices[random() % 4];
    return bytes;
}

TEST(QuantizedArgMax, MatchesTheReferenceIncludingTies) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    using schema::BuiltinOperator_ARG_MAX, schema::BuiltinOperator_ARG_MIN;
    const std::vector<ArgCase> cases = {
        {BuiltinOperator_ARG_MAX, DataType::UInt8, DataType::Int64, {1, 33, 31, 21}, 3, 1},
        {BuiltinOperator_ARG_MAX, DataType::Int8, DataType::Int32, {1, 33, 31, 21}, -1, 2},
        {BuiltinOperator_ARG_MIN, DataType::UInt8, DataType::Int32, {5, 200, 7}, 2, 1},
        {BuiltinOperator_ARG_MIN, DataType::Int8, DataType::Int64, {3000, 32}, 1, 2},
        {BuiltinOperator_ARG_MAX, DataType::Int8, DataType::Int32, {2, 500, 33}, -1, 1},
        {BuiltinOperator_ARG_MAX, DataType::UInt8, DataType::Int32, {1100, 64}, 1, 1},
        {BuiltinOperator_ARG_MIN, DataType::Int8, DataType::Int32, {40, 64}, -1, 1},
        {BuiltinOperator_ARG_MAX, DataType::UInt8, DataType::Int32, {17, 1}, -1, 1},
        // An axis before the innermost: inner values side by side in lanes.
        {BuiltinOperator_ARG_MAX, DataType::Int8, DataType::Int32, {1, 2304, 17}, 1, 1},  // MoveNet's heatmap
        {BuiltinOperator_ARG_MIN, DataType::UInt8, DataType::Int64, {3, 50, 32}, 1, 2},
        {BuiltinOperator_ARG_MAX, DataType::UInt8, DataType::Int32, {4, 21, 9}, 1, 1},
        {BuiltinOperator_ARG_MAX, DataType::Int8, DataType::Int32, {5, 7, 2, 3}, 1, 1},   // inner of two axes
        {BuiltinOperator_ARG_MIN, DataType::Int8, DataType::Int32, {300, 4, 5}, 0, 2},
    };
    std::mt19937 random(3);
    for (const ArgCase& c : cases) {
        int input = 0, out = 0;
        ModelBuilder builder = argModel(c, input, out);
        size_t count = 1;
        for (int32_t dim : c.shape) count *= static_cast<size_t>(dim);
        testing::CpuByteComparison result =
            testing::compareCpuBytesWithReference(builder, input, tieProneBytes(count, random), out, c.threads);
        ASSERT_TRUE(result.error.empty()) << result.error;
        EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu") << "the AVX-512 kernel did not take the op";
        const int differing = result.differing;
        std::cout << "  " << schema::EnumNameBuiltinOperator(c.op) << " " << dataTypeName(c.type) << " " << shapeText(c.shape) << " -> "
                  << dataTypeName(c.indexType) << " over axis " << c.axis << ", " << c.threads << " thread(s): "
                  << count / static_cast<size_t>(c.shape[static_cast<size_t>(c.axis < 0 ? c.axis + static_cast<int>(c.shape.size()) : c.axis)])
                  << " indices, " << differing << " differ\n";
        EXPECT_EQ(differing, 0);
    }
}

TEST(QuantizedArgMax, LeavesOtherAxesAndWideAxesToTheReference) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    for (const ArgCase& c : {ArgCase{schema::BuiltinOperator_ARG_MAX, DataType::UInt8, DataType::Int32, {4, 21, 33}, 1, 1},
                             ArgCase{schema::BuiltinOperator_ARG_MAX, DataType::UInt8, DataType::Int32, {4, 65}, 1, 1}}) {
        int input = 0, out = 0;
        auto fast = compileBuilt(argModel(c, input, out), {"cpu", "reference"});
        ASSERT_TRUE(fast) << fast.errorMessage();
        std::cout << "  " << shapeText(c.shape) << " over axis " << c.axis << ": " << (*fast)->acceleratorOf(0, 0) << "\n";
        EXPECT_EQ((*fast)->acceleratorOf(0, 0), "reference");
    }
}

// A shape that grows at run time past what the lanes hold: compiled on the
// cpu accelerator for `c`'s shape, resized to `grown`, compared with the
// reference index by index.
void expectGrownShapeMatches(const ArgCase& c, std::vector<int32_t> signature, const std::vector<int32_t>& grown, unsigned seed) {
    int input = 0, out = 0;
    ModelBuilder builder = argModel(c, input, out, std::move(signature));
    auto reference = compileBuilt(builder, {"reference"});
    auto fast = compileBuilt(builder, {"cpu", "reference"});
    ASSERT_TRUE(reference) << reference.errorMessage();
    ASSERT_TRUE(fast) << fast.errorMessage();
    EXPECT_EQ((*fast)->acceleratorOf(0, 0), "cpu");
    ASSERT_TRUE((*reference)->resizeInput(0, input, grown));
    ASSERT_TRUE((*fast)->resizeInput(0, input, grown));
    size_t count = 1;
    for (int32_t dim : grown) count *= static_cast<size_t>(dim);
    std::mt19937 random(seed);
    const std::vector<uint8_t> bytes = tieProneBytes(count, random);
    for (CompiledModel* model : {fast->get(), reference->get()}) {
        ASSERT_TRUE(model->setInput(0, input, bytes));
        ASSERT_TRUE(model->run(0));
    }
    const std::vector<int32_t> got = testing::tensorValues<int32_t>(**fast, out), want = testing::tensorValues<int32_t>(**reference, out);
    const size_t axis = static_cast<size_t>(c.axis < 0 ? c.axis + static_cast<int>(grown.size()) : c.axis);
    EXPECT_EQ(got.size(), count / static_cast<size_t>(grown[axis]));
    EXPECT_EQ(got, want);
    std::cout << "  " << shapeText(c.shape) << " over axis " << c.axis << " resized to " << shapeText(grown) << ": " << got.size()
              << " indices compared\n";
}

TEST(QuantizedArgMax, AnAxisGrownPast64AtRunTimeStillMatches) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    expectGrownShapeMatches({schema::BuiltinOperator_ARG_MAX, DataType::Int8, DataType::Int32, {6, 21}, -1, 1}, {6, -1}, {6, 100}, 8);
}

TEST(QuantizedArgMax, AnInsideGrownPast32AtRunTimeStillMatches) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    expectGrownShapeMatches({schema::BuiltinOperator_ARG_MIN, DataType::UInt8, DataType::Int32, {6, 10, 8}, 1, 1}, {6, 10, -1},
                            {6, 10, 40}, 9);
}

}  // namespace
}  // namespace litestudio

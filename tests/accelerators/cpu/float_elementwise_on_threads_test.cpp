// Elementwise ops split over two or three threads against the reference:
// ADD/SUB/MUL of one shape and of a tensor with one value per channel (the
// per-channel operand first or second, of rank 1 or 4, channels not a
// multiple of 16) with no difference at all, the fused clamp applied; MEAN
// over height and width split into parts of the plane, within 1e-5 of the
// largest value.

#include <cmath>
#include <iostream>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using namespace schema;

litestudio::OptionsWriter binaryOptions(BuiltinOperator code, ActivationFunctionType activation) {
    if (code == BuiltinOperator_ADD)
        return [activation](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{BuiltinOptions_AddOptions, CreateAddOptions(fbb, activation).o};
        };
    if (code == BuiltinOperator_SUB)
        return [activation](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{BuiltinOptions_SubOptions, CreateSubOptions(fbb, activation).o};
        };
    return [activation](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{BuiltinOptions_MulOptions, CreateMulOptions(fbb, activation).o};
    };
}

struct BinaryCase {
    BuiltinOperator code;
    ActivationFunctionType activation;
    std::vector<int32_t> first, second;  // operand shapes; the output is the larger
    int threads;
};

int64_t elements(const std::vector<int32_t>& shape) {
    int64_t count = 1;
    for (int32_t d : shape) count *= d;
    return count;
}

TEST(FloatElementwiseOnThreads, BinaryOpsSplitAcrossThreadsExactly) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the tiles are not used here";
    const std::vector<BinaryCase> cases = {
        // One shape: a last tile of 38,400 - 9 x 4,096 = 1,536 elements.
        {BuiltinOperator_ADD, ActivationFunctionType_RELU6, {1, 40, 40, 24}, {1, 40, 40, 24}, 2},
        {BuiltinOperator_SUB, ActivationFunctionType_NONE, {1, 40, 40, 24}, {1, 40, 40, 24}, 2},
        {BuiltinOperator_MUL, ActivationFunctionType_RELU, {1, 40, 40, 24}, {1, 40, 40, 24}, 2},
        // A squeeze-and-excitation scaling: 128 pixels a tile.
        {BuiltinOperator_MUL, ActivationFunctionType_NONE, {1, 56, 56, 32}, {1, 1, 1, 32}, 2},
        // The per-channel operand first (the order matters for SUB), of
        // rank 1, and 200 channels: 12 whole vectors and 8 lanes, 20 pixels
        // a tile, on three threads.
        {BuiltinOperator_SUB, ActivationFunctionType_RELU6, {200}, {1, 20, 21, 200}, 3},
        {BuiltinOperator_ADD, ActivationFunctionType_RELU, {1, 7, 7, 1152}, {1, 1, 1152}, 2},
        // Fewer channels than a vector: XNNPACK's own broadcast.
        {BuiltinOperator_MUL, ActivationFunctionType_NONE, {1, 96, 96, 3}, {3}, 2},
    };
    std::mt19937 random(31);
    std::uniform_real_distribution<float> values(-8.0f, 8.0f);
    for (const BinaryCase& c : cases) {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        const std::vector<int32_t>& outShape = elements(c.first) >= elements(c.second) ? c.first : c.second;
        int x = b.addTensor({"x", DataType::Float32, c.first}), y = b.addTensor({"y", DataType::Float32, c.second});
        int z = b.addTensor({"z", DataType::Float32, outShape});
        b.addOp({c.code, {}, {x, y}, {z}, binaryOptions(c.code, c.activation)});
        b.setInputs({x, y});
        b.setOutputs({z});
        auto reference = testing::compileBuilt(b, {"reference"});
        auto cpu = testing::compileBuilt(b, {"cpu", "reference"}, c.threads);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(cpu) << cpu.errorMessage();
        EXPECT_EQ((*cpu)->acceleratorOf(0, 0), "cpu");
        std::vector<float> second(static_cast<size_t>(elements(c.second))), first(static_cast<size_t>(elements(c.first)));
        for (float& v : second) v = values(random);
        for (float& v : first) v = values(random);
        ASSERT_TRUE(testing::setValues<float>(**reference, y, second));
        ASSERT_TRUE(testing::setValues<float>(**cpu, y, second));
        const double worst = testing::largestDifference(**cpu, **reference, x, first, z, false);
        std::cout << "  " << EnumNameBuiltinOperator(c.code) << " of " << shapeText(c.first) << " and " << shapeText(c.second) << " on "
                  << c.threads << " threads, " << EnumNameActivationFunctionType(c.activation) << ": largest difference " << worst << "\n";
        EXPECT_EQ(worst, 0.0);
    }
}

TEST(FloatElementwiseOnThreads, MeanOverThePlaneSplitsIntoParts) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the parts are not used here";
    struct MeanCase {
        std::vector<int32_t> shape;
        bool keepDims;
        int threads;
        bool constant = false;  // every value 3.1
    };
    const std::vector<MeanCase> cases = {
        {{1, 112, 112, 32}, true, 2},   // EfficientNet's first squeeze-and-excitation
        {{2, 7, 7, 1152}, false, 2},    // its last, two images: 9 passes of 8 vectors
        {{1, 19, 19, 200}, true, 3},    // 120-121 pixels a part, 8 lanes past 12 vectors
        {{11, 1, 2, 3000}, true, 2},    // one pixel a part
        // 8,192 pixels a part: summed in float down the part, 3.1 averaged 3.09976.
        {{1, 128, 128, 20}, true, 2, true},
    };
    std::mt19937 random(37);
    std::uniform_real_distribution<float> values(-4.0f, 8.0f);
    for (const MeanCase& c : cases) {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        int input = b.addTensor({"x", DataType::Float32, c.shape});
        const std::vector<int32_t> axes{1, 2};
        int axesTensor = b.addConstant("axes", DataType::Int32, {2}, testing::bytesOf<int32_t>(axes));
        const std::vector<int32_t> outShape = c.keepDims ? std::vector<int32_t>{c.shape[0], 1, 1, c.shape[3]} : std::vector<int32_t>{c.shape[0], c.shape[3]};
        int output = b.addTensor({"y", DataType::Float32, outShape});
        const bool keepDims = c.keepDims;
        b.addOp({BuiltinOperator_MEAN, {}, {input, axesTensor}, {output}, [keepDims](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{BuiltinOptions_ReducerOptions, CreateReducerOptions(fbb, keepDims).o};
                 }});
        b.setInputs({input});
        b.setOutputs({output});
        std::vector<float> x(static_cast<size_t>(elements(c.shape)));
        for (float& v : x) v = c.constant ? 3.1f : values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(b, input, x, output, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        EXPECT_EQ(compared.cpu->acceleratorOf(0, 0), "cpu");
        std::cout << "  MEAN over the plane of " << shapeText(c.shape) << " on " << c.threads << " threads: largest difference "
                  << compared.worst << " (largest value " << compared.largest << ")\n";
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

}  // namespace
}  // namespace litestudio

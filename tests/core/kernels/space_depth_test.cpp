// The reference SPACE_TO_DEPTH and DEPTH_TO_SPACE against each output
// element worked out from its coordinates: a 4x4x2 image by hand (block 2),
// float32, uint8 and int16 over blocks 2, 3 and 4 with one image and two,
// the round trip back, and a uint8 pair whose output is quantized
// otherwise (each value requantized, not copied).

#include <iostream>
#include <numeric>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

// in [n][y][x][c] of `space` (NHWC) -> out [n][y / b][x / b][((y % b) b + x % b) C + c]
int64_t depthIndexOf(const std::vector<int32_t>& space, int block, int64_t n, int64_t y, int64_t x, int64_t c) {
    const int64_t depthH = space[1] / block, depthW = space[2] / block, depthC = int64_t(space[3]) * block * block;
    return ((n * depthH + y / block) * depthW + x / block) * depthC + ((y % block) * block + x % block) * space[3] + c;
}

ModelBuilder spaceDepthModel(schema::BuiltinOperator code, TensorSpec in, TensorSpec out, int block, int& input, int& output) {
    ModelBuilder b;
    b.addSubgraph();
    input = b.addTensor(std::move(in));
    output = b.addTensor(std::move(out));
    b.addOp({code, {}, {input}, {output}, [code, block](flatbuffers::FlatBufferBuilder& fbb) {
                 if (code == schema::BuiltinOperator_SPACE_TO_DEPTH)
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SpaceToDepthOptions, schema::CreateSpaceToDepthOptions(fbb, block).o};
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_DepthToSpaceOptions, schema::CreateDepthToSpaceOptions(fbb, block).o};
             }});
    b.setInputs({input});
    b.setOutputs({output});
    return b;
}

TEST(SpaceDepth, SmallCaseByHand) {
    // [1, 4, 4, 2] values 0..31 -> [1, 2, 2, 8]: output pixel (0, 0) takes
    // input pixels (0,0), (0,1), (1,0), (1,1), i.e. 0 1 2 3 8 9 10 11.
    int input = 0, output = 0;
    ModelBuilder b = spaceDepthModel(schema::BuiltinOperator_SPACE_TO_DEPTH, {"x", DataType::Float32, {1, 4, 4, 2}},
                                     {"y", DataType::Float32, {1, 2, 2, 8}}, 2, input, output);
    auto model = compileBuilt(b, {"reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    std::vector<float> x(32);
    std::iota(x.begin(), x.end(), 0.0f);
    ASSERT_TRUE(testing::setValues<float>(**model, input, x));
    ASSERT_TRUE((*model)->run(0));
    const std::vector<float> y = testing::tensorValues<float>(**model, output);
    ASSERT_EQ(y.size(), 32u);
    EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 8), (std::vector<float>{0, 1, 2, 3, 8, 9, 10, 11}));
    EXPECT_EQ(std::vector<float>(y.begin() + 8, y.begin() + 16), (std::vector<float>{4, 5, 6, 7, 12, 13, 14, 15}));
}

TEST(SpaceDepth, EveryElementWhereItsCoordinatesSay) {
    struct Case {
        DataType type;
        std::vector<int32_t> space;
        int block;
    };
    const std::vector<Case> cases = {
        {DataType::Float32, {1, 8, 6, 3}, 2},  {DataType::Float32, {2, 9, 6, 5}, 3}, {DataType::UInt8, {1, 8, 8, 32}, 4},
        {DataType::UInt8, {2, 6, 4, 1}, 2},    {DataType::Int16, {1, 6, 12, 7}, 3}, {DataType::Float32, {1, 4, 8, 4}, 2},
        {DataType::Float32, {1, 4, 4, 32}, 2},  // runs of 16-byte moves, and of the library's memcpy
    };
    for (const Case& c : cases) {
        const std::vector<int32_t> depth{c.space[0], c.space[1] / c.block, c.space[2] / c.block, c.space[3] * c.block * c.block};
        const size_t width = static_cast<size_t>(dataTypeBits(c.type) / 8);
        int64_t count = 1;
        for (int32_t d : c.space) count *= d;
        std::vector<uint8_t> spaceBytes(static_cast<size_t>(count) * width);
        for (size_t i = 0; i < spaceBytes.size(); ++i) spaceBytes[i] = static_cast<uint8_t>(i * 37 + i / 251);
        std::vector<uint8_t> depthBytes(spaceBytes.size());
        for (int64_t n = 0; n < c.space[0]; ++n)
            for (int64_t y = 0; y < c.space[1]; ++y)
                for (int64_t x = 0; x < c.space[2]; ++x)
                    for (int64_t ch = 0; ch < c.space[3]; ++ch) {
                        const int64_t from = ((n * c.space[1] + y) * c.space[2] + x) * c.space[3] + ch;
                        std::memcpy(&depthBytes[static_cast<size_t>(depthIndexOf(c.space, c.block, n, y, x, ch)) * width],
                                    &spaceBytes[static_cast<size_t>(from) * width], width);
                    }
        int wrong[2] = {0, 0};
        for (int toSpace = 0; toSpace < 2; ++toSpace) {
            int input = 0, output = 0;
            ModelBuilder b = toSpace ? spaceDepthModel(schema::BuiltinOperator_DEPTH_TO_SPACE, {"x", c.type, depth}, {"y", c.type, c.space},
                                                       c.block, input, output)
                                     : spaceDepthModel(schema::BuiltinOperator_SPACE_TO_DEPTH, {"x", c.type, c.space}, {"y", c.type, depth},
                                                       c.block, input, output);
            auto model = compileBuilt(b, {"reference"});
            ASSERT_TRUE(model) << model.errorMessage();
            ASSERT_TRUE((*model)->setInput(0, 0, toSpace ? depthBytes : spaceBytes));
            ASSERT_TRUE((*model)->run(0));
            const RuntimeTensor& got = (*model)->tensor(0, output);
            const std::vector<uint8_t>& want = toSpace ? spaceBytes : depthBytes;
            ASSERT_EQ(got.bytes, want.size());
            for (size_t i = 0; i < want.size(); i += width) wrong[toSpace] += std::memcmp(got.data + i, &want[i], width) != 0;
        }
        std::cout << "  " << dataTypeName(c.type) << " " << shapeText(c.space) << " block " << c.block << ": " << count
                  << " elements, SPACE_TO_DEPTH " << wrong[0] << " wrong, DEPTH_TO_SPACE back " << wrong[1] << " wrong\n";
        EXPECT_EQ(wrong[0], 0);
        EXPECT_EQ(wrong[1], 0);
    }
}

TEST(SpaceDepth, OtherOutputQuantizationRequantizes) {
    // uint8 scale 0.1 zero point 10 -> scale 0.2 zero point 0: stored 30
    // (2.0) becomes 10, 12 (0.2) becomes 1, 50 (4.0) 20. (TFLite requires
    // one quantization on both sides; the reference takes either.)
    int input = 0, output = 0;
    ModelBuilder b = spaceDepthModel(schema::BuiltinOperator_SPACE_TO_DEPTH, testing::quantized("x", DataType::UInt8, {1, 2, 2, 1}, 0.1f, 10),
                                     testing::quantized("y", DataType::UInt8, {1, 1, 1, 4}, 0.2f, 0), 2, input, output);
    auto model = compileBuilt(b, {"reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(testing::setValues<uint8_t>(**model, input, {30, 12, 10, 50}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<uint8_t>(**model, output), (std::vector<uint8_t>{10, 1, 0, 20}));
}

}  // namespace
}  // namespace litestudio

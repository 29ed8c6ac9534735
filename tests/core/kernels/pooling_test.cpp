// RESIZE_NEAREST_NEIGHBOR (core/kernels/reference/pooling.cpp), whose
// same-type path copies whole pixels: a 2x2 image with two channels grown
// to 3x3 with each sampling rule (TFLite's: floor(o * in / out); with
// align_corners round(o * (in - 1) / (out - 1)); with half-pixel centres
// floor((o + 0.5) * in / out)), in float32 and in int8.

#include <iostream>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

template <typename T>
std::vector<T> resizeNearest(DataType type, const std::vector<T>& image, bool alignCorners, bool halfPixel) {
    ModelBuilder builder;
    builder.addSubgraph();
    TensorSpec in{"x", type, {1, 2, 2, 2}}, out{"y", type, {1, 3, 3, 2}};
    if (type == DataType::Int8) in.scales = out.scales = {0.5f}, in.zeroPoints = out.zeroPoints = {-2};
    int input = builder.addTensor(in);
    int size = builder.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({3, 3}));
    int output = builder.addTensor(out);
    builder.addOp({schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, {}, {input, size}, {output},
                   [=](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeNearestNeighborOptions,
                                                           schema::CreateResizeNearestNeighborOptions(fbb, alignCorners, halfPixel).o};
                   }});
    builder.setInputs({input});
    builder.setOutputs({output});
    auto model = compileBuilt(builder);
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return {};
    EXPECT_TRUE(setValues<T>(**model, input, image));
    EXPECT_TRUE((*model)->run(0));
    return tensorValues<T>(**model, output);
}

// The 3x3 result of picking rows `rows` and columns `columns` of the 2x2
// image (pixel p has channels 10p+1, 10p+2).
template <typename T>
std::vector<T> picked(std::array<int, 3> rows, std::array<int, 3> columns) {
    std::vector<T> result;
    for (int y : rows)
        for (int x : columns)
            for (int c = 1; c <= 2; ++c) result.push_back(static_cast<T>(10 * (2 * y + x) + c));
    return result;
}

TEST(Pooling, ResizeNearestNeighborPicksPixelsByEachRule) {
    const std::vector<float> image = {1, 2, 11, 12, 21, 22, 31, 32};
    const std::vector<int8_t> bytes = {1, 2, 11, 12, 21, 22, 31, 32};
    EXPECT_EQ(resizeNearest<float>(DataType::Float32, image, false, false), (picked<float>({0, 0, 1}, {0, 0, 1})));
    EXPECT_EQ(resizeNearest<float>(DataType::Float32, image, true, false), (picked<float>({0, 1, 1}, {0, 1, 1})));
    EXPECT_EQ(resizeNearest<float>(DataType::Float32, image, false, true), (picked<float>({0, 1, 1}, {0, 1, 1})));
    EXPECT_EQ(resizeNearest<int8_t>(DataType::Int8, bytes, false, false), (picked<int8_t>({0, 0, 1}, {0, 0, 1})));
    EXPECT_EQ(resizeNearest<int8_t>(DataType::Int8, bytes, true, false), (picked<int8_t>({0, 1, 1}, {0, 1, 1})));
    std::cout << "  2x2x2 -> 3x3x2 with floor, align_corners and half-pixel rules, float32 and int8 checked\n";
}

}  // namespace
}  // namespace litestudio

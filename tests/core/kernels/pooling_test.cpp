// The fast paths of core/kernels/reference/pooling.cpp, against results
// worked out here: RESIZE_NEAREST_NEIGHBOR copying whole pixels, and whole
// rows where an output row repeats the one before (a 2x2 image
// with two channels grown to 3x3 by each sampling rule, TFLite's:
// floor(o * in / out); with align_corners round(o * (in - 1) / (out - 1));
// with half-pixel centres floor((o + 0.5) * in / out); float32 and int8) and
// int8 MAX_POOL_2D on stored bytes. Both tests pass on the general paths too.

#include <algorithm>
#include <array>
#include <iostream>
#include <limits>

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

TEST(Pooling, Int8MaxPoolingKeepsTheLargestStoredValue) {
    // 3x3 stride-2 SAME over a 5x6x3 int8 tensor (windows at the edges are
    // cut by the padding: one row above and below, one column on the right):
    // each output is the largest input byte of its window.
    const int height = 5, width = 6, channels = 3, outH = 3, outW = 3;
    ModelBuilder builder;
    builder.addSubgraph();
    TensorSpec in{"x", DataType::Int8, {1, height, width, channels}}, out{"y", DataType::Int8, {1, outH, outW, channels}};
    in.scales = out.scales = {0.25f};
    in.zeroPoints = out.zeroPoints = {7};
    int input = builder.addTensor(in);
    int output = builder.addTensor(out);
    builder.addOp({schema::BuiltinOperator_MAX_POOL_2D, {}, {input}, {output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Pool2DOptions,
                                                           schema::CreatePool2DOptions(fbb, schema::Padding_SAME, 2, 2, 3, 3).o};
                   }});
    builder.setInputs({input});
    builder.setOutputs({output});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    std::vector<int8_t> x(height * width * channels);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int8_t>((i * 89 + 17) % 256 - 128);
    ASSERT_TRUE(setValues<int8_t>(**model, input, x));
    ASSERT_TRUE((*model)->run(0));
    std::vector<int8_t> got = tensorValues<int8_t>(**model, output);
    int wrong = 0;
    for (int oy = 0; oy < outH; ++oy)
        for (int ox = 0; ox < outW; ++ox)
            for (int c = 0; c < channels; ++c) {
                int best = -128;
                for (int iy = std::max(0, oy * 2 - 1); iy <= std::min(height - 1, oy * 2 + 1); ++iy)
                    for (int ix = ox * 2; ix <= std::min(width - 1, ox * 2 + 2); ++ix)  // SAME: 1 column of padding, all after
                        best = std::max(best, int(x[static_cast<size_t>((iy * width + ix) * channels + c)]));
                wrong += got[static_cast<size_t>((oy * outW + ox) * channels + c)] != best;
            }
    std::cout << "  " << got.size() << " maxima checked, " << wrong << " wrong\n";
    EXPECT_EQ(wrong, 0);
}

TEST(Pooling, AWindowFarLargerThanTheImageVisitsOnlyItsInside) {
    // fuzz.model_run_cpu: a uint8 AVERAGE_POOL_2D with a 4000x4000 SAME
    // window over 35x35 pixels visited every tap of every window, inside
    // the image or not (2 x 10^10 steps: the fuzzer's 30 s limit). Each
    // window now covers only the taps inside; here every window holds the
    // whole image, so every average is (7 x 1224 + 9) / 1225, which rounds
    // to 7, and MAX_POOL_2D gives channel 0's 9 and channel 1's 7.
    // A window of 2^31 - 1 rows is the same, but its SAME padding,
    // (34 + 2^31 - 1 - 35) / 2, had overflowed int and come out 0 (each
    // window then began at its own row); a stride of 2^31 - 1 overflowed
    // the output size, ceil(35 / stride) = 1. Each on the reference and on
    // cpu (whose kernels take some of them).
    struct Case {
        int32_t filter, stride, outSize;
        bool wholeImage;  // else the 3x3 top-left corner, all 7s
    };
    const int32_t largest = std::numeric_limits<int32_t>::max();
    for (const Case& c : {Case{4000, 1, 35, true}, Case{largest, 1, 35, true}, Case{3, largest, 1, false}})
        for (auto code : {schema::BuiltinOperator_AVERAGE_POOL_2D, schema::BuiltinOperator_MAX_POOL_2D})
            for (const std::vector<std::string>& chain : {std::vector<std::string>{"reference"}, std::vector<std::string>{"cpu", "reference"}}) {
            ModelBuilder b;
            b.addSubgraph();
            int input = b.addTensor(testing::quantized("x", DataType::UInt8, {1, 35, 35, 2}, 0.1f, 0));
            int output = b.addTensor(testing::quantized("y", DataType::UInt8, {1, c.outSize, c.outSize, 2}, 0.1f, 0));
            b.addOp({code, {}, {input}, {output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                         return std::pair<uint8_t, uint32_t>{
                             schema::BuiltinOptions_Pool2DOptions,
                             schema::CreatePool2DOptions(fbb, schema::Padding_SAME, c.stride, c.stride, c.filter, c.filter).o};
                     }});
            b.setInputs({input});
            b.setOutputs({output});
            auto model = compileBuilt(b, chain);
            ASSERT_TRUE(model) << model.errorMessage();
            std::vector<uint8_t> x(35 * 35 * 2, 7);
            x[100] = 9;
            ASSERT_TRUE(setValues<uint8_t>(**model, input, x));
            ASSERT_TRUE((*model)->run(0));
            const std::vector<uint8_t> y = tensorValues<uint8_t>(**model, output);
            ASSERT_EQ(y.size(), static_cast<size_t>(c.outSize * c.outSize * 2));
            const uint8_t want = code == schema::BuiltinOperator_AVERAGE_POOL_2D || !c.wholeImage ? 7 : 9;
            const auto wrong = std::count_if(y.begin(), y.end(), [&](uint8_t v) { return v != want; });
            std::cout << "  " << (*model)->acceleratorOf(0, 0) << " " << schema::EnumNameBuiltinOperator(code) << " " << c.filter << "x" << c.filter << " at stride " << c.stride
                      << " over 35x35: output[0] " << int(y[0]) << ", " << wrong << " of " << y.size() << " differ from " << int(want)
                      << (want == 9 ? " (channel 1's max is 7)\n" : "\n");
            EXPECT_EQ(y[0], want);
            if (want == 9) EXPECT_EQ(wrong, static_cast<long>(y.size() / 2));
            else EXPECT_EQ(wrong, 0);
        }
}

}  // namespace
}  // namespace litestudio

// MediaPipe's custom ops on inputs small enough to work out by hand.

#include <cstring>
#include <iostream>

#include <gtest/gtest.h>

#include "core/format/model_builder.h"
#include "core/format/tflite_reader.h"
#include "core/runtime/compiled_model.h"

namespace litestudio {
namespace {

std::vector<uint8_t> ints(std::vector<int32_t> values) {
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

// padding, stride_w, stride_h, filter_w, filter_h, activation, 2 computed fields
std::vector<uint8_t> poolParams(int32_t padding) { return ints({padding, 2, 2, 2, 2, 0, 0, 0}); }

std::unique_ptr<CompiledModel> compile(const ModelBuilder& builder) {
    auto bytes = std::make_shared<std::vector<uint8_t>>(builder.finish());
    auto model = readTfliteModel("mediapipe.tflite", bytes, *bytes);
    EXPECT_TRUE(model) << model.errorMessage();
    auto compiled = CompiledModel::create(*model);
    EXPECT_TRUE(compiled) << compiled.errorMessage();
    return compiled ? std::move(*compiled) : nullptr;
}

std::vector<float> values(CompiledModel& model, int tensor) {
    const RuntimeTensor& t = model.tensor(0, tensor);
    return std::vector<float>(t.as<float>(), t.as<float>() + t.elementCount());
}

TEST(MediaPipeOps, MaxPoolWithArgmaxThenUnpoolRestoresTheMaxima) {
    // 4x4 single-channel input, 2x2 pooling with stride 2 (VALID).
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Float32, {1, 4, 4, 1}});
    int pooled = builder.addTensor({"pooled", DataType::Float32, {1, 2, 2, 1}});
    int argmax = builder.addTensor({"argmax", DataType::Float32, {1, 2, 2, 1}});
    int unpooled = builder.addTensor({"unpooled", DataType::Float32, {1, 4, 4, 1}});
    builder.addOp({32, "MaxPoolingWithArgmax2D", {input}, {pooled, argmax}, {}, {}, poolParams(2)});
    builder.addOp({32, "MaxUnpooling2D", {pooled, argmax}, {unpooled}, {}, {}, poolParams(2)});
    builder.setInputs({input});
    builder.setOutputs({pooled, argmax, unpooled});
    auto model = compile(builder);
    ASSERT_TRUE(model);
    std::vector<float> image = {1, 5, 2, 0,   //
                                3, 4, 8, 1,   //
                                0, 0, 6, 7,   //
                                9, 2, 3, 1};
    ASSERT_TRUE(model->setInput(0, input, {reinterpret_cast<uint8_t*>(image.data()), 64}));
    ASSERT_TRUE(model->run(0));
    EXPECT_EQ(values(*model, pooled), (std::vector<float>{5, 8, 9, 7}));
    EXPECT_EQ(values(*model, argmax), (std::vector<float>{1, 6, 12, 11}));  // y * 4 + x
    EXPECT_EQ(values(*model, unpooled), (std::vector<float>{0, 5, 0, 0, 0, 0, 8, 0, 0, 0, 0, 7, 9, 0, 0, 0}));
}

TEST(MediaPipeOps, TransposeConvolutionWithBias) {
    // One 2x2 input pixel plane, 2x2 kernel of ones, stride 2, SAME: every
    // input value spreads over its own 2x2 output block, plus the bias.
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Float32, {1, 2, 2, 1}});
    int weights = builder.addFloatConstant("weights", {1, 2, 2, 1}, {1, 1, 1, 1});
    int bias = builder.addFloatConstant("bias", {1}, {0.5f});
    int output = builder.addTensor({"output", DataType::Float32, {1, 4, 4, 1}});
    builder.addOp({32, "Convolution2DTransposeBias", {input, weights, bias}, {output}, {}, {}, ints({1, 2, 2})});
    builder.setInputs({input});
    builder.setOutputs({output});
    auto model = compile(builder);
    ASSERT_TRUE(model);
    std::vector<float> image = {1, 2, 3, 4};
    ASSERT_TRUE(model->setInput(0, input, {reinterpret_cast<uint8_t*>(image.data()), 16}));
    ASSERT_TRUE(model->run(0));
    EXPECT_EQ(values(*model, output), (std::vector<float>{1.5, 1.5, 2.5, 2.5, 1.5, 1.5, 2.5, 2.5,  //
                                                          3.5, 3.5, 4.5, 4.5, 3.5, 3.5, 4.5, 4.5}));
}

TEST(MediaPipeOps, ATransposeStrideMakingAnOutputPastInt32IsRefused) {
    // A fuzzed stride of 671,088,642 over 11 rows, SAME: 7.4 billion rows,
    // which the output's size overflowed int for (UBSan) before.
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Float32, {1, 11, 2, 1}});
    int weights = builder.addFloatConstant("weights", {1, 2, 2, 1}, {1, 1, 1, 1});
    int bias = builder.addFloatConstant("bias", {1}, {0.5f});
    int output = builder.addTensor({"output", DataType::Float32, {1, 22, 4, 1}});
    builder.addOp({32, "Convolution2DTransposeBias", {input, weights, bias}, {output}, {}, {}, ints({1, 2, 671088642})});
    builder.setInputs({input});
    builder.setOutputs({output});
    auto bytes = std::make_shared<std::vector<uint8_t>>(builder.finish());
    auto model = readTfliteModel("stride.tflite", bytes, *bytes);
    ASSERT_TRUE(model);
    auto compiled = CompiledModel::create(*model);
    ASSERT_FALSE(compiled);
    std::cout << "  " << compiled.errorMessage() << "\n";
    EXPECT_NE(compiled.errorMessage().find("makes an output of 7381975062 x 4, past the largest dimension"), std::string::npos)
        << compiled.errorMessage();
}

TEST(MediaPipeOps, APoolFilterNear2To31KeepsToTheImage) {
    // A 4x4 image, 2x2 stride, a filter 2 wide and 2,147,483,000 rows high,
    // SAME: every window covers all four rows, so both output rows hold
    // the maxima of columns 0-1 and 2-3. The window is cut to the image's
    // rows (it was walked row by row, its padding overflowing int).
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Float32, {1, 4, 4, 1}});
    int pooled = builder.addTensor({"pooled", DataType::Float32, {1, 2, 2, 1}});
    int argmax = builder.addTensor({"argmax", DataType::Float32, {1, 2, 2, 1}});
    builder.addOp({32, "MaxPoolingWithArgmax2D", {input}, {pooled, argmax}, {}, {}, ints({1, 2, 2, 2, 2147483000, 0, 0, 0})});
    builder.setInputs({input});
    builder.setOutputs({pooled, argmax});
    auto model = compile(builder);
    ASSERT_TRUE(model);
    std::vector<float> image = {1, 9, 2, 3,  //
                                4, 5, 6, 7,  //
                                8, 0, 1, 2,  //
                                3, 4, 5, 6};
    ASSERT_TRUE(model->setInput(0, input, {reinterpret_cast<uint8_t*>(image.data()), 64}));
    ASSERT_TRUE(model->run(0));
    std::cout << "  pooled " << values(*model, pooled)[0] << ", " << values(*model, pooled)[1] << "\n";
    EXPECT_EQ(values(*model, pooled), (std::vector<float>{9, 7, 9, 7}));
    EXPECT_EQ(values(*model, argmax), (std::vector<float>{1, 7, 1, 7}));
}

TEST(MediaPipeOps, ShortOptionsAreAClearError) {
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Float32, {1, 4, 4, 1}});
    int pooled = builder.addTensor({"pooled", DataType::Float32, {1, 2, 2, 1}});
    int argmax = builder.addTensor({"argmax", DataType::Float32, {1, 2, 2, 1}});
    builder.addOp({32, "MaxPoolingWithArgmax2D", {input}, {pooled, argmax}, {}, {}, ints({2, 2})});
    builder.setInputs({input});
    builder.setOutputs({pooled});
    auto bytes = std::make_shared<std::vector<uint8_t>>(builder.finish());
    auto model = readTfliteModel("short.tflite", bytes, *bytes);
    ASSERT_TRUE(model);
    auto compiled = CompiledModel::create(*model);
    ASSERT_FALSE(compiled);
    EXPECT_NE(compiled.errorMessage().find("custom options hold 8 bytes, expected at least 20"), std::string::npos)
        << compiled.errorMessage();
}

}  // namespace
}  // namespace litestudio

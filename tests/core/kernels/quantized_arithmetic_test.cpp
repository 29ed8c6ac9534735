// Quantized ops where LiteRT (through XNNPACK) uses fixed-point steps whose
// rounding differs from "compute in float, round once". The expected values
// are what LiteRT.js returns; the float-then-round answer is noted beside.

#include <algorithm>
#include <array>
#include <cmath>
#include <iostream>
#include <limits>

#include "core/format/builtin_op_names.h"
#include "core/kernels/reference/kernel_util.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

using testing::quantized;

// A fused activation's range in stored values never leaves the type, even
// where a hostile scale puts RELU6's 6 at -2170 (a fuzzed model: XNNPACK's
// convolution got that bound cast to uint8) or a zero point past 255.
TEST(QuantizedArithmetic, ActivationRangeStaysInsideTheStoredType) {
    struct Case {
        DataType type;
        float scale;
        int64_t zeroPoint;
        schema::ActivationFunctionType activation;
        int32_t low, high;
    };
    const Case cases[] = {
        {DataType::UInt8, 0.05f, 128, schema::ActivationFunctionType_RELU6, 128, 248},        // an ordinary one
        {DataType::UInt8, -0.0026f, 128, schema::ActivationFunctionType_RELU6, 128, 0},      // 6 -> -2180: empty
        {DataType::UInt8, 0.05f, 100000, schema::ActivationFunctionType_RELU, 255, 255},     // 0 -> 100000
        {DataType::Int8, 1e-30f, 0, schema::ActivationFunctionType_RELU_N1_TO_1, -128, 127}, // +-1 -> +-1e30
        {DataType::Int8, 0.0f, 3, schema::ActivationFunctionType_RELU6, -128, 127},         // 0 / 0 = NaN, 6 / 0 = inf
    };
    for (const Case& c : cases) {
        Quantization quantization;
        quantization.scales = {c.scale};
        quantization.zeroPoints = {c.zeroPoint};
        RuntimeTensor output;
        output.type = c.type;
        output.shape = {1};
        output.quantization = &quantization;
        const reference::QuantizedRange range = reference::quantizedActivationRange(output, c.activation);
        std::cout << "  " << dataTypeName(c.type) << " scale " << c.scale << " zero point " << c.zeroPoint << ": [" << range.low
                  << ", " << range.high << "], expected [" << c.low << ", " << c.high << "]\n";
        EXPECT_EQ(range.low, c.low);
        EXPECT_EQ(range.high, c.high);
    }
}

// The reference 8-bit convolution, transposed convolution (a 1x1 one at
// stride 1 here) and fully connected layer sum in int32 as the hardware
// kernels do, wrapping: a bias near INT32_MIN plus
// negative products overflowed a signed int (UB; a fuzzed model). Here the
// wrapped sum is a large positive number, so every output is the top of
// the range; a saturating sum would give the bottom.
// A TRANSPOSE_CONV whose weights do not match its input's channels, its
// output's channels or images, or whose bias is short, is a clear error at
// compile time: the reference's loops index the weights by the input's and
// output's channels, and a fuzzed uint8 model whose filter held fewer input
// channels than its input had them read far past the weights (an ASan SEGV
// in the CI's fuzz run). Float and uint8, on the reference and the cpu
// accelerator's chain.
TEST(QuantizedArithmetic, TransposeConvolutionOfMismatchedShapesIsAClearError) {
    struct Mismatch {
        const char* what;
        std::vector<int32_t> input, filter, output;
        int biasValues;
        const char* message;
    };
    const std::vector<Mismatch> cases = {
        {"filter of 8 input channels over 16", {1, 2, 2, 16}, {4, 1, 1, 8}, {1, 2, 2, 4}, 4, "expects weights [4, h, w, 16]"},
        {"filter of 6 outputs for 4", {1, 2, 2, 16}, {6, 1, 1, 16}, {1, 2, 2, 4}, 4, "expects weights [4, h, w, 16]"},
        {"two output images from one", {1, 2, 2, 16}, {4, 1, 1, 16}, {2, 2, 2, 4}, 4, "expects weights [4, h, w, 16]"},
        {"bias of 3 values for 4 outputs", {1, 2, 2, 16}, {4, 1, 1, 16}, {1, 2, 2, 4}, 3, "bias b has 3 values, expected 4"},
    };
    for (const DataType type : {DataType::Float32, DataType::UInt8})
        for (const Mismatch& c : cases) {
            const bool quantizedModel = type == DataType::UInt8;
            ModelBuilder builder;
            builder.addSubgraph();
            const int x = builder.addTensor(quantizedModel ? quantized("x", type, c.input, 0.05f, 120) : TensorSpec{"x", type, c.input});
            int64_t weights = 1;
            for (int32_t d : c.filter) weights *= d;
            TensorSpec filter = quantizedModel ? quantized("w", type, c.filter, 0.01f, 0) : TensorSpec{"w", type, c.filter};
            filter.data.assign(static_cast<size_t>(weights) * (quantizedModel ? 1 : sizeof(float)), 1);
            const int w = builder.addTensor(filter);
            TensorSpec bias{"b", quantizedModel ? DataType::Int32 : DataType::Float32, {c.biasValues}};
            bias.data.assign(static_cast<size_t>(c.biasValues) * 4, 0);
            const int b = builder.addTensor(bias);
            const int y = builder.addTensor(quantizedModel ? quantized("y", type, c.output, 0.1f, 0) : TensorSpec{"y", type, c.output});
            const int shape = builder.addConstant("shape", DataType::Int32, {4}, testing::bytesOf<int32_t>(c.output));
            builder.addOp({schema::BuiltinOperator_TRANSPOSE_CONV, {}, {shape, w, x, b}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                               return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_TransposeConvOptions,
                                                                   schema::CreateTransposeConvOptions(fbb, schema::Padding_VALID, 1, 1).o};
                           }});
            builder.setInputs({x});
            builder.setOutputs({y});
            for (const std::vector<std::string>& chain : {std::vector<std::string>{"reference"}, std::vector<std::string>{"cpu", "reference"}}) {
                auto model = compileBuilt(builder, chain);
                std::cout << "  " << (quantizedModel ? "uint8" : "float32") << ", " << c.what << ", on " << chain.front() << ": "
                          << (model ? std::string("compiled") : model.errorMessage()) << "\n";
                ASSERT_FALSE(model);
                EXPECT_NE(model.errorMessage().find(c.message), std::string::npos) << model.errorMessage();
            }
        }
}

TEST(QuantizedArithmetic, ReferenceSumsWrapAsInt32) {
    for (int builtin : {int(schema::BuiltinOperator_CONV_2D), int(schema::BuiltinOperator_TRANSPOSE_CONV),
                        int(schema::BuiltinOperator_FULLY_CONNECTED)}) {
        const bool convolution = builtin != schema::BuiltinOperator_FULLY_CONNECTED;
        ModelBuilder builder;
        builder.addSubgraph();
        const std::vector<int32_t> inputShape = convolution ? std::vector<int32_t>{1, 2, 2, 16} : std::vector<int32_t>{4, 16};
        const int x = builder.addTensor(quantized("x", DataType::UInt8, inputShape, 0.05f, 120));
        TensorSpec filter = quantized("w", DataType::UInt8, convolution ? std::vector<int32_t>{4, 1, 1, 16} : std::vector<int32_t>{4, 16}, 0.01f, 0);
        filter.data.assign(64, 255);
        const int w = builder.addTensor(filter);
        TensorSpec bias{"b", DataType::Int32, {4}};
        bias.data = testing::bytesOf(std::vector<int32_t>(4, std::numeric_limits<int32_t>::min() + 1000));
        const int b = builder.addTensor(bias);
        const int y = builder.addTensor(quantized("y", DataType::UInt8, convolution ? std::vector<int32_t>{1, 2, 2, 4} : std::vector<int32_t>{4, 4}, 0.1f, 0));
        std::vector<int> inputs{x, w, b};
        if (builtin == schema::BuiltinOperator_TRANSPOSE_CONV)
            inputs = {builder.addConstant("shape", DataType::Int32, {4}, testing::bytesOf<int32_t>({1, 2, 2, 4})), w, x, b};
        builder.addOp({builtin, {}, inputs, {y}, [builtin](flatbuffers::FlatBufferBuilder& fbb) {
                           if (builtin == schema::BuiltinOperator_CONV_2D)
                               return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                                   schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1).o};
                           if (builtin == schema::BuiltinOperator_TRANSPOSE_CONV)
                               return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_TransposeConvOptions,
                                                                   schema::CreateTransposeConvOptions(fbb, schema::Padding_VALID, 1, 1).o};
                           return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_FullyConnectedOptions,
                                                               schema::CreateFullyConnectedOptions(fbb).o};
                       }});
        builder.setInputs({x});
        builder.setOutputs({y});
        auto model = compileBuilt(builder, {"reference"});
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE(setValues<uint8_t>(**model, x, std::vector<uint8_t>(64, 0)));  // each product (0 - 120) x 255
        ASSERT_TRUE((*model)->run(0));
        const auto got = tensorValues<uint8_t>(**model, y);
        std::cout << "  " << builtinOpName(builtin) << ": bias INT32_MIN + 1000, sum -489600: outputs "
                  << int(got.front()) << ".." << int(got.back()) << ", expected 255 (wrapped)\n";
        EXPECT_EQ(got, std::vector<uint8_t>(16, 255));
    }
}

TEST(QuantizedArithmetic, Int8AddRoundsAsXnnpackFixedPointDoes) {
    // MoveNet's block_5_add: a (0.045552, -14) + b (0.043232, 7) -> (0.068864, 1).
    // Each pair lands within 1e-6 of a half step; float-then-round goes the
    // other way for every one of them (-123, -53, 17, 53, -51).
    ModelBuilder builder;
    builder.addSubgraph();
    int a = builder.addTensor(quantized("a", DataType::Int8, {5}, 0.045552f, -14));
    int b = builder.addTensor(quantized("b", DataType::Int8, {5}, 0.043232f, 7));
    int out = builder.addTensor(quantized("out", DataType::Int8, {5}, 0.068864f, 1));
    builder.addOp({schema::BuiltinOperator_ADD, {}, {a, b}, {out}});
    builder.setInputs({a, b});
    builder.setOutputs({out});
    for (const char* accelerator : {"reference", "cpu"}) {
        auto model = compileBuilt(builder, {accelerator, "reference"});
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE(setValues<int8_t>(**model, a, {-102, -74, -46, -32, 4}));
        ASSERT_TRUE(setValues<int8_t>(**model, b, {-97, -15, 67, 108, -94}));
        ASSERT_TRUE((*model)->run(0));
        EXPECT_EQ(tensorValues<int8_t>(**model, out), (std::vector<int8_t>{-122, -52, 18, 52, -50})) << accelerator;
    }
}

TEST(QuantizedArithmetic, Uint8SubtractUsesTheNegatedMultiplier) {
    // (a - 128) * 0.5 - (b - 128) * 0.25 in units of 0.5, zero point 128.
    ModelBuilder builder;
    builder.addSubgraph();
    int a = builder.addTensor(quantized("a", DataType::UInt8, {4}, 0.5f, 128));
    int b = builder.addTensor(quantized("b", DataType::UInt8, {4}, 0.25f, 128));
    int out = builder.addTensor(quantized("out", DataType::UInt8, {4}, 0.5f, 128));
    builder.addOp({schema::BuiltinOperator_SUB, {}, {a, b}, {out}});
    builder.setInputs({a, b});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<uint8_t>(**model, a, {128, 130, 0, 255}));
    ASSERT_TRUE(setValues<uint8_t>(**model, b, {129, 128, 255, 0}));
    ASSERT_TRUE((*model)->run(0));
    // 0 - 0.25 = -0.25 -> -0.5 steps rounds half up to 0; 1; -64 - 31.75 clamps to 0; 63.5 + 32 -> 191 + 128 clamps to 255.
    EXPECT_EQ(tensorValues<uint8_t>(**model, out), (std::vector<uint8_t>{128, 130, 0, 255}));
}

TEST(QuantizedArithmetic, Int8ResizeBilinearBlendsWithElevenBitWeights) {
    // 1x1x2x1 -> 1x1x5x1 with half-pixel centres: sample positions 0 (clamped),
    // 0.1, 0.5, 0.9, 1 (clamped); weights lrint(p * 2048) = 205, 1024, 1843.
    // -128 + 25 * 205 / 2048 = -125.50 -> -125 (float-then-round: -126);
    // -128 + 25 / 2 = -115.5 rounds half up to -115 (float: -116).
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor(quantized("input", DataType::Int8, {1, 1, 2, 1}, 0.1f, 0));
    int size = builder.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({1, 5}));
    int out = builder.addTensor(quantized("out", DataType::Int8, {1, 1, 5, 1}, 0.1f, 0));
    builder.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {input, size}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions,
                                            schema::CreateResizeBilinearOptions(fbb, false, true).o};
    }});
    builder.setInputs({input});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<int8_t>(**model, input, {-128, -103}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(tensorValues<int8_t>(**model, out), (std::vector<int8_t>{-128, -125, -115, -106, -103}));
}

TEST(QuantizedArithmetic, Uint8ResizeBilinearInTwoDimensionsMatchesTheCornerFormula) {
    // 3x4x5 -> 7x9x5, align_corners and half-pixel centres: every output is
    // the eleven-bit blend of its four corners, horizontal then vertical,
    // rounded once (XNNPACK's formula, written out here per output).
    for (bool alignCorners : {true, false}) {
        const int inH = 3, inW = 4, channels = 5, outH = 7, outW = 9;
        ModelBuilder builder;
        builder.addSubgraph();
        int input = builder.addTensor(quantized("input", DataType::UInt8, {1, inH, inW, channels}, 0.2f, 30));
        int size = builder.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({outH, outW}));
        int out = builder.addTensor(quantized("out", DataType::UInt8, {1, outH, outW, channels}, 0.2f, 30));
        builder.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {input, size}, {out}, [alignCorners](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions,
                                                schema::CreateResizeBilinearOptions(fbb, alignCorners, !alignCorners).o};
        }});
        builder.setInputs({input});
        builder.setOutputs({out});
        auto model = compileBuilt(builder);
        ASSERT_TRUE(model) << model.errorMessage();
        std::vector<uint8_t> x(inH * inW * channels);
        for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>((i * 97 + 13) % 256);
        ASSERT_TRUE(setValues<uint8_t>(**model, input, x));
        ASSERT_TRUE((*model)->run(0));
        std::vector<uint8_t> got = tensorValues<uint8_t>(**model, out);
        auto sample = [&](int o, int in, int outSize) {
            float scale = alignCorners ? float(in - 1) / float(outSize - 1) : float(in) / float(outSize);
            float position = float(o) * scale;
            if (!alignCorners) position = std::min(std::max(position + 0.5f * scale - 0.5f, 0.0f), float(in - 1));
            int low = std::min(int(position), in - 1);
            return std::array<int, 3>{low, std::min(low + 1, in - 1), int(std::lrintf((position - float(low)) * 2048.0f))};
        };
        int differing = 0;
        for (int oy = 0; oy < outH; ++oy)
            for (int ox = 0; ox < outW; ++ox)
                for (int c = 0; c < channels; ++c) {
                    auto v = sample(oy, inH, outH), h = sample(ox, inW, outW);
                    auto at = [&](int y, int xx) { return int32_t(x[(y * inW + xx) * channels + c]); };
                    int32_t top = at(v[0], h[0]) * 2048 + (at(v[0], h[1]) - at(v[0], h[0])) * h[2];
                    int32_t bottom = at(v[1], h[0]) * 2048 + (at(v[1], h[1]) - at(v[1], h[0])) * h[2];
                    int32_t want = (top * 2048 + (bottom - top) * v[2] + (1 << 21)) >> 22;
                    differing += got[(oy * outW + ox) * channels + c] != want;
                }
        std::cout << "  align_corners " << alignCorners << ": " << got.size() << " outputs, " << differing << " differ\n";
        EXPECT_EQ(differing, 0);
    }
}

TEST(QuantizedArithmetic, ArgMaxComparesStoredValuesAndKeepsTheFirstTie) {
    // uint8 over the last axis (a tie at 200: the first wins), int8 over the
    // middle axis (negative values), float32 with int64 output.
    {
        ModelBuilder builder;
        builder.addSubgraph();
        int input = builder.addTensor(quantized("x", DataType::UInt8, {2, 4}, 0.5f, 10));
        int axis = builder.addConstant("axis", DataType::Int32, {}, testing::bytesOf<int32_t>({-1}));
        int out = builder.addTensor({"y", DataType::Int32, {2}});
        builder.addOp({schema::BuiltinOperator_ARG_MAX, {}, {input, axis}, {out}});
        builder.setInputs({input});
        builder.setOutputs({out});
        auto model = compileBuilt(builder);
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE(setValues<uint8_t>(**model, input, {5, 200, 7, 200, 0, 1, 255, 3}));
        ASSERT_TRUE((*model)->run(0));
        EXPECT_EQ(tensorValues<int32_t>(**model, out), (std::vector<int32_t>{1, 2}));
    }
    {
        ModelBuilder builder;
        builder.addSubgraph();
        int input = builder.addTensor(quantized("x", DataType::Int8, {2, 3, 2}, 0.1f, -3));
        int axis = builder.addConstant("axis", DataType::Int32, {}, testing::bytesOf<int32_t>({1}));
        int out = builder.addTensor({"y", DataType::Int32, {2, 2}});
        builder.addOp({schema::BuiltinOperator_ARG_MAX, {}, {input, axis}, {out}});
        builder.setInputs({input});
        builder.setOutputs({out});
        auto model = compileBuilt(builder);
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE(setValues<int8_t>(**model, input, {-128, -5, -100, -6, -99, -7, 1, 2, 3, -1, 3, 0}));
        ASSERT_TRUE((*model)->run(0));
        EXPECT_EQ(tensorValues<int32_t>(**model, out), (std::vector<int32_t>{2, 0, 1, 0}));
    }
    {
        ModelBuilder builder;
        builder.addSubgraph();
        int input = builder.addTensor({"x", DataType::Float32, {3}});
        int axis = builder.addConstant("axis", DataType::Int32, {}, testing::bytesOf<int32_t>({0}));
        int out = builder.addTensor({"y", DataType::Int64, {}});
        builder.addOp({schema::BuiltinOperator_ARG_MAX, {}, {input, axis}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ArgMaxOptions,
                                                schema::CreateArgMaxOptions(fbb, schema::TensorType_INT64).o};
        }});
        builder.setInputs({input});
        builder.setOutputs({out});
        auto model = compileBuilt(builder);
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE(setValues<float>(**model, input, {-3.0f, -0.5f, -2.0f}));
        ASSERT_TRUE((*model)->run(0));
        EXPECT_EQ(tensorValues<int64_t>(**model, out), (std::vector<int64_t>{1}));
    }
}

TEST(QuantizedArithmetic, Int8MeanOverOneRunOfAxesMatchesTheGeneralPath) {
    // MEAN of an int8 [7,1,9,20] tensor over axes {0,1,2} (one contiguous
    // run: integer sums, scaled once) and over {0,2} (not contiguous: the
    // general path's double sums of dequantized values) must agree bit for bit.
    std::vector<int8_t> x(7 * 9 * 20);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int8_t>((i * 37 + 11) % 256 - 128);
    std::vector<std::vector<int8_t>> results;
    for (std::vector<int32_t> axes : {std::vector<int32_t>{0, 1, 2}, std::vector<int32_t>{0, 2}}) {
        ModelBuilder builder;
        builder.addSubgraph();
        int input = builder.addTensor(quantized("x", DataType::Int8, {7, 1, 9, 20}, 0.037f, -5));
        int axisTensor = builder.addConstant("axes", DataType::Int32, {static_cast<int32_t>(axes.size())}, testing::bytesOf(axes));
        int out = builder.addTensor(quantized("y", DataType::Int8, axes.size() == 3 ? std::vector<int32_t>{20} : std::vector<int32_t>{1, 20},
                                              0.011f, 3));
        builder.addOp({schema::BuiltinOperator_MEAN, {}, {input, axisTensor}, {out}});
        builder.setInputs({input});
        builder.setOutputs({out});
        auto model = compileBuilt(builder);
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE(setValues<int8_t>(**model, input, x));
        ASSERT_TRUE((*model)->run(0));
        results.push_back(tensorValues<int8_t>(**model, out));
    }
    std::cout << "  MEAN over {0,1,2} and over {0,2}: " << results[0].size() << " outputs, first " << int(results[0][0]) << " and "
              << int(results[1][0]) << "\n";
    EXPECT_EQ(results[0], results[1]);
}

TEST(QuantizedArithmetic, ConcatenationRequantizesEveryInt8Value) {
    // An int8 input whose scale differs from the output's (every one of the
    // 256 values) beside one that matches it (copied raw). Each requantized
    // value is the value view's: round(float((q + 3) * 0.1) / 0.07) + 5, saturated.
    ModelBuilder builder;
    builder.addSubgraph();
    int scaled = builder.addTensor(quantized("scaled", DataType::Int8, {1, 256}, 0.1f, -3));
    int same = builder.addTensor(quantized("same", DataType::Int8, {1, 4}, 0.07f, 5));
    int out = builder.addTensor(quantized("out", DataType::Int8, {1, 260}, 0.07f, 5));
    builder.addOp({schema::BuiltinOperator_CONCATENATION, {}, {scaled, same}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions, schema::CreateConcatenationOptions(fbb, 1).o};
    }});
    builder.setInputs({scaled, same});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    std::vector<int8_t> all(256);
    for (int i = 0; i < 256; ++i) all[static_cast<size_t>(i)] = static_cast<int8_t>(i - 128);
    ASSERT_TRUE(setValues<int8_t>(**model, scaled, all));
    ASSERT_TRUE(setValues<int8_t>(**model, same, {-128, -1, 0, 127}));
    ASSERT_TRUE((*model)->run(0));
    std::vector<int8_t> got = tensorValues<int8_t>(**model, out);
    int wrong = 0;
    for (int i = 0; i < 256; ++i) {
        double value = (double(all[static_cast<size_t>(i)]) + 3.0) * double(0.1f);
        double want = std::clamp(std::nearbyint(static_cast<float>(value) * (1.0f / 0.07f)) + 5.0, -128.0, 127.0);
        wrong += got[static_cast<size_t>(i)] != static_cast<int8_t>(want);
    }
    std::cout << "  256 requantized values, " << wrong << " wrong; e.g. -128 -> " << int(got[0]) << ", 127 -> " << int(got[255]) << "\n";
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(std::vector<int8_t>(got.begin() + 256, got.end()), (std::vector<int8_t>{-128, -1, 0, 127}));
}

}  // namespace
}  // namespace litestudio

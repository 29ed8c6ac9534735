// XNNPACK's AVERAGE_POOL_2D and LOGISTIC against the reference kernels: a
// SAME-padded 3x3/2 average (the padding is left out of each window's
// count, as in TFLite), a VALID 2x2/2 one with RELU6, and a global average
// (MediaPipe's squeeze-and-excitation blocks); uint8/int8 MAX_POOL_2D bit
// for bit; a window far larger than the image (on the reference's loop,
// not XNNPACK's indirection buffer); MEAN over height and width
// as XNNPACK's global average pooling (other axes stay on the reference);
// LOGISTIC over large and
// small inputs (within 1e-6); SQRT, ABS, NEG, FLOOR, CEIL and SQUARE with
// no difference at all; ELU over [-20, 20] (within 1e-6: exp(x) - 1
// near 0 and -1 far below); SOFTMAX over rows of 335 with large and small
// logits (within 1e-6); SQUARED_DIFFERENCE broadcasting a column (within
// 1e-6 relative). Each case checks the cpu accelerator took it.

#include <algorithm>
#include <cmath>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

// Runs a one-op model on cpu and on the reference with the same input;
// returns the largest difference (after checking cpu took the op).
double cpuAgainstReference(const litestudio::ModelBuilder& b, int input, int output, const std::vector<float>& x) {
    testing::CpuComparison compared = testing::compareCpuWithReference(b, input, x, output);
    EXPECT_TRUE(compared.error.empty()) << compared.error;
    if (!compared.error.empty()) return INFINITY;
    EXPECT_EQ(compared.cpu->acceleratorOf(0, 0), "cpu");
    return compared.worst;
}

// A float model of one unary op over `shape`, input and output ids set.
litestudio::ModelBuilder unaryModel(schema::BuiltinOperator code, std::vector<int32_t> shape, int& input, int& output,
                                    litestudio::OptionsWriter options = nullptr) {
    litestudio::ModelBuilder b;
    b.addSubgraph();
    input = b.addTensor({"x", DataType::Float32, shape});
    output = b.addTensor({"y", DataType::Float32, shape});
    b.addOp({code, {}, {input}, {output}, std::move(options)});
    b.setInputs({input});
    b.setOutputs({output});
    return b;
}

// A model of one pooling op from `in` to `out` (specs of 4-D tensors).
litestudio::ModelBuilder poolModel(schema::BuiltinOperator code, TensorSpec in, TensorSpec out, int filter, int stride, schema::Padding padding,
                                   schema::ActivationFunctionType activation, int& input, int& output) {
    litestudio::ModelBuilder b;
    b.addSubgraph();
    input = b.addTensor(std::move(in));
    output = b.addTensor(std::move(out));
    b.addOp({code, {}, {input}, {output}, [=](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Pool2DOptions,
                                                     schema::CreatePool2DOptions(fbb, padding, stride, stride, filter, filter, activation).o};
             }});
    b.setInputs({input});
    b.setOutputs({output});
    return b;
}

TEST(XnnpackElementwise, AveragePoolingMatchesTheReference) {
    struct PoolCase {
        int height, width, channels, filter, stride;
        schema::Padding padding;
        schema::ActivationFunctionType activation;
    };
    const std::vector<PoolCase> cases = {
        {7, 9, 12, 3, 2, schema::Padding_SAME, schema::ActivationFunctionType_NONE},
        {8, 6, 5, 2, 2, schema::Padding_VALID, schema::ActivationFunctionType_RELU6},
        {16, 16, 40, 16, 16, schema::Padding_VALID, schema::ActivationFunctionType_NONE},
    };
    std::mt19937 random(31);
    std::uniform_real_distribution<float> values(-4.0f, 8.0f);
    for (const PoolCase& c : cases) {
        auto pooled = [&](int in) { return c.padding == schema::Padding_SAME ? (in + c.stride - 1) / c.stride : (in - c.filter) / c.stride + 1; };
        int input = 0, output = 0;
        litestudio::ModelBuilder b = poolModel(schema::BuiltinOperator_AVERAGE_POOL_2D, {"x", DataType::Float32, {1, c.height, c.width, c.channels}},
                                               {"y", DataType::Float32, {1, pooled(c.height), pooled(c.width), c.channels}}, c.filter, c.stride,
                                               c.padding, c.activation, input, output);
        std::vector<float> x(static_cast<size_t>(c.height * c.width * c.channels));
        for (float& v : x) v = values(random);
        double worst = cpuAgainstReference(b, input, output, x);
        std::cout << "  AVERAGE_POOL_2D " << c.filter << "x" << c.filter << "/" << c.stride
                  << (c.padding == schema::Padding_SAME ? " SAME" : " VALID") << " on " << c.height << "x" << c.width << "x" << c.channels
                  << ": largest difference " << worst << "\n";
        EXPECT_LE(worst, 1e-5f);
    }
}

TEST(XnnpackElementwise, EightBitMaxPoolingMatchesTheReferenceBitForBit) {
    // uint8/int8 MAX_POOL_2D of one quantization in and out on XNNPACK's
    // u8/s8 operators: Inception's 3x3 stride-1 SAME pool, a 2x2 stride-2
    // VALID one, and RELU6 (whose stored range the output is clamped to).
    struct PoolCase {
        DataType type;
        int height, width, channels, filter, stride;
        schema::Padding padding;
        schema::ActivationFunctionType activation;
    };
    const std::vector<PoolCase> cases = {
        {DataType::UInt8, 28, 28, 192, 3, 1, schema::Padding_SAME, schema::ActivationFunctionType_NONE},
        {DataType::Int8, 9, 8, 33, 2, 2, schema::Padding_VALID, schema::ActivationFunctionType_NONE},
        {DataType::UInt8, 7, 9, 20, 3, 2, schema::Padding_SAME, schema::ActivationFunctionType_RELU6},
        {DataType::Int8, 7, 9, 20, 3, 1, schema::Padding_SAME, schema::ActivationFunctionType_RELU6},
    };
    std::mt19937 random(37);
    for (const PoolCase& c : cases) {
        auto pooled = [&](int in) { return c.padding == schema::Padding_SAME ? (in + c.stride - 1) / c.stride : (in - c.filter) / c.stride + 1; };
        const int64_t zeroPoint = c.type == DataType::Int8 ? -20 : 100;
        int input = 0, output = 0;
        litestudio::ModelBuilder b =
            poolModel(schema::BuiltinOperator_MAX_POOL_2D, testing::quantized("x", c.type, {1, c.height, c.width, c.channels}, 0.03f, zeroPoint),
                      testing::quantized("y", c.type, {1, pooled(c.height), pooled(c.width), c.channels}, 0.03f, zeroPoint), c.filter, c.stride,
                      c.padding, c.activation, input, output);
        std::vector<uint8_t> bytes(static_cast<size_t>(c.height * c.width * c.channels));
        for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(b, input, bytes, output);
        ASSERT_TRUE(result.error.empty()) << result.error;
        EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu");
        std::cout << "  " << dataTypeName(c.type) << " MAX_POOL_2D " << c.filter << "x" << c.filter << "/" << c.stride
                  << (c.padding == schema::Padding_SAME ? " SAME" : " VALID")
                  << (c.activation == schema::ActivationFunctionType_RELU6 ? " RELU6" : "") << " on " << c.height << "x" << c.width << "x"
                  << c.channels << ": " << result.elements << " outputs, " << result.differing << " differ\n";
        EXPECT_EQ(result.differing, 0);
    }
}

TEST(XnnpackElementwise, AWindowFarLargerThanTheImagePoolsWithoutTheIndirectionBuffer) {
    // fuzz.model_run_cpu: windows far larger than the image ran on XNNPACK,
    // which points at every tap of each output row's windows. A 4000x4000
    // window over 35x35 pixels took 4.5 GB of pointers and 9 minutes here; a
    // 46000x46000 one asks for 590 GB, which XNNPACK's setup cannot get (and
    // the fuzzer stopped at 22 GB). Such a pool runs the reference's loop,
    // which visits only the taps inside the image. Float and uint8, each
    // against the reference.
    for (auto code : {schema::BuiltinOperator_MAX_POOL_2D, schema::BuiltinOperator_AVERAGE_POOL_2D}) {
        int input = 0, output = 0;
        litestudio::ModelBuilder floats = poolModel(code, {"x", DataType::Float32, {1, 35, 35, 3}}, {"y", DataType::Float32, {1, 35, 35, 3}},
                                                    46000, 1, schema::Padding_SAME, schema::ActivationFunctionType_NONE, input, output);
        std::vector<float> x(35 * 35 * 3);
        for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) - 50.0f;
        double worst = cpuAgainstReference(floats, input, output, x);
        std::cout << "  float " << schema::EnumNameBuiltinOperator(code) << " 46000x46000 over 35x35: largest difference " << worst << "\n";
        EXPECT_LE(worst, 1e-4);
    }
    int input = 0, output = 0;
    litestudio::ModelBuilder bytes =
        poolModel(schema::BuiltinOperator_MAX_POOL_2D, testing::quantized("x", DataType::UInt8, {1, 35, 35, 3}, 0.03f, 100),
                  testing::quantized("y", DataType::UInt8, {1, 35, 35, 3}, 0.03f, 100), 46000, 1, schema::Padding_SAME,
                  schema::ActivationFunctionType_NONE, input, output);
    std::vector<uint8_t> x(35 * 35 * 3);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>((i * 37) % 251);
    testing::CpuByteComparison result = testing::compareCpuBytesWithReference(bytes, input, x, output);
    ASSERT_TRUE(result.error.empty()) << result.error;
    EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu");
    std::cout << "  uint8 MAX_POOL_2D 46000x46000 over 35x35: " << result.elements << " outputs, " << result.differing << " differ\n";
    EXPECT_EQ(result.differing, 0);
}

TEST(XnnpackElementwise, MeanOverThePlaneRunsAsGlobalAveragePooling) {
    struct MeanCase {
        int batch, height, width, channels;
        std::vector<int32_t> axes;
        bool keepDims;
        bool onCpu;  // axes 1 and 2 only
    };
    const std::vector<MeanCase> cases = {
        {1, 72, 128, 16, {1, 2}, true, true},  // selfie segmentation's squeeze-and-excitation
        {2, 5, 7, 33, {-2, 1}, false, true},
        {1, 6, 4, 8, {2}, true, false},
        {1, 6, 4, 8, {1, 2, 3}, true, false},
    };
    std::mt19937 random(37);
    std::uniform_real_distribution<float> values(-4.0f, 8.0f);
    for (const MeanCase& c : cases) {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        int input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.channels}});
        int axes = b.addConstant("axes", DataType::Int32, {static_cast<int32_t>(c.axes.size())}, testing::bytesOf<int32_t>(c.axes));
        std::vector<int32_t> outShape{c.batch, c.height, c.width, c.channels};
        for (int32_t axis : c.axes) outShape[static_cast<size_t>(axis < 0 ? axis + 4 : axis)] = 1;
        if (!c.keepDims) outShape.erase(std::remove(outShape.begin() + 1, outShape.end(), 1), outShape.end());
        int output = b.addTensor({"y", DataType::Float32, outShape});
        b.addOp({schema::BuiltinOperator_MEAN, {}, {input, axes}, {output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ReducerOptions,
                                                         schema::CreateReducerOptions(fbb, c.keepDims).o};
                 }});
        b.setInputs({input});
        b.setOutputs({output});
        std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.channels));
        for (float& v : x) v = values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(b, input, x, output);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const std::string accelerator(compared.cpu->acceleratorOf(0, 0));
        std::cout << "  MEAN over " << c.axes.size() << " axes of " << c.batch << "x" << c.height << "x" << c.width << "x" << c.channels
                  << (c.keepDims ? ", keep dims" : "") << ": ran on " << accelerator << ", largest difference " << compared.worst << "\n";
        EXPECT_EQ(accelerator, c.onCpu ? "cpu" : "reference");
        EXPECT_LE(compared.worst, 1e-5);
    }
}

TEST(XnnpackElementwise, LogisticMatchesTheReference) {
    int input = 0, output = 0;
    litestudio::ModelBuilder b = unaryModel(schema::BuiltinOperator_LOGISTIC, {3, 37}, input, output);
    std::vector<float> x;
    for (int i = 0; i < 111; ++i) x.push_back(-60.0f + 120.0f * static_cast<float>(i) / 110.0f);
    double worst = cpuAgainstReference(b, input, output, x);
    std::cout << "  LOGISTIC on [-60, 60]: largest difference " << worst << "\n";
    EXPECT_LE(worst, 1e-6f);
}

TEST(XnnpackElementwise, ExactUnaryOpsMatchTheReferenceExactly) {
    // SQRT, ABS, NEG, FLOOR, CEIL, SQUARE and LEAKY_RELU are exact both ways (the
    // reference in double, rounded once): no difference at all is allowed,
    // on halves (FLOOR/CEIL of -2.5, -0.5, 0.5), 0, -0, the smallest normal
    // floats and values near float's range.
    std::vector<float> signedValues = {-2.5f, -0.5f, -0.0f, 0.0f, 0.5f, 2.5f, -1e30f, 1e30f, 1.2e-38f, -1.2e-38f, 3.0f, -7.25f, 1.8e19f};
    std::mt19937 random(17);
    std::uniform_real_distribution<float> spread(-1000.0f, 1000.0f);
    while (signedValues.size() < 150) signedValues.push_back(spread(random));
    std::vector<float> nonnegative;
    for (float v : signedValues) nonnegative.push_back(std::fabs(v));
    nonnegative.push_back(3.4e38f);
    for (auto code : {schema::BuiltinOperator_SQRT, schema::BuiltinOperator_ABS, schema::BuiltinOperator_NEG, schema::BuiltinOperator_FLOOR,
                      schema::BuiltinOperator_CEIL, schema::BuiltinOperator_SQUARE}) {
        const std::vector<float>& x = code == schema::BuiltinOperator_SQRT ? nonnegative : signedValues;
        int input = 0, output = 0;
        litestudio::ModelBuilder b = unaryModel(code, {1, static_cast<int32_t>(x.size())}, input, output);
        double worst = cpuAgainstReference(b, input, output, x);
        std::cout << "  " << schema::EnumNameBuiltinOperator(code) << " on " << x.size() << " values: largest difference " << worst << "\n";
        EXPECT_EQ(worst, 0.0);
    }
    // LEAKY_RELU (YOLO's, alpha 0.1): x or x * alpha, one float product, exact
    // both ways, but for products below float's normal range, which XNNPACK
    // flushes to zero (as below): -1.2e-38 is left out.
    {
        std::vector<float> normalProducts;
        for (float v : signedValues)
            if (std::fabs(v) > 1e-30f) normalProducts.push_back(v);
        int input = 0, output = 0;
        litestudio::ModelBuilder b = unaryModel(schema::BuiltinOperator_LEAKY_RELU, {1, static_cast<int32_t>(normalProducts.size())}, input,
                                                output, [](flatbuffers::FlatBufferBuilder& fbb) {
                                                    return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_LeakyReluOptions,
                                                                                        schema::CreateLeakyReluOptions(fbb, 0.1f).o};
                                                });
        double worst = cpuAgainstReference(b, input, output, normalProducts);
        std::cout << "  LEAKY_RELU (alpha 0.1) on " << normalProducts.size() << " values: largest difference " << worst << "\n";
        EXPECT_EQ(worst, 0.0);
    }
    // The square root of a negative number is NaN. Denormal inputs are
    // flushed to zero, as XNNPACK runs its operators (and so LiteRT's CPU
    // path) with denormals disabled: FLOOR(-1e-40) is -0 here, -1 on the
    // reference.
    int input = 0, output = 0;
    litestudio::ModelBuilder sqrtModel = unaryModel(schema::BuiltinOperator_SQRT, {2}, input, output);
    auto cpu = testing::compileBuilt(sqrtModel, {"cpu", "reference"});
    ASSERT_TRUE(cpu) << cpu.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**cpu, input, {-4.0f, 4.0f}));
    ASSERT_TRUE((*cpu)->run(0));
    std::vector<float> y = testing::tensorValues<float>(**cpu, output);
    EXPECT_TRUE(std::isnan(y[0]));
    EXPECT_EQ(y[1], 2.0f);
    litestudio::ModelBuilder floorModel = unaryModel(schema::BuiltinOperator_FLOOR, {1}, input, output);
    auto floorCpu = testing::compileBuilt(floorModel, {"cpu", "reference"});
    ASSERT_TRUE(floorCpu) << floorCpu.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**floorCpu, input, {-1e-40f}));
    ASSERT_TRUE((*floorCpu)->run(0));
    std::cout << "  FLOOR(-1e-40) on cpu: " << testing::tensorValues<float>(**floorCpu, output)[0] << "\n";
    EXPECT_EQ(testing::tensorValues<float>(**floorCpu, output)[0], 0.0f);
}

TEST(XnnpackElementwise, EluMatchesTheReference) {
    int input = 0, output = 0;
    litestudio::ModelBuilder b = unaryModel(schema::BuiltinOperator_ELU, {1, 5, 41}, input, output);
    std::vector<float> x;
    for (int i = 0; i < 205; ++i) x.push_back(-20.0f + 40.0f * static_cast<float>(i) / 204.0f);
    x[102] = 1e-7f;  // expm1, not exp - 1, near zero
    double worst = cpuAgainstReference(b, input, output, x);
    std::cout << "  ELU on [-20, 20]: largest difference " << worst << "\n";
    EXPECT_LE(worst, 1e-6f);
}

TEST(XnnpackElementwise, SoftmaxMatchesTheReference) {
    int input = 0, output = 0;
    litestudio::ModelBuilder b =
        unaryModel(schema::BuiltinOperator_SOFTMAX, {2, 3, 335}, input, output, [](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SoftmaxOptions, schema::CreateSoftmaxOptions(fbb, 1.0f).o};
        });
    std::vector<float> x(2 * 3 * 335);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i) * 0.37f) * (i < 335 ? 80.0f : 3.0f);
    double worst = cpuAgainstReference(b, input, output, x);
    std::cout << "  SOFTMAX over rows of 335: largest difference " << worst << "\n";
    EXPECT_LE(worst, 1e-6f);
}

TEST(XnnpackElementwise, SquaredDifferenceMatchesTheReference) {
    litestudio::ModelBuilder b;
    b.addSubgraph();
    int input = b.addTensor({"x", DataType::Float32, {1, 7, 80}});
    int column = b.addFloatConstant("mean", {1, 7, 1}, {0.5f, -1.0f, 2.0f, 0.0f, 3.5f, -0.25f, 1.0f});
    int output = b.addTensor({"y", DataType::Float32, {1, 7, 80}});
    b.addOp({schema::BuiltinOperator_SQUARED_DIFFERENCE, {}, {input, column}, {output}});
    b.setInputs({input});
    b.setOutputs({output});
    std::vector<float> x(7 * 80);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(static_cast<float>(i)) * 4.0f;
    double worst = cpuAgainstReference(b, input, output, x);
    std::cout << "  SQUARED_DIFFERENCE against a column: largest difference " << worst << "\n";
    EXPECT_LE(worst, 1e-6 * 64);
}

TEST(XnnpackElementwise, PreluWithoutSlopesIsRefusedClearly) {
    // Found by fuzz.model_run_cpu: a PRELU with only its input crashed the
    // cpu accelerator's kernel choice (it read the absent slopes). Now the
    // reference kernel refuses it by name.
    litestudio::ModelBuilder b;
    b.addSubgraph();
    int input = b.addTensor({"x", DataType::Float32, {1, 2, 2, 3}});
    int output = b.addTensor({"y", DataType::Float32, {1, 2, 2, 3}});
    b.addOp({schema::BuiltinOperator_PRELU, {}, {input}, {output}});
    b.setInputs({input});
    b.setOutputs({output});
    auto compiled = compileBuilt(b, {"cpu", "reference"});
    ASSERT_FALSE(compiled);
    std::cout << "  " << compiled.errorMessage() << "\n";
    EXPECT_NE(compiled.errorMessage().find("PRELU"), std::string::npos);
}

}  // namespace
}  // namespace litestudio

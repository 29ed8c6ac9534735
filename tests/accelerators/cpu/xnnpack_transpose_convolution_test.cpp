// Transposed convolutions on XNNPACK's deconvolution against the reference
// kernel (within 1e-5 of the largest output): TRANSPOSE_CONV with SAME and
// VALID padding, a kernel smaller than the stride (the extra rows are bias
// only), a fused RELU and no bias, and MediaPipe's
// Convolution2DTransposeBias with SAME and VALID. Kernels the size of
// their stride run as a 1x1 GEMM whose products are placed as blocks
// (float_stride_sized_transpose_convolution.h): MediaPipe's segmentation
// heads (16 -> 1, 32 -> 8, 8 -> 2 at 2x2/2), a 3x3/3, on one and two
// threads. Each case checks that the cpu accelerator took the op. uint8/int8 TRANSPOSE_CONV on XNNPACK's
// qu8/qs8 deconvolution bit for bit against the reference's integer path.
// A crop past XNNPACK's 32-bit padding is refused with a clear error.

#include <cmath>
#include <cstring>
#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct TransposeCase {
    bool mediaPipe;
    int height, width, inChannels, outChannels, kernel, stride;
    bool same;
    schema::ActivationFunctionType activation;
    bool bias;
    int threads = 1;
};

int outputSize(const TransposeCase& c, int in) { return c.same ? in * c.stride : (in - 1) * c.stride + c.kernel; }

std::vector<uint8_t> rawInts(std::vector<int32_t> values) {
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

TEST(XnnpackTransposeConvolution, MatchesTheReference) {
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU;
    const std::vector<TransposeCase> cases = {
        {false, 5, 6, 8, 12, 3, 2, true, ActivationFunctionType_NONE, true},
        {false, 4, 3, 5, 7, 2, 2, false, ActivationFunctionType_RELU, false},
        {false, 3, 4, 6, 4, 1, 2, true, ActivationFunctionType_NONE, true},  // kernel < stride
        {false, 6, 5, 3, 9, 4, 1, true, ActivationFunctionType_NONE, true},
        {true, 5, 5, 16, 8, 4, 2, true, ActivationFunctionType_NONE, true},
        {true, 4, 6, 8, 3, 2, 2, false, ActivationFunctionType_NONE, true},
        // Kernel = stride: selfie segmentation's head, hair segmentation's
        // last two, 20 -> 20 (80 products: two blocks of the GEMM), a 3x3/3
        // with a RELU, SAME and VALID alike.
        {true, 12, 9, 16, 1, 2, 2, true, ActivationFunctionType_NONE, true, 2},
        {true, 7, 10, 32, 8, 2, 2, true, ActivationFunctionType_NONE, true, 1},
        {true, 9, 8, 8, 2, 2, 2, false, ActivationFunctionType_NONE, true, 2},
        {false, 5, 7, 20, 20, 2, 2, true, ActivationFunctionType_NONE, true, 2},
        {false, 6, 5, 12, 5, 3, 3, false, ActivationFunctionType_RELU, true, 3},
    };
    std::mt19937 random(23);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const TransposeCase& c : cases) {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        const int outH = outputSize(c, c.height), outW = outputSize(c, c.width);
        int input = b.addTensor({"x", DataType::Float32, {1, c.height, c.width, c.inChannels}});
        std::vector<float> weights(static_cast<size_t>(c.outChannels * c.kernel * c.kernel * c.inChannels)), bias(static_cast<size_t>(c.outChannels));
        for (float& w : weights) w = values(random);
        for (float& v : bias) v = values(random);
        int w = b.addFloatConstant("w", {c.outChannels, c.kernel, c.kernel, c.inChannels}, weights);
        int biasTensor = c.bias ? b.addFloatConstant("b", {c.outChannels}, bias) : -1;
        int output = b.addTensor({"y", DataType::Float32, {1, outH, outW, c.outChannels}});
        if (c.mediaPipe) {
            b.addOp({32, "Convolution2DTransposeBias", {input, w, biasTensor}, {output}, {}, {}, rawInts({c.same ? 1 : 2, c.stride, c.stride})});
        } else {
            int shape = b.addConstant("shape", DataType::Int32, {4}, testing::bytesOf<int32_t>({1, outH, outW, c.outChannels}));
            std::vector<int> inputs{shape, w, input};
            if (c.bias) inputs.push_back(biasTensor);
            b.addOp({schema::BuiltinOperator_TRANSPOSE_CONV, {}, inputs, {output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                         return std::pair<uint8_t, uint32_t>{
                             schema::BuiltinOptions_TransposeConvOptions,
                             schema::CreateTransposeConvOptions(fbb, c.same ? schema::Padding_SAME : schema::Padding_VALID, c.stride,
                                                                c.stride, c.activation).o};
                     }});
        }
        b.setInputs({input});
        b.setOutputs({output});
        auto reference = compileBuilt(b, {"reference"});
        auto fast = compileBuilt(b, {"cpu", "reference"}, c.threads);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(fast) << fast.errorMessage();
        EXPECT_EQ((*fast)->acceleratorOf(0, 0), "cpu");
        std::vector<float> x(static_cast<size_t>(c.height * c.width * c.inChannels));
        for (float& v : x) v = values(random);
        const double worst = testing::largestDifference(**fast, **reference, input, x, output, false);
        ASSERT_GE(worst, 0.0) << "a run failed or the outputs differ in size";
        float largest = 1.0f;
        for (float v : testing::tensorValues<float>(**reference, output)) largest = std::max(largest, std::fabs(v));
        std::cout << "  " << (c.mediaPipe ? "Convolution2DTransposeBias " : "TRANSPOSE_CONV ") << c.kernel << "x" << c.kernel << "/"
                  << c.stride << (c.same ? " SAME" : " VALID") << ", " << c.height << "x" << c.width << "x" << c.inChannels << " -> "
                  << outH << "x" << outW << "x" << c.outChannels << " on " << c.threads << " thread(s): largest difference " << worst
                  << " (accelerator " << (*fast)->acceleratorOf(0, 0) << ")\n";
        EXPECT_LE(worst, 1e-5 * largest);
    }
}

TEST(XnnpackTransposeConvolution, EightBitMatchesTheIntegerReferenceBitForBit) {
    // uint8 (weights with a zero point) and int8 (symmetric weights) on
    // XNNPACK's qu8/qs8 deconvolution against the reference's integer path:
    // SAME and VALID, a kernel smaller than the stride, RELU6 (a clamp of
    // stored values), with and without a bias; one and two threads. And a
    // small uint8 case worked out by hand on both.
    struct QuantizedCase {
        DataType type;
        int height, width, inChannels, outChannels, kernel, stride;
        bool same;
        schema::ActivationFunctionType activation;
        bool bias;
        int threads;
    };
    const std::vector<QuantizedCase> cases = {
        {DataType::UInt8, 16, 16, 64, 32, 4, 2, true, schema::ActivationFunctionType_NONE, true, 1},  // a U-Net decoder's upsampling
        {DataType::Int8, 5, 6, 8, 12, 3, 2, true, schema::ActivationFunctionType_RELU6, true, 2},
        {DataType::UInt8, 4, 3, 5, 7, 2, 2, false, schema::ActivationFunctionType_RELU6, false, 1},
        {DataType::Int8, 3, 4, 6, 4, 1, 2, true, schema::ActivationFunctionType_NONE, true, 1},  // kernel < stride
    };
    std::mt19937 random(29);
    for (const QuantizedCase& c : cases) {
        const bool int8 = c.type == DataType::Int8;
        const int outH = c.same ? c.height * c.stride : (c.height - 1) * c.stride + c.kernel;
        const int outW = c.same ? c.width * c.stride : (c.width - 1) * c.stride + c.kernel;
        litestudio::ModelBuilder b;
        b.addSubgraph();
        int input = b.addTensor(testing::quantized("x", c.type, {1, c.height, c.width, c.inChannels}, 0.02f, int8 ? -7 : 121));
        TensorSpec weights = testing::quantized("w", c.type, {c.outChannels, c.kernel, c.kernel, c.inChannels}, 0.004f, int8 ? 0 : 131);
        weights.data.resize(static_cast<size_t>(c.outChannels * c.kernel * c.kernel * c.inChannels));
        for (uint8_t& w : weights.data) w = static_cast<uint8_t>(random());
        int w = b.addTensor(weights);
        std::vector<int32_t> bias(static_cast<size_t>(c.outChannels));
        for (int32_t& v : bias) v = static_cast<int32_t>(random() % 4001) - 2000;
        TensorSpec biasSpec = testing::quantized("b", DataType::Int32, {c.outChannels}, 0.02f * 0.004f, 0);
        biasSpec.data = testing::bytesOf(bias);
        int output = b.addTensor(testing::quantized("y", c.type, {1, outH, outW, c.outChannels}, 0.05f, int8 ? 3 : 110));
        int shape = b.addConstant("shape", DataType::Int32, {4}, testing::bytesOf<int32_t>({1, outH, outW, c.outChannels}));
        std::vector<int> inputs{shape, w, input};
        if (c.bias) inputs.push_back(b.addTensor(biasSpec));
        b.addOp({schema::BuiltinOperator_TRANSPOSE_CONV, {}, inputs, {output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_TransposeConvOptions,
                                                         schema::CreateTransposeConvOptions(fbb, c.same ? schema::Padding_SAME : schema::Padding_VALID,
                                                                                            c.stride, c.stride, c.activation).o};
                 }});
        b.setInputs({input});
        b.setOutputs({output});
        std::vector<uint8_t> bytes(static_cast<size_t>(c.height * c.width * c.inChannels));
        for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(b, input, bytes, output, c.threads);
        ASSERT_TRUE(result.error.empty()) << result.error;
        EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu");
        std::cout << "  " << dataTypeName(c.type) << " TRANSPOSE_CONV " << c.kernel << "x" << c.kernel << "/" << c.stride
                  << (c.same ? " SAME" : " VALID") << (c.activation == schema::ActivationFunctionType_RELU6 ? " RELU6" : "")
                  << (c.bias ? "" : ", no bias") << ", " << c.height << "x" << c.width << "x" << c.inChannels << " -> " << outH << "x" << outW
                  << "x" << c.outChannels << ", " << c.threads << " thread(s): " << result.elements << " outputs, " << result.differing
                  << " differ\n";
        EXPECT_EQ(result.differing, 0);
    }
}

TEST(XnnpackTransposeConvolution, EightBitSmallCaseByHand) {
    // uint8 1x1x2x1 input (stored 12, 14, zero point 10: values 2 and 4 at
    // scale 1) through a 1x2 kernel [1, 1, 2, 1] (stored 13, 11, zero point 10:
    // 3 and 1 at scale 1), stride 2 VALID, no bias, output scale 1 zero point
    // 100: outputs 2*3, 2*1, 4*3, 4*1 = 6, 2, 12, 4 -> stored 106, 102, 112, 104.
    litestudio::ModelBuilder b;
    b.addSubgraph();
    int input = b.addTensor(testing::quantized("x", DataType::UInt8, {1, 1, 2, 1}, 1.0f, 10));
    TensorSpec weights = testing::quantized("w", DataType::UInt8, {1, 1, 2, 1}, 1.0f, 10);
    weights.data = {13, 11};
    int w = b.addTensor(weights);
    int output = b.addTensor(testing::quantized("y", DataType::UInt8, {1, 1, 4, 1}, 1.0f, 100));
    int shape = b.addConstant("shape", DataType::Int32, {4}, testing::bytesOf<int32_t>({1, 1, 4, 1}));
    b.addOp({schema::BuiltinOperator_TRANSPOSE_CONV, {}, {shape, w, input}, {output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_TransposeConvOptions,
                                                     schema::CreateTransposeConvOptions(fbb, schema::Padding_VALID, 2, 2).o};
             }});
    b.setInputs({input});
    b.setOutputs({output});
    for (const char* accelerator : {"cpu", "reference"}) {
        auto model = compileBuilt(b, {accelerator, "reference"});
        ASSERT_TRUE(model) << model.errorMessage();
        EXPECT_EQ((*model)->acceleratorOf(0, 0), accelerator);
        ASSERT_TRUE(testing::setValues<uint8_t>(**model, input, {12, 14}));
        ASSERT_TRUE((*model)->run(0));
        EXPECT_EQ(testing::tensorValues<uint8_t>(**model, output), (std::vector<uint8_t>{106, 102, 112, 104})) << accelerator;
    }
}

TEST(XnnpackTransposeConvolution, ACropPastThirtyTwoBitsIsRefusedClearly) {
    // A fuzzed model: 5x168 columns at stride 2 x 2^25, 2x2 kernel, VALID,
    // declared output 10x12. The full output is 167 * 2^25 + 2 columns wide,
    // so 5,603,590,134 are cropped: more than XNNPACK's uint32 padding. It
    // wrapped before, and XNNPACK then sized its output 2^32 columns past
    // the tensor (setup asked for a 1.4 TB indirection buffer; ASan aborted).
    // Compiling now fails with the stride, the sizes and the limit named.
    litestudio::ModelBuilder b;
    b.addSubgraph();
    int input = b.addTensor({"x", DataType::Float32, {1, 5, 168, 8}});
    int w = b.addFloatConstant("w", {3, 2, 2, 8}, std::vector<float>(3 * 2 * 2 * 8, 0.5f));
    int output = b.addTensor({"y", DataType::Float32, {1, 10, 12, 3}});
    int shape = b.addConstant("shape", DataType::Int32, {4}, testing::bytesOf<int32_t>({1, 10, 12, 3}));
    b.addOp({schema::BuiltinOperator_TRANSPOSE_CONV, {}, {shape, w, input}, {output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_TransposeConvOptions,
                                                     schema::CreateTransposeConvOptions(fbb, schema::Padding_VALID, 1 << 25, 2).o};  // stride w, h
             }});
    b.setInputs({input});
    b.setOutputs({output});
    auto model = compileBuilt(b, {"cpu", "reference"});
    ASSERT_FALSE(model) << "compiled; the run would ask XNNPACK for a wrapped padding";
    std::cout << "  " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("stride 33554432 over 168 input columns crops 5603590134 columns to leave 12"), std::string::npos);
    EXPECT_NE(model.errorMessage().find("32-bit padding"), std::string::npos);
}

}  // namespace
}  // namespace litestudio

// Transposed convolutions on XNNPACK's deconvolution against the reference
// kernel (within 1e-5 of the largest output): TRANSPOSE_CONV with SAME and
// VALID padding, a kernel smaller than the stride (the extra rows are bias
// only), a fused RELU and no bias, and MediaPipe's
// Convolution2DTransposeBias with SAME and VALID. Each case checks that the
// cpu accelerator took the op.

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
        auto fast = compileBuilt(b, {"cpu", "reference"});
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
                  << outH << "x" << outW << "x" << c.outChannels << ": largest difference " << worst << " (accelerator "
                  << (*fast)->acceleratorOf(0, 0) << ")\n";
        EXPECT_LE(worst, 1e-5 * largest);
    }
}

}  // namespace
}  // namespace litestudio

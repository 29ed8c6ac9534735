// MUL(x, s) -> ADD(., b) -> 1x1 CONV_2D, a batch norm before a
// convolution as DenseNet's layers have it, on the cpu accelerator: the
// convolution applies the scales, shifts and the ADD's clamp as it reads
// its input (core/runtime/input_affine_fusion.h). Against the reference,
// which runs the ops as written, within 1e-5 of the largest output:
// DenseNet's RELU, RELU6, the constants first in either op, the per-channel
// tensors shaped [C] and [1, 1, 1, C], 40 channels (a partial vector), a
// batch of two, 200 outputs on three threads, and two runs on different
// inputs. Left as written: a scaled map something else reads too, a
// TANH on the ADD, scales that are an input rather than constant, values
// that broadcast over rows rather than channels, a 3x3 convolution, and a
// plane under the pointwise kernel's 49 pixels.

#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

struct AffineCase {
    const char* what;
    int batch, height, width, channels, outChannels;
    schema::ActivationFunctionType activation;  // the ADD's
    int threads;
    bool fuses;
    bool constantsFirst = false;
    bool flatValues = false;        // scales and shifts shaped [C], else [1, 1, 1, C]
    bool scaledReadTwice = false;   // the MUL's result is a model output too
    bool scalesAnInput = false;     // the scales come in as a second model input
    bool valuesOverRows = false;    // [1, H, 1, 1] values, one per row
    int kernel = 1;                 // the convolution's kernel side
};

struct AffineModel {
    ModelBuilder builder;
    int input = -1, scalesInput = -1, output = -1, convolution = 2;
};

std::pair<uint8_t, uint32_t> addOptions(flatbuffers::FlatBufferBuilder& fbb, schema::ActivationFunctionType activation) {
    return {schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb, activation).o};
}

AffineModel affineModel(const AffineCase& c, std::mt19937& random) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f), positive(0.25f, 2.0f);
    AffineModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.channels}});
    const int count = c.valuesOverRows ? c.height : c.channels;
    const std::vector<int32_t> valueShape = c.valuesOverRows ? std::vector<int32_t>{1, c.height, 1, 1}
                                            : c.flatValues    ? std::vector<int32_t>{c.channels}
                                                              : std::vector<int32_t>{1, 1, 1, c.channels};
    std::vector<float> scales(static_cast<size_t>(count)), shifts(static_cast<size_t>(count));
    for (float& v : scales) v = positive(random);
    for (float& v : shifts) v = values(random);
    int scale = -1;
    if (c.scalesAnInput) scale = m.scalesInput = b.addTensor({"s", DataType::Float32, valueShape});
    else scale = b.addFloatConstant("s", valueShape, scales);
    const int shift = b.addFloatConstant("b", valueShape, shifts);
    const int scaled = b.addTensor({"scaled", DataType::Float32, {c.batch, c.height, c.width, c.channels}});
    b.addOp({schema::BuiltinOperator_MUL, {}, c.constantsFirst ? std::vector<int>{scale, m.input} : std::vector<int>{m.input, scale}, {scaled},
             [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MulOptions, schema::CreateMulOptions(fbb).o};
             }});
    const int shifted = b.addTensor({"shifted", DataType::Float32, {c.batch, c.height, c.width, c.channels}});
    b.addOp({schema::BuiltinOperator_ADD, {}, c.constantsFirst ? std::vector<int>{shift, scaled} : std::vector<int>{scaled, shift}, {shifted},
             [c](flatbuffers::FlatBufferBuilder& fbb) { return addOptions(fbb, c.activation); }});
    std::vector<float> weights(static_cast<size_t>(c.outChannels * c.kernel * c.kernel * c.channels)), bias(static_cast<size_t>(c.outChannels));
    for (float& v : weights) v = values(random);
    for (float& v : bias) v = values(random);
    const int filter = b.addFloatConstant("w", {c.outChannels, c.kernel, c.kernel, c.channels}, weights);
    const int biasTensor = b.addFloatConstant("bias", {c.outChannels}, bias);
    m.output = b.addTensor({"y", DataType::Float32, {c.batch, c.height, c.width, c.outChannels}});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {shifted, filter, biasTensor}, {m.output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                     schema::CreateConv2DOptions(fbb, schema::Padding_SAME, 1, 1).o};
             }});
    b.setInputs(c.scalesAnInput ? std::vector<int>{m.input, m.scalesInput} : std::vector<int>{m.input});
    b.setOutputs(c.scaledReadTwice ? std::vector<int>{m.output, scaled} : std::vector<int>{m.output});
    return m;
}

TEST(InputAffineFusion, TheConvolutionAppliesTheBatchNormBeforeIt) {
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU, schema::ActivationFunctionType_RELU6,
        schema::ActivationFunctionType_RELU_N1_TO_1, schema::ActivationFunctionType_TANH;
    const AffineCase cases[] = {
        {"DenseNet's layer, RELU", 1, 14, 14, 96, 128, ActivationFunctionType_RELU, 1, true},
        {"RELU6, two threads", 1, 28, 28, 64, 64, ActivationFunctionType_RELU6, 2, true},
        {"no activation, the constants first, [C] values", 1, 9, 11, 48, 72, ActivationFunctionType_NONE, 1, true, true, true},
        {"40 channels, a batch of two", 2, 8, 8, 40, 64, ActivationFunctionType_RELU, 2, true},
        {"200 outputs on three threads", 1, 17, 13, 128, 200, ActivationFunctionType_RELU_N1_TO_1, 3, true},
        {"the scaled map read twice", 1, 9, 9, 32, 32, ActivationFunctionType_RELU, 1, false, false, false, true},
        {"a TANH on the ADD", 1, 9, 9, 32, 32, ActivationFunctionType_TANH, 1, false},
        {"scales that are an input", 1, 9, 9, 32, 32, ActivationFunctionType_RELU, 1, false, false, false, false, true},
        {"values one per row", 1, 9, 9, 32, 32, ActivationFunctionType_RELU, 1, false, false, false, false, false, true},
        {"a 3x3 convolution", 1, 9, 9, 32, 32, ActivationFunctionType_RELU, 1, false, false, false, false, false, false, 3},
        {"a 6x7 plane", 1, 6, 7, 32, 32, ActivationFunctionType_RELU, 1, false},
    };
    std::mt19937 random(11);
    std::uniform_real_distribution<float> values(-2.0f, 2.0f);
    for (const AffineCase& c : cases) {
        AffineModel m = affineModel(c, random);
        testing::CpuComparison compared;
        ASSERT_TRUE(testing::compileBoth(m.builder, c.threads, compared)) << c.what << ": " << compared.error;
        const std::string name = testing::cpuOpName(compared, m.convolution);
        for (int run = 0; run < 2; ++run) {
            if (c.scalesAnInput) {
                std::vector<float> scales(static_cast<size_t>(c.channels));
                for (float& v : scales) v = values(random);
                ASSERT_TRUE(testing::setValues<float>(*compared.cpu, m.scalesInput, scales)) << c.what;
                ASSERT_TRUE(testing::setValues<float>(*compared.reference, m.scalesInput, scales)) << c.what;
            }
            std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.channels));
            for (float& v : x) v = values(random) + (run == 0 ? 0.5f : -0.5f);
            ASSERT_TRUE(testing::addRun(compared, m.input, x, m.output)) << c.what << ": a run failed";
        }
        std::cout << "  " << c.what << " (" << c.threads << " thread(s)): " << name << ", largest difference " << compared.worst
                  << " of outputs up to " << compared.largest << "\n";
        EXPECT_EQ(name, c.fuses ? "MUL+ADD+CONV_2D (fused)" : "CONV_2D") << c.what;
        EXPECT_LE(compared.worst, 1e-5 * compared.largest) << c.what;
    }
}

}  // namespace
}  // namespace litestudio

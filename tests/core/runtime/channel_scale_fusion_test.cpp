// MUL(x, s) -> 1x1 CONV_2D, s one value per image and channel made at run
// time, as a squeeze-and-excitation block ends, on the cpu accelerator:
// the convolution multiplies each input tile by s as it reads it
// (core/runtime/channel_scale_fusion.h). Against the reference, which runs
// the ops as written, within 1e-5 of the largest output, two runs each on
// different inputs: s a model input [1, 1, 1, C] or made by MEAN and
// LOGISTIC as the block makes it, s first or second, a fused residual ADD,
// 40 channels (a partial vector), a batch of two with its own scales for
// each image, 200 outputs on three threads. Left as written: s shared by a
// batch of two ([1, 1, 1, C]), a MUL with a RELU, a scaled map something
// else reads too, values one per row, a 3x3 convolution, a 6x7 plane.

#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using schema::ActivationFunctionType, schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU;
using schema::BuiltinOperator_ADD, schema::BuiltinOperator_CONV_2D, schema::BuiltinOperator_LOGISTIC, schema::BuiltinOperator_MEAN,
    schema::BuiltinOperator_MUL;
using schema::BuiltinOptions_AddOptions, schema::BuiltinOptions_Conv2DOptions, schema::BuiltinOptions_MulOptions,
    schema::BuiltinOptions_ReducerOptions;
using schema::CreateAddOptions, schema::CreateConv2DOptions, schema::CreateMulOptions, schema::CreateReducerOptions, schema::Padding_SAME;

struct ScaleCase {
    const char* what;
    int batch, height, width, channels, outChannels;
    int threads;
    const char* expected;  // the convolution's name as it runs
    bool scalesFirst = false;
    bool madeBySqueeze = false;   // s = LOGISTIC(MEAN(x)), else a model input
    bool residual = false;        // an ADD of a model input after the convolution
    int scaleBatch = -1;          // s's batch; -1 for the feature map's
    bool reluOnMul = false;
    bool scaledReadTwice = false;  // the MUL's result is a model output too
    bool valuesOverRows = false;   // s [N, H, 1, 1]
    int kernel = 1;
};

struct ScaleModel {
    ModelBuilder builder;
    int input = -1, scales = -1, residual = -1, output = -1, convolution = -1;
};

OptionsWriter mulOptions(ActivationFunctionType activation) {
    return [activation](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{BuiltinOptions_MulOptions, CreateMulOptions(fbb, activation).o};
    };
}

ScaleModel scaleModel(const ScaleCase& c, std::mt19937& random) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    ScaleModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const std::vector<int32_t> mapShape{c.batch, c.height, c.width, c.channels};
    m.input = b.addTensor({"x", DataType::Float32, mapShape});
    const int scaleBatch = c.scaleBatch < 0 ? c.batch : c.scaleBatch;
    const std::vector<int32_t> scaleShape =
        c.valuesOverRows ? std::vector<int32_t>{scaleBatch, c.height, 1, 1} : std::vector<int32_t>{scaleBatch, 1, 1, c.channels};
    int s = -1;
    if (c.madeBySqueeze) {
        const int axes = b.addConstant("axes", DataType::Int32, {2}, testing::bytesOf<int32_t>({1, 2}));
        const int means = b.addTensor({"means", DataType::Float32, scaleShape});
        b.addOp({BuiltinOperator_MEAN, {}, {m.input, axes}, {means}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{BuiltinOptions_ReducerOptions, CreateReducerOptions(fbb, true).o};
                 }});
        s = b.addTensor({"s", DataType::Float32, scaleShape});
        b.addOp({BuiltinOperator_LOGISTIC, {}, {means}, {s}, nullptr});
    } else {
        s = m.scales = b.addTensor({"s", DataType::Float32, scaleShape});
    }
    const int scaled = b.addTensor({"scaled", DataType::Float32, mapShape});
    b.addOp({BuiltinOperator_MUL, {}, c.scalesFirst ? std::vector<int>{s, m.input} : std::vector<int>{m.input, s}, {scaled},
             mulOptions(c.reluOnMul ? ActivationFunctionType_RELU : ActivationFunctionType_NONE)});
    std::vector<float> weights(static_cast<size_t>(c.outChannels * c.kernel * c.kernel * c.channels)), bias(static_cast<size_t>(c.outChannels));
    for (float& v : weights) v = values(random);
    for (float& v : bias) v = values(random);
    const int filter = b.addFloatConstant("w", {c.outChannels, c.kernel, c.kernel, c.channels}, weights);
    const int biasTensor = b.addFloatConstant("bias", {c.outChannels}, bias);
    const std::vector<int32_t> outShape{c.batch, c.height, c.width, c.outChannels};
    const int convolved = b.addTensor({"convolved", DataType::Float32, outShape});
    m.convolution = c.madeBySqueeze ? 3 : 1;
    b.addOp({BuiltinOperator_CONV_2D, {}, {scaled, filter, biasTensor}, {convolved}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{BuiltinOptions_Conv2DOptions, CreateConv2DOptions(fbb, Padding_SAME, 1, 1).o};
             }});
    m.output = convolved;
    if (c.residual) {
        m.residual = b.addTensor({"r", DataType::Float32, outShape});
        m.output = b.addTensor({"y", DataType::Float32, outShape});
        b.addOp({BuiltinOperator_ADD, {}, {convolved, m.residual}, {m.output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{BuiltinOptions_AddOptions, CreateAddOptions(fbb).o};
                 }});
    }
    std::vector<int> inputs{m.input};
    if (m.scales >= 0) inputs.push_back(m.scales);
    if (m.residual >= 0) inputs.push_back(m.residual);
    b.setInputs(inputs);
    b.setOutputs(c.scaledReadTwice ? std::vector<int>{m.output, scaled} : std::vector<int>{m.output});
    return m;
}

int64_t elementsOf(const std::vector<int32_t>& shape) {
    int64_t count = 1;
    for (const int32_t d : shape) count *= d;
    return count;
}

TEST(ChannelScaleFusion, TheConvolutionScalesItsInputAsItReads) {
    const ScaleCase cases[] = {
        {"EfficientNet's projection, s an input", 1, 14, 14, 96, 40, 1, "MUL+CONV_2D (fused)"},
        {"s made by MEAN and LOGISTIC, two threads", 1, 28, 28, 72, 24, 2, "MUL+CONV_2D (fused)", false, true},
        {"a residual ADD, s first", 1, 14, 14, 120, 40, 2, "MUL+CONV_2D+ADD (fused)", true, false, true},
        {"40 channels, a batch of two with its own scales", 2, 8, 8, 40, 64, 2, "MUL+CONV_2D (fused)", false, true},
        {"200 outputs on three threads, a residual", 1, 17, 13, 128, 200, 3, "MUL+CONV_2D+ADD (fused)", false, true, true},
        {"a batch of two sharing one row of scales", 2, 8, 8, 40, 64, 2, "CONV_2D", false, false, false, 1},
        {"a RELU on the MUL", 1, 9, 9, 32, 32, 1, "CONV_2D", false, false, false, -1, true},
        {"the scaled map read twice", 1, 9, 9, 32, 32, 1, "CONV_2D", false, false, false, -1, false, true},
        {"values one per row", 1, 9, 9, 32, 32, 1, "CONV_2D", false, false, false, -1, false, false, true},
        {"a 3x3 convolution", 1, 9, 9, 32, 32, 1, "CONV_2D", false, false, false, -1, false, false, false, 3},
        {"a 6x7 plane", 1, 6, 7, 32, 32, 1, "CONV_2D"},
    };
    std::mt19937 random(13);
    std::uniform_real_distribution<float> values(-2.0f, 2.0f);
    for (const ScaleCase& c : cases) {
        ScaleModel m = scaleModel(c, random);
        testing::CpuComparison compared;
        ASSERT_TRUE(testing::compileBoth(m.builder, c.threads, compared)) << c.what << ": " << compared.error;
        const std::string name = testing::cpuOpName(compared, m.convolution);
        const Subgraph& subgraph = compared.cpu->model().subgraphs[0];
        for (int run = 0; run < 2; ++run) {
            for (const int extra : {m.scales, m.residual}) {
                if (extra < 0) continue;
                std::vector<float> v(static_cast<size_t>(elementsOf(subgraph.tensors[static_cast<size_t>(extra)].shape)));
                for (float& e : v) e = values(random);
                ASSERT_TRUE(testing::setValues<float>(*compared.cpu, extra, v)) << c.what;
                ASSERT_TRUE(testing::setValues<float>(*compared.reference, extra, v)) << c.what;
            }
            std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.channels));
            for (float& v : x) v = values(random) + (run == 0 ? 0.5f : -0.5f);
            ASSERT_TRUE(testing::addRun(compared, m.input, x, m.output)) << c.what << ": a run failed";
        }
        std::cout << "  " << c.what << " (" << c.threads << " thread(s)): " << name << ", largest difference " << compared.worst
                  << " of outputs up to " << compared.largest << "\n";
        EXPECT_EQ(name, c.expected) << c.what;
        EXPECT_LE(compared.worst, 1e-5 * compared.largest) << c.what;
    }
}

}  // namespace
}  // namespace litestudio

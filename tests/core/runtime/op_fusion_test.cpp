// PAD -> CONV_2D -> RELU and ADD -> RELU6: on the `cpu` accelerator the PAD
// and the activations are folded into their neighbours (reported as
// "fused"), and the outputs equal the unfused reference path's.

#include "core/runtime/op_fusion.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::bytesOf;
using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

struct FusionModel {
    ModelBuilder builder;
    int input = 0, output = 0;
};

// x [1,3,3,1] -PAD 1 all round-> [1,5,5,1] -CONV 3x3 VALID -> [1,3,3,1]
// -RELU-> -ADD x-> -RELU6-> y. Weights 0.01 * (1..9), bias -1.
void build(FusionModel& m) {
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"x", DataType::Float32, {1, 3, 3, 1}});
    int paddings = b.addConstant("paddings", DataType::Int32, {4, 2}, bytesOf<int32_t>({0, 0, 1, 1, 1, 1, 0, 0}));
    int padded = b.addTensor({"padded", DataType::Float32, {1, 5, 5, 1}});
    std::vector<float> weights;
    for (int i = 1; i <= 9; ++i) weights.push_back(float(i) * 0.01f);
    int filter = b.addFloatConstant("filter", {1, 3, 3, 1}, weights);
    int bias = b.addFloatConstant("bias", {1}, {-1.0f});
    int convolved = b.addTensor({"convolved", DataType::Float32, {1, 3, 3, 1}});
    int rectified = b.addTensor({"rectified", DataType::Float32, {1, 3, 3, 1}});
    int sum = b.addTensor({"sum", DataType::Float32, {1, 3, 3, 1}});
    m.output = b.addTensor({"y", DataType::Float32, {1, 3, 3, 1}});
    b.addOp({schema::BuiltinOperator_PAD, {}, {m.input, paddings}, {padded}});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {padded, filter, bias}, {convolved}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                     schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1).o};
             }});
    b.addOp({schema::BuiltinOperator_RELU, {}, {convolved}, {rectified}});
    b.addOp({schema::BuiltinOperator_ADD, {}, {rectified, m.input}, {sum}});
    b.addOp({schema::BuiltinOperator_RELU6, {}, {sum}, {m.output}});
    b.setInputs({m.input});
    b.setOutputs({m.output});
}

TEST(OpFusion, PadAndActivationsFoldIntoTheirNeighbours) {
    FusionModel m;
    build(m);
    std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9};
    auto reference = compileBuilt(m.builder, {"reference"});
    ASSERT_TRUE(reference) << reference.errorMessage();
    ASSERT_TRUE(setValues<float>(**reference, m.input, x));
    ASSERT_TRUE((*reference)->run(0));
    std::vector<float> want = tensorValues<float>(**reference, m.output);
    EXPECT_EQ((*reference)->acceleratorOf(0, 0), "reference");  // nothing fused without a kernel that takes it

    auto fused = compileBuilt(m.builder, {"cpu", "reference"});
    ASSERT_TRUE(fused) << fused.errorMessage();
    ASSERT_TRUE(setValues<float>(**fused, m.input, x));
    ASSERT_TRUE((*fused)->run(0));
    std::vector<float> got = tensorValues<float>(**fused, m.output);
    std::cout << "  ops:";
    for (int o = 0; o < 5; ++o) std::cout << " " << (*fused)->acceleratorOf(0, o);
    std::cout << "\n  y:";
    for (float value : got) std::cout << " " << value;
    std::cout << "\n";
    EXPECT_EQ((*fused)->acceleratorOf(0, 0), "fused");  // PAD
    EXPECT_EQ((*fused)->acceleratorOf(0, 1), "cpu");    // CONV_2D
    EXPECT_EQ((*fused)->acceleratorOf(0, 2), "fused");  // RELU
    EXPECT_EQ((*fused)->acceleratorOf(0, 3), "cpu");    // ADD
    EXPECT_EQ((*fused)->acceleratorOf(0, 4), "fused");  // RELU6
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f) << "element " << i;
    // Top-left sees the padding: 0.01 * (5*1 + 6*2 + 8*4 + 9*5) - 1 = -0.06, RELU 0, + 1 = 1.
    // Top-middle: 0.01 * (4*1 + 5*2 + 6*3 + 7*4 + 8*5 + 9*6) - 1 = 0.54, + 2 = 2.54.
    // Centre: 0.01 * 285 - 1 = 1.85, + 5 = 6.85, RELU6 gives 6.
    EXPECT_NEAR(got[0], 1.0f, 1e-5f);
    EXPECT_NEAR(got[1], 2.54f, 1e-5f);
    EXPECT_NEAR(got[4], 6.0f, 1e-5f);
}

TEST(OpFusion, ATensorReadTwiceIsNotFusedAway) {
    FusionModel m;
    build(m);
    // Make the convolution's output a subgraph output too: the RELU must stay.
    m.builder.setOutputs({m.output, 5});
    auto fused = compileBuilt(m.builder, {"cpu", "reference"});
    ASSERT_TRUE(fused) << fused.errorMessage();
    EXPECT_EQ((*fused)->acceleratorOf(0, 2), "cpu");
    EXPECT_EQ((*fused)->acceleratorOf(0, 0), "fused");
}

TEST(OpFusion, AddFoldsIntoTheFollowingPrelu) {
    // y = PRELU(a + b) with slopes 0.5, 0.25 per channel, on [1,64,65,2]
    // (4,160 pixels: on two threads the rows split into tasks of 2,048 and
    // a short last one; the vector loop's tail is exercised too).
    ModelBuilder b;
    b.addSubgraph();
    const std::vector<int32_t> shape{1, 64, 65, 2};
    int left = b.addTensor({"a", DataType::Float32, shape});
    int right = b.addTensor({"b", DataType::Float32, shape});
    int sum = b.addTensor({"sum", DataType::Float32, shape});
    int slopes = b.addFloatConstant("slopes", {2}, {0.5f, 0.25f});
    int output = b.addTensor({"y", DataType::Float32, shape});
    b.addOp({schema::BuiltinOperator_ADD, {}, {left, right}, {sum}});
    b.addOp({schema::BuiltinOperator_PRELU, {}, {sum, slopes}, {output}});
    b.setInputs({left, right});
    b.setOutputs({output});
    std::vector<float> x, z;
    for (int i = 0; i < 64 * 65 * 2; ++i) x.push_back(float(i % 9) - 4.0f), z.push_back(float(i % 5) * 0.5f - 1.0f);
    for (int threads : {1, 2}) {
        auto fused = compileBuilt(b, {"cpu", "reference"}, threads);
        ASSERT_TRUE(fused) << fused.errorMessage();
        EXPECT_EQ((*fused)->acceleratorOf(0, 0), "fused");
        ASSERT_TRUE(setValues<float>(**fused, left, x));
        ASSERT_TRUE(setValues<float>(**fused, right, z));
        ASSERT_TRUE((*fused)->run(0));
        std::vector<float> got = tensorValues<float>(**fused, output);
        ASSERT_EQ(got.size(), x.size());
        int wrong = 0;
        for (size_t i = 0; i < got.size(); ++i) {
            float s = x[i] + z[i];
            float want = s >= 0 ? s : s * (i % 2 ? 0.25f : 0.5f);
            wrong += got[i] != want;
        }
        std::cout << "  ADD fused into PRELU, " << threads << " thread(s): " << got.size() << " outputs checked, " << wrong
                  << " wrong, e.g. a=" << x[0] << " b=" << z[0] << " -> " << got[0] << "\n";
        EXPECT_EQ(wrong, 0);
    }
}

}  // namespace
}  // namespace litestudio

namespace litestudio {
namespace {

// x [1,6,6,8] -PAD 1 all round-> p [1,8,8,8], read by a 3x3 stride-2
// depthwise (-> a [1,3,3,8]) and a 3x3 stride-1 one (-> b [1,6,6,8]), and
// with `alsoAdded`, by an ADD p + p (-> c) as well.
struct SharedPadModel {
    ModelBuilder builder;
    int input = 0;
    std::vector<int> outputs;
};

SharedPadModel sharedPadModel(bool alsoAdded) {
    SharedPadModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"x", DataType::Float32, {1, 6, 6, 8}});
    int paddings = b.addConstant("paddings", DataType::Int32, {4, 2}, bytesOf<int32_t>({0, 0, 1, 1, 1, 1, 0, 0}));
    int padded = b.addTensor({"p", DataType::Float32, {1, 8, 8, 8}});
    b.addOp({schema::BuiltinOperator_PAD, {}, {m.input, paddings}, {padded}});
    for (int stride : {2, 1}) {
        std::vector<float> weights;
        for (int i = 0; i < 72; ++i) weights.push_back(float((i * 7 + stride) % 11) * 0.1f - 0.5f);
        int filter = b.addFloatConstant(stride == 2 ? "w2" : "w1", {1, 3, 3, 8}, weights);
        int bias = b.addFloatConstant(stride == 2 ? "b2" : "b1", {8}, std::vector<float>(8, 0.25f));
        const int side = stride == 2 ? 3 : 6;
        int out = b.addTensor({stride == 2 ? "a" : "b", DataType::Float32, {1, side, side, 8}});
        b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {padded, filter, bias}, {out}, [stride](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{
                         schema::BuiltinOptions_DepthwiseConv2DOptions,
                         schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_VALID, stride, stride, 1).o};
                 }});
        m.outputs.push_back(out);
    }
    if (alsoAdded) {
        int sum = b.addTensor({"c", DataType::Float32, {1, 8, 8, 8}});
        b.addOp({schema::BuiltinOperator_ADD, {}, {padded, padded}, {sum}});
        m.outputs.push_back(sum);
    }
    b.setInputs({m.input});
    b.setOutputs(m.outputs);
    return m;
}

TEST(OpFusion, APadReadByTwoConvolutionsFoldsIntoBoth) {
    for (bool alsoAdded : {false, true}) {
        SharedPadModel m = sharedPadModel(alsoAdded);
        std::vector<float> x(6 * 6 * 8);
        for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 13) - 6.0f;
        auto reference = compileBuilt(m.builder, {"reference"});
        auto cpu = compileBuilt(m.builder, {"cpu", "reference"});
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(cpu) << cpu.errorMessage();
        ASSERT_TRUE(setValues<float>(**reference, m.input, x));
        ASSERT_TRUE(setValues<float>(**cpu, m.input, x));
        ASSERT_TRUE((*reference)->run(0));
        ASSERT_TRUE((*cpu)->run(0));
        // Fused only when every reader is a convolution that pads as it reads.
        const std::string pad((*cpu)->acceleratorOf(0, 0));
        std::cout << "  read by two depthwise convolutions" << (alsoAdded ? " and an ADD" : "") << ": PAD runs on " << pad << "\n";
        EXPECT_EQ(pad, alsoAdded ? "cpu" : "fused");
        for (int output : m.outputs) {
            std::vector<float> want = tensorValues<float>(**reference, output), got = tensorValues<float>(**cpu, output);
            ASSERT_EQ(got.size(), want.size());
            float worst = 0;
            for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
            std::cout << "    output " << output << ": " << got.size() << " values, largest difference " << worst << "\n";
            EXPECT_LE(worst, 1e-5f);
        }
    }
}

}  // namespace
}  // namespace litestudio

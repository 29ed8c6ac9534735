// A stem CONV_2D (3x3 over an image of 1-4 channels) whose result only a
// depthwise-separable block reads, the block's 1x1 pruned: on the cpu
// accelerator the block makes the stem's rows itself, channel-major
// (core/runtime/stem_fusion.h, accelerators/cpu/channel_major_stem.h), and
// the profile calls it CONV_2D+DEPTHWISE_CONV_2D+CONV_2D (fused), the stem
// "fused". It must match the reference, which runs every op as written,
// within 1e-5 of the largest output. Cases: pose detection's shape (a PAD
// folded into a VALID stem at stride 2, 24 channels: two passes of 12), a
// SAME stem on odd sizes (a last vector of pixels part empty) on two
// threads and a batch of two, stride 1 over one channel (20 channels:
// 12 + 4 + 4), four image channels and 13 outputs (a last channel alone),
// three channels at stride 1 and two at stride 2 (image columns 1, 3, 4,
// 6 and 8 floats apart in the split rows).
// Left alone: a stem whose result is also a model output, and a block
// whose 1x1 is dense (not the channel-major kernel's).

#include <cmath>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

struct StemCase {
    int batch, height, width, imageChannels, channels, outChannels, stride;
    bool padOp;  // a PAD of one each side, then a VALID stem; else a SAME stem
    double nonzeros;
    bool stemIsOutput;
    int threads;
    bool fuses;
};

struct StemModel {
    ModelBuilder builder;
    int input = -1, output = -1;
};

StemModel stemModel(const StemCase& c, std::mt19937& random) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    auto randomValues = [&](size_t count, float scale) { return testing::randomFloats(random, count, scale); };
    StemModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"image", DataType::Float32, {c.batch, c.height, c.width, c.imageChannels}});
    int x = m.input;
    int height = c.height, width = c.width;
    if (c.padOp) {
        const int paddings = b.addConstant("paddings", DataType::Int32, {4, 2}, testing::bytesOf<int32_t>({0, 0, 1, 1, 1, 1, 0, 0}));
        x = b.addTensor({"padded", DataType::Float32, {c.batch, c.height + 2, c.width + 2, c.imageChannels}});
        b.addOp({schema::BuiltinOperator_PAD, {}, {m.input, paddings}, {x}});
        height += 2, width += 2;
    }
    const int outH = c.padOp ? (height - 3) / c.stride + 1 : (height + c.stride - 1) / c.stride;
    const int outW = c.padOp ? (width - 3) / c.stride + 1 : (width + c.stride - 1) / c.stride;
    const int stemFilter = b.addFloatConstant("stem_w", {c.channels, 3, 3, c.imageChannels},
                                              randomValues(size_t(c.channels * 9 * c.imageChannels), 2.0f));
    const int stemBias = b.addFloatConstant("stem_b", {c.channels}, randomValues(size_t(c.channels), 1.0f));
    const int stem = b.addTensor({"stem", DataType::Float32, {c.batch, outH, outW, c.channels}});
    const int stride = c.stride;
    const auto padding = c.padOp ? schema::Padding_VALID : schema::Padding_SAME;
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {x, stemFilter, stemBias}, {stem}, [stride, padding](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_Conv2DOptions,
                     schema::CreateConv2DOptions(fbb, padding, stride, stride, schema::ActivationFunctionType_RELU6).o};
             }});
    const int depthwiseFilter = b.addFloatConstant("dw_w", {1, 3, 3, c.channels}, randomValues(size_t(9 * c.channels), 1.0f));
    const int depthwiseBias = b.addFloatConstant("dw_b", {c.channels}, randomValues(size_t(c.channels), 1.0f));
    const int depthwise = b.addTensor({"dw", DataType::Float32, {c.batch, outH, outW, c.channels}});
    b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {stem, depthwiseFilter, depthwiseBias}, {depthwise},
             [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_DepthwiseConv2DOptions,
                                                     schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_SAME, 1, 1, 1,
                                                                                          schema::ActivationFunctionType_RELU6)
                                                         .o};
             }});
    std::vector<float> weights(size_t(c.outChannels * c.channels));
    for (float& w : weights) w = chance(random) < c.nonzeros ? values(random) : 0.0f;
    const int pointwiseFilter = b.addFloatConstant("pw_w", {c.outChannels, 1, 1, c.channels}, weights);
    const int pointwiseBias = b.addFloatConstant("pw_b", {c.outChannels}, randomValues(size_t(c.outChannels), 1.0f));
    m.output = b.addTensor({"y", DataType::Float32, {c.batch, outH, outW, c.outChannels}});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {depthwise, pointwiseFilter, pointwiseBias}, {m.output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_Conv2DOptions,
                     schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1, schema::ActivationFunctionType_NONE).o};
             }});
    b.setInputs({m.input});
    b.setOutputs(c.stemIsOutput ? std::vector<int>{m.output, stem} : std::vector<int>{m.output});
    return m;
}

TEST(StemFusion, BlockMakesTheStemRowsItReads) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the channel-major block is not used here";
    const std::vector<StemCase> cases = {
        {1, 96, 96, 3, 24, 16, 2, true, 0.3, false, 1, true},
        {2, 67, 75, 3, 24, 16, 2, false, 0.3, false, 2, true},
        {1, 40, 36, 1, 20, 16, 1, false, 0.3, false, 1, true},
        {1, 70, 66, 4, 13, 24, 2, true, 0.3, false, 1, true},
        {1, 45, 47, 3, 24, 16, 1, false, 0.3, false, 1, true},   // three channels at stride 1: 3 floats a column
        {1, 81, 79, 2, 24, 16, 2, false, 0.3, false, 2, true},   // two at stride 2: 4 floats a column
        {1, 96, 96, 3, 24, 16, 2, true, 0.3, true, 1, false},   // the stem's result is also an output
        {1, 96, 96, 3, 24, 16, 2, true, 1.0, false, 1, false},  // a dense 1x1: the dense block's
    };
    std::mt19937 random(31);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const StemCase& c : cases) {
        StemModel m = stemModel(c, random);
        auto reference = testing::compileBuilt(m.builder, {"reference"});
        auto cpu = testing::compileBuilt(m.builder, {"cpu", "reference"}, c.threads);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(cpu) << cpu.errorMessage();
        std::vector<float> image(size_t(c.batch * c.height * c.width * c.imageChannels));
        for (float& v : image) v = values(random);
        const double worst = testing::largestDifference(**cpu, **reference, m.input, image, m.output, false);
        double largest = 1;
        for (float v : testing::tensorValues<float>(**reference, m.output)) largest = std::max(largest, double(std::fabs(v)));
        const Model& compiled = (*cpu)->model();
        const Subgraph& graph = compiled.subgraphs[0];
        int blocks = 0;
        std::string names;
        for (size_t o = 0; o < graph.ops.size(); ++o) {
            const std::string name = compiled.runtimeOpName(graph.ops[o]);
            blocks += name == "CONV_2D+DEPTHWISE_CONV_2D+CONV_2D (fused)";
            names += (o ? ", " : "") + name + " [" + std::string((*cpu)->acceleratorOf(0, static_cast<int>(o))) + "]";
        }
        std::cout << "  " << c.batch << "x" << c.height << "x" << c.width << "x" << c.imageChannels << " -> stem " << c.channels
                  << " at stride " << c.stride << (c.padOp ? " (PAD, VALID)" : " (SAME)") << " -> " << c.outChannels << " at "
                  << c.nonzeros * 100 << " % nonzero, " << c.threads << " thread(s): " << names << "; largest difference " << worst
                  << " of " << largest << "\n";
        EXPECT_EQ(blocks, c.fuses ? 1 : 0);
        EXPECT_LE(worst, 1e-5 * largest);
    }
}

}  // namespace
}  // namespace litestudio

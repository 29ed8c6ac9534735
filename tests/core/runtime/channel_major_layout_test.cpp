// Three pruned inverted residual blocks in a row (1x1 24 -> 144, 3x3
// depthwise, 1x1 144 -> 24), the second adding the first's result and the
// third at stride 2, as pose detection's 56x56 stretch: on the cpu
// accelerator each runs channel-major (sparse_inverted_residual.h), and
// the tensors between them stay channel-major (core/runtime/
// channel_major_layout.h): the first's result, which the second reads and
// adds, and the second's, which the third reads. The model's input and
// output stay NHWC. The output must match the reference, which runs every
// op as written, within 1e-5 of the largest value; on one and two threads,
// on an odd width (the planes' rows end part way through a vector, and at
// stride 2 the odd columns are one fewer).

#include <cmath>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

struct ChainModel {
    ModelBuilder builder;
    int input = -1, first = -1, second = -1, output = -1;
};

// x -> 1x1 (RELU6) -> depthwise (RELU6) -> 1x1 [-> ADD residual] into a new tensor.
int invertedResidual(ModelBuilder& b, std::mt19937& random, int x, int height, int width, int stride, int residual, const char* name) {
    constexpr int kChannels = 24, kExpanded = 144;
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    auto pruned = [&](int rows, int columns) {
        std::vector<float> weights = testing::randomFloats(random, size_t(rows * columns));
        for (float& w : weights) w = chance(random) < 0.25 ? w : 0.0f;
        return weights;
    };
    const std::string prefix = name;
    auto conv = [&](int in, int filter, int bias, int out, schema::ActivationFunctionType activation) {
        b.addOp({schema::BuiltinOperator_CONV_2D, {}, {in, filter, bias}, {out}, [activation](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                         schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1, activation).o};
                 }});
    };
    const int outH = (height + stride - 1) / stride, outW = (width + stride - 1) / stride;
    const int expanded = b.addTensor({prefix + "_e", DataType::Float32, {1, height, width, kExpanded}});
    conv(x, b.addFloatConstant(prefix + "_ew", {kExpanded, 1, 1, kChannels}, pruned(kExpanded, kChannels)),
         b.addFloatConstant(prefix + "_eb", {kExpanded}, testing::randomFloats(random, kExpanded)), expanded,
         schema::ActivationFunctionType_RELU6);
    const int depthwise = b.addTensor({prefix + "_d", DataType::Float32, {1, outH, outW, kExpanded}});
    b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D,
             {},
             {expanded, b.addFloatConstant(prefix + "_dw", {1, 3, 3, kExpanded}, testing::randomFloats(random, 9 * kExpanded)),
              b.addFloatConstant(prefix + "_db", {kExpanded}, testing::randomFloats(random, kExpanded))},
             {depthwise},
             [stride](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_DepthwiseConv2DOptions,
                                                     schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_SAME, stride, stride, 1,
                                                                                          schema::ActivationFunctionType_RELU6)
                                                         .o};
             }});
    const int projected = b.addTensor({prefix + "_p", DataType::Float32, {1, outH, outW, kChannels}});
    conv(depthwise, b.addFloatConstant(prefix + "_pw", {kChannels, 1, 1, kExpanded}, pruned(kChannels, kExpanded)),
         b.addFloatConstant(prefix + "_pb", {kChannels}, testing::randomFloats(random, kChannels)), projected,
         schema::ActivationFunctionType_NONE);
    if (residual < 0) return projected;
    const int sum = b.addTensor({prefix + "_y", DataType::Float32, {1, outH, outW, kChannels}});
    b.addOp({schema::BuiltinOperator_ADD, {}, {residual, projected}, {sum}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb).o};
             }});
    return sum;
}

ChainModel chainModel(int height, int width, std::mt19937& random) {
    ChainModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"x", DataType::Float32, {1, height, width, 24}});
    m.first = invertedResidual(b, random, m.input, height, width, 1, -1, "a");
    m.second = invertedResidual(b, random, m.first, height, width, 1, m.first, "b");
    m.output = invertedResidual(b, random, m.second, height, width, 2, -1, "c");
    b.setInputs({m.input});
    b.setOutputs({m.output});
    return m;
}

TEST(ChannelMajorLayout, BlocksHandTheirResultsOnChannelMajor) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the channel-major blocks are not used here";
    std::mt19937 random(37);
    for (const auto& [height, width, threads] : std::vector<std::tuple<int, int, int>>{{40, 40, 1}, {36, 45, 2}}) {
        ChainModel m = chainModel(height, width, random);
        auto reference = testing::compileBuilt(m.builder, {"reference"});
        auto cpu = testing::compileBuilt(m.builder, {"cpu", "reference"}, threads);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(cpu) << cpu.errorMessage();
        const std::vector<float> x = testing::randomFloats(random, size_t(height * width * 24), 2.0f);
        const double worst = testing::largestDifference(**cpu, **reference, m.input, x, m.output, false);
        double largest = 1;
        for (float v : testing::tensorValues<float>(**reference, m.output)) largest = std::max(largest, double(std::fabs(v)));
        CompiledModel& model = **cpu;
        const bool first = model.tensor(0, m.first).channelMajor, second = model.tensor(0, m.second).channelMajor;
        std::cout << "  " << height << "x" << width << "x24, three blocks, " << threads << " thread(s): first result "
                  << (first ? "channel-major" : "NHWC") << ", second " << (second ? "channel-major" : "NHWC") << ", input "
                  << (model.tensor(0, m.input).channelMajor ? "channel-major" : "NHWC") << ", output "
                  << (model.tensor(0, m.output).channelMajor ? "channel-major" : "NHWC") << "; largest difference " << worst << " of "
                  << largest << "\n";
        EXPECT_TRUE(first);
        EXPECT_TRUE(second);
        EXPECT_FALSE(model.tensor(0, m.input).channelMajor);
        EXPECT_FALSE(model.tensor(0, m.output).channelMajor);
        EXPECT_LE(worst, 1e-5 * largest);
    }
}

}  // namespace
}  // namespace litestudio

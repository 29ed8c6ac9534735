// Depthwise-separable blocks written op by op (DEPTHWISE_CONV_2D at stride
// 1 -> 1x1 CONV_2D -> ADD of the block's input) on the cpu accelerator: the
// chain becomes one op (the profile calls it DEPTHWISE_CONV_2D+CONV_2D+ADD,
// the others report "fused") and matches the reference, which runs every op,
// within 1e-5 of the largest output (float sums in another order). Cases:
// 8 channels (the depthwise's two-pixels-a-vector path) on odd widths, each
// activation placement, a folded PAD, batches and two threads, output
// channels past one 64-channel chunk and off the 16-lane block, 200 channels
// (the 1x1 GEMM takes its inputs in two ranges, the ADD after the last), dilated
// depthwises (rates 2 to 8, 8 channels, a folded PAD), 288 and 480 channels
// on rows of 33, 144 channels
// narrowed to 24 (pose detection's), no ADD, an
// ADD of another tensor ready before the block (fused) and of one computed
// after it (the ADD stays), and a model whose declared shapes miss the
// plane shrinking (found by the fuzz seed), and 1x1s to at most 8 outputs
// (two pixels a vector; from at most 8 channels without interleaving) on
// odd widths. Blocks it must leave alone: stride 2, a
// depthwise result read twice, more than 256 channels on short rows, and
// pruned 1x1 weights (the sparse kernel's) on short rows. Pruned 1x1s on
// rows of 32 or more with enough nonzeros: the block runs channel-major
// (sparse_inverted_residual.h).

#include <cmath>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/sparse_inverted_residual.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using schema::ActivationFunctionType;
using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU, schema::ActivationFunctionType_RELU6;

enum class Ending { Residual, ResidualSwapped, NoAdd, AddOfAnother, AddOfLater, DepthwiseReadTwice };

struct BlockCase {
    int batch, height, width, channels, outChannels, kernel, stride, padBefore;
    ActivationFunctionType depthwiseActivation, pointwiseActivation, sumActivation;
    Ending ending;
    int threads;
    bool fuses;
    bool pruned = false;  // three in four 1x1 weights zero, as pose detection's
    bool declaresInputSize = false;  // the model declares the block's tensors the input's size, though the filter shrinks them
    bool channelMajor = false;  // sparseInvertedResidualKernel takes the fused op
    int dilation = 1;           // the depthwise's, over rows and columns
};

struct BlockModel {
    ModelBuilder builder;
    int input = -1, output = -1;
    int depthwise = 0;  // the DEPTHWISE_CONV_2D's op index
};

BlockModel blockModel(const BlockCase& c, std::mt19937& random) {
    auto randomValues = [&](size_t count) { return testing::randomFloats(random, count); };
    BlockModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.channels}});
    int convolved = m.input;
    if (c.padBefore > 0) {
        const int p = c.padBefore;
        int paddings = b.addConstant("paddings", DataType::Int32, {4, 2}, testing::bytesOf<int32_t>({0, 0, p, p, p, p, 0, 0}));
        convolved = b.addTensor({"padded", DataType::Float32, {c.batch, c.height + 2 * p, c.width + 2 * p, c.channels}});
        b.addOp({schema::BuiltinOperator_PAD, {}, {m.input, paddings}, {convolved}});
        m.depthwise = 1;
    }
    const auto padding = c.padBefore > 0 ? schema::Padding_VALID : schema::Padding_SAME;
    auto outSize = [&](int in) {
        if (c.declaresInputSize || padding == schema::Padding_SAME) return (in + c.stride - 1) / c.stride;
        return (in + 2 * c.padBefore - ((c.kernel - 1) * c.dilation + 1)) / c.stride + 1;
    };
    const int outH = outSize(c.height), outW = outSize(c.width);
    int depthwiseFilter = b.addFloatConstant("dw", {1, c.kernel, c.kernel, c.channels},
                                             randomValues(static_cast<size_t>(c.kernel * c.kernel * c.channels)));
    int depthwiseBias = b.addFloatConstant("dw_bias", {c.channels}, randomValues(static_cast<size_t>(c.channels)));
    int d = b.addTensor({"d", DataType::Float32, {c.batch, outH, outW, c.channels}});
    b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {convolved, depthwiseFilter, depthwiseBias}, {d},
             [c, padding](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_DepthwiseConv2DOptions,
                     schema::CreateDepthwiseConv2DOptions(fbb, padding, c.stride, c.stride, 1, c.depthwiseActivation, c.dilation, c.dilation).o};
             }});
    std::vector<float> pointwiseWeights = randomValues(static_cast<size_t>(c.outChannels * c.channels));
    for (size_t i = 0; c.pruned && i < pointwiseWeights.size(); ++i)
        if (i % 4 != 0) pointwiseWeights[i] = 0.0f;
    int pointwiseFilter = b.addFloatConstant("pw", {c.outChannels, 1, 1, c.channels}, pointwiseWeights);
    int pointwiseBias = b.addFloatConstant("pw_bias", {c.outChannels}, randomValues(static_cast<size_t>(c.outChannels)));
    int p = b.addTensor({"p", DataType::Float32, {c.batch, outH, outW, c.outChannels}});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {d, pointwiseFilter, pointwiseBias}, {p}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                     schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1, c.pointwiseActivation).o};
             }});
    auto add = [&](int left, int right, int out) {
        b.addOp({schema::BuiltinOperator_ADD, {}, {left, right}, {out}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb, c.sumActivation).o};
                 }});
    };
    m.output = p;
    const std::vector<int32_t> outShape{c.batch, outH, outW, c.outChannels};
    switch (c.ending) {
    case Ending::Residual:
    case Ending::ResidualSwapped:
        m.output = b.addTensor({"y", DataType::Float32, outShape});
        c.ending == Ending::Residual ? add(m.input, p, m.output) : add(p, m.input, m.output);
        break;
    case Ending::AddOfAnother: {
        int other = b.addFloatConstant("other", outShape, randomValues(static_cast<size_t>(c.batch * outH * outW * c.outChannels)));
        m.output = b.addTensor({"y", DataType::Float32, outShape});
        add(other, p, m.output);
        break;
    }
    case Ending::AddOfLater: {
        // RELU(x), computed after the 1x1: not ready when the fused op runs.
        int later = b.addTensor({"later", DataType::Float32, outShape});
        b.addOp({schema::BuiltinOperator_RELU, {}, {m.input}, {later}});
        m.output = b.addTensor({"y", DataType::Float32, outShape});
        add(later, p, m.output);
        break;
    }
    case Ending::DepthwiseReadTwice:
        m.output = b.addTensor({"y", DataType::Float32, outShape});
        add(d, p, m.output);
        break;
    case Ending::NoAdd: break;
    }
    b.setInputs({m.input});
    b.setOutputs({m.output});
    return m;
}

const char* endingName(Ending ending) {
    switch (ending) {
    case Ending::Residual: return "ADD(x, 1x1)";
    case Ending::ResidualSwapped: return "ADD(1x1, x)";
    case Ending::NoAdd: return "no ADD";
    case Ending::AddOfAnother: return "ADD(other, 1x1)";
    case Ending::AddOfLater: return "ADD(RELU(x) computed after, 1x1)";
    case Ending::DepthwiseReadTwice: return "ADD(depthwise, 1x1)";
    }
    return "";
}

TEST(FloatSeparableBlock, MatchesTheReferenceAndFusesWhereItShould) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const auto None = ActivationFunctionType_NONE, Relu = ActivationFunctionType_RELU, Relu6 = ActivationFunctionType_RELU6;
    const std::vector<BlockCase> cases = {
        {1, 13, 21, 8, 8, 3, 1, 0, Relu6, None, Relu6, Ending::Residual, 1, true},  // pose landmark's 8-channel blocks
        {1, 9, 19, 8, 8, 5, 1, 0, None, Relu, None, Ending::ResidualSwapped, 2, true},
        {2, 10, 11, 32, 32, 5, 1, 0, Relu, None, Relu6, Ending::Residual, 2, true},  // palm detection's
        {1, 7, 9, 24, 24, 3, 1, 1, None, None, Relu, Ending::Residual, 1, true},     // a folded PAD
        {1, 6, 13, 24, 40, 3, 1, 0, Relu6, Relu, None, Ending::NoAdd, 1, true},       // 2.5 output vectors
        {1, 5, 7, 20, 100, 7, 1, 0, None, None, None, Ending::NoAdd, 2, true},        // two chunks of outputs
        {1, 8, 8, 16, 16, 3, 1, 0, None, None, Relu6, Ending::AddOfAnother, 1, true},  // BlazeFace adds an earlier tensor
        {1, 8, 8, 16, 16, 3, 1, 0, None, None, Relu6, Ending::AddOfLater, 2, true},    // the 1x1 fused, the ADD not
        {1, 4, 3, 128, 128, 5, 1, 0, Relu6, None, None, Ending::Residual, 1, true},   // narrower than the kernel
        {1, 6, 9, 200, 200, 3, 1, 0, None, Relu, Relu6, Ending::Residual, 2, true},   // the 1x1's inputs in two ranges, ADD after the last
        {1, 9, 9, 16, 16, 3, 2, 0, None, None, None, Ending::NoAdd, 1, false},
        {1, 8, 8, 16, 16, 3, 1, 0, None, None, None, Ending::DepthwiseReadTwice, 1, false},
        {1, 7, 9, 144, 24, 3, 1, 0, Relu6, None, None, Ending::AddOfAnother, 2, true},  // pose detection's 56x56 144 -> 24
        // At most 8 outputs, two pixels a vector: full-range face
        // detection's 32 -> 8, 5 outputs on an odd width, 64 channels (the
        // most it pairs) and 65 (not paired), each past a group of 8 pairs.
        {1, 11, 23, 32, 8, 3, 1, 0, Relu6, None, None, Ending::NoAdd, 2, true},
        {1, 7, 37, 24, 5, 5, 1, 0, None, Relu, Relu6, Ending::AddOfAnother, 1, true},
        {1, 5, 20, 64, 8, 3, 1, 0, None, Relu6, None, Ending::AddOfAnother, 1, true},
        {1, 5, 19, 65, 7, 3, 1, 0, None, None, None, Ending::NoAdd, 1, true},
        {1, 6, 21, 45, 6, 3, 1, 0, Relu, None, None, Ending::NoAdd, 2, true},  // 45 = 16 + 16 + 13 channels interleaved
        // At most 8 channels: a pair's floats as they lie, spread by permutes
        // (pose landmark's 8 -> 8 above; 5 -> 3 and 8 -> 6: masked pair loads
        // and stores, past a group of 4 pairs, an odd pixel last).
        {1, 7, 23, 5, 3, 3, 1, 0, None, Relu6, None, Ending::AddOfAnother, 1, true},
        {1, 6, 19, 8, 6, 5, 1, 0, Relu, None, None, Ending::NoAdd, 2, true},
        // Past 256 channels only on rows of 24 pixels or more.
        {1, 6, 6, 272, 272, 3, 1, 0, None, None, None, Ending::Residual, 1, false},
        {1, 5, 14, 288, 288, 3, 1, 0, None, None, None, Ending::Residual, 1, false},
        {1, 7, 33, 288, 80, 3, 1, 0, Relu6, None, None, Ending::NoAdd, 2, true},
        // Dilated (DeepLab's atrous blocks): rows dilation apart, columns in
        // phases; 8 channels, where phases take the general rows, a rate
        // past the plane, and a folded PAD of 4 under a 5x5 of rate 2 (span 9).
        {1, 13, 29, 24, 16, 3, 1, 0, Relu6, None, None, Ending::AddOfAnother, 1, true, false, false, false, 2},
        {2, 11, 17, 8, 8, 3, 1, 0, None, Relu, Relu6, Ending::Residual, 2, true, false, false, false, 4},
        {1, 9, 33, 480, 80, 3, 1, 0, Relu6, None, None, Ending::NoAdd, 2, true, false, false, false, 4},
        {1, 5, 6, 32, 32, 3, 1, 0, None, None, None, Ending::Residual, 1, true, false, false, false, 8},
        {1, 10, 12, 16, 24, 5, 1, 4, None, None, Relu, Ending::NoAdd, 1, true, false, false, false, 2},
        {1, 6, 6, 96, 96, 3, 1, 0, None, None, None, Ending::Residual, 1, false, true},  // the sparse 1x1 kernel's
        // A pruned 1x1 whose nonzeros a pixel are at least 2.2 times the
        // channels the block transposes a pixel: the block runs channel-major.
        {1, 20, 112, 24, 16, 3, 1, 0, Relu6, None, None, Ending::NoAdd, 1, true, true, false, true},  // pose detection's 112x112 (2.4)
        {2, 13, 45, 48, 48, 5, 1, 0, Relu, None, Relu6, Ending::Residual, 2, true, true, false, true},  // 6; bands split images
        {1, 9, 40, 24, 48, 3, 1, 1, None, Relu6, None, Ending::NoAdd, 1, true, true, false, true},       // a folded PAD
        {1, 12, 96, 32, 8, 3, 1, 0, Relu6, None, None, Ending::NoAdd, 1, true, true, false, false},      // 1.6: the dense block's
        // 5x5 after a PAD of 1: the plane shrinks by 2 though the model says
        // it keeps its size; the runtime's shapes are the filter's
        {1, 5, 6, 12, 20, 5, 1, 1, None, Relu6, None, Ending::NoAdd, 1, true, false, true},
    };
    std::mt19937 random(11);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const BlockCase& c : cases) {
        BlockModel m = blockModel(c, random);
        std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.channels));
        for (float& v : x) v = values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(m.builder, m.input, x, m.output, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const Model& compiled = compared.cpu->model();
        const std::string name = compiled.runtimeOpName(compiled.subgraphs[0].ops[static_cast<size_t>(m.depthwise)]);
        std::cout << "  " << c.kernel << "x" << c.kernel << "/" << c.stride << (c.dilation > 1 ? " rate " + std::to_string(c.dilation) : "")
                  << (c.padBefore ? " after PAD" : "") << ", " << c.batch << "x"
                  << c.height << "x" << c.width << "x" << c.channels << " -> " << c.outChannels << ", " << endingName(c.ending) << ", "
                  << c.threads << " thread(s): ran as " << name << ", largest difference " << compared.worst << " (largest output "
                  << compared.largest << ")\n";
        const Op& depthwiseOp = compiled.subgraphs[0].ops[static_cast<size_t>(m.depthwise)];
        const bool channelMajor = cpu::sparseInvertedResidualKernel(compiled, compiled.subgraphs[0], depthwiseOp) != nullptr;
        std::cout << "    channel-major: " << (channelMajor ? "yes" : "no") << "\n";
        EXPECT_EQ(channelMajor, c.channelMajor);
        const bool fused = name.find("(fused)") != std::string::npos;
        EXPECT_EQ(fused, c.fuses) << name;
        if (fused) {
            const bool residual = c.ending == Ending::Residual || c.ending == Ending::ResidualSwapped || c.ending == Ending::AddOfAnother;
            EXPECT_EQ(name, residual ? "DEPTHWISE_CONV_2D+CONV_2D+ADD (fused)" : "DEPTHWISE_CONV_2D+CONV_2D (fused)");
        }
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

}  // namespace
}  // namespace litestudio

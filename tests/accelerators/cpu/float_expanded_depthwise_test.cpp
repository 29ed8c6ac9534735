// A 1x1 CONV_2D whose result only a DEPTHWISE_CONV_2D reads, written op by
// op, on the cpu accelerator: where the 1x1's result is 1 MiB or more the
// pair becomes one op (the profile calls it CONV_2D+DEPTHWISE_CONV_2D) and
// matches the reference, which runs both, within 1e-5 of the largest output
// (float sums in another order). Cases: pose landmark's 128x128 16 -> 64
// then 3x3 stride 2 (here 64x64), pose detection's 56x56 24 -> 144 then a
// PAD and 5x5 stride 2, stride 1 on odd sizes, a 7x7 VALID filter, three
// images split between two threads mid-image, two images no taller than the
// filter (rows made for one are not the next's), dilated depthwises (the
// ring's rows taken phase by phase), 8 expanded channels (the
// depthwise's two-pixels-a-vector rows), and a RELU op after the 1x1
// (folded into it first). With a 1x1 after the depthwise (and an ADD of
// the block's input) the separable block takes the expansion too: the
// whole inverted residual block is one op, CONV_2D+DEPTHWISE_CONV_2D+
// CONV_2D+ADD; at stride 2 only pruned blocks are taken so, channel-major. Pairs it must leave alone: a 1x1 result read by
// another op too, one under 1 MiB, and pruned 1x1 weights (the sparse
// kernel's). With a swish after the 1x1 (LOGISTIC and MUL, or HARD_SWISH:
// EfficientNet's and MobileNetV3's expansions) the pair fuses too, the
// swish made as the ring's rows are, and the depthwise's own swish goes
// into the same op; not when the 1x1's result before the swish is read
// elsewhere too.

#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/sparse_inverted_residual.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using schema::ActivationFunctionType;
using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU, schema::ActivationFunctionType_RELU6;

enum class Variant {
    Plain, PadBefore, ReluOp, ExpandedReadTwice, Pruned, Projected, InvertedResidual, PrunedProjected, PrunedBlock, PrunedBlockAfterPad,
    PrunedProjectedAfterPad, PrunedProjectedAfterWidePad
};

struct ExpansionCase {
    int batch, height, width, inChannels, expanded, kernel, stride;
    schema::Padding padding;
    ActivationFunctionType expandActivation, depthwiseActivation;
    Variant variant;
    int threads;
    bool fuses;
    bool channelMajor = false;  // sparseInvertedResidualKernel takes the fused op
    int dilation = 1;           // the depthwise's, over rows and columns
};

bool pruned(Variant v) {
    return v == Variant::Pruned || v == Variant::PrunedProjected || v == Variant::PrunedBlock || v == Variant::PrunedBlockAfterPad ||
           v == Variant::PrunedProjectedAfterPad || v == Variant::PrunedProjectedAfterWidePad;
}
bool projected(Variant v) {
    return v == Variant::Projected || v == Variant::PrunedProjected || v == Variant::InvertedResidual || v == Variant::PrunedBlock ||
           v == Variant::PrunedBlockAfterPad || v == Variant::PrunedProjectedAfterPad || v == Variant::PrunedProjectedAfterWidePad;
}
bool addsInput(Variant v) { return v == Variant::InvertedResidual || v == Variant::PrunedBlock || v == Variant::PrunedBlockAfterPad; }
// Three of every four weights zero, as pruning leaves them.
void prune(std::vector<float>& weights) {
    for (size_t i = 0; i < weights.size(); ++i)
        if (i % 4 != 0) weights[i] = 0.0f;
}

struct ExpansionModel {
    ModelBuilder builder;
    int input = -1, output = -1;
    int depthwise = 1;  // the DEPTHWISE_CONV_2D's op index
};

ExpansionModel expansionModel(const ExpansionCase& c, std::mt19937& random) {
    auto randomValues = [&](size_t count) { return testing::randomFloats(random, count); };
    ExpansionModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.inChannels}});
    std::vector<float> weights = randomValues(static_cast<size_t>(c.expanded * c.inChannels));
    if (pruned(c.variant)) prune(weights);
    int filter = b.addFloatConstant("expand", {c.expanded, 1, 1, c.inChannels}, weights);
    int bias = b.addFloatConstant("expand_bias", {c.expanded}, randomValues(static_cast<size_t>(c.expanded)));
    const std::vector<int32_t> expandedShape{c.batch, c.height, c.width, c.expanded};
    int e = b.addTensor({"e", DataType::Float32, expandedShape});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {m.input, filter, bias}, {e}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                     schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1, c.expandActivation).o};
             }});
    int depthwiseInput = e;
    int padBefore = 0;
    if (c.variant == Variant::ReluOp) {
        depthwiseInput = b.addTensor({"relu", DataType::Float32, expandedShape});
        b.addOp({schema::BuiltinOperator_RELU, {}, {e}, {depthwiseInput}});
        m.depthwise = 2;
    }
    if (c.variant == Variant::PadBefore || c.variant == Variant::PrunedBlockAfterPad || c.variant == Variant::PrunedProjectedAfterPad ||
        c.variant == Variant::PrunedProjectedAfterWidePad) {
        padBefore = c.variant == Variant::PrunedProjectedAfterWidePad ? 20 : c.kernel / 2;
        const int p = padBefore;
        int paddings = b.addConstant("paddings", DataType::Int32, {4, 2}, testing::bytesOf<int32_t>({0, 0, p, p, p, p, 0, 0}));
        depthwiseInput = b.addTensor({"padded", DataType::Float32, {c.batch, c.height + 2 * p, c.width + 2 * p, c.expanded}});
        b.addOp({schema::BuiltinOperator_PAD, {}, {e, paddings}, {depthwiseInput}});
        m.depthwise = 2;
    }
    auto outSize = [&](int in) {
        if (c.padding == schema::Padding_SAME) return (in + 2 * padBefore + c.stride - 1) / c.stride;
        return (in + 2 * padBefore - ((c.kernel - 1) * c.dilation + 1)) / c.stride + 1;
    };
    const std::vector<int32_t> outShape{c.batch, outSize(c.height), outSize(c.width), c.expanded};
    int depthwiseFilter =
        b.addFloatConstant("dw", {1, c.kernel, c.kernel, c.expanded}, randomValues(static_cast<size_t>(c.kernel * c.kernel * c.expanded)));
    int depthwiseBias = b.addFloatConstant("dw_bias", {c.expanded}, randomValues(static_cast<size_t>(c.expanded)));
    int d = b.addTensor({"d", DataType::Float32, outShape});
    b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {depthwiseInput, depthwiseFilter, depthwiseBias}, {d},
             [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_DepthwiseConv2DOptions,
                     schema::CreateDepthwiseConv2DOptions(fbb, c.padding, c.stride, c.stride, 1, c.depthwiseActivation, c.dilation, c.dilation).o};
             }});
    m.output = d;
    if (projected(c.variant)) {
        // A 1x1 back to the input's channels (a separable block with the
        // depthwise) and, for the whole inverted residual block, ADD(x, that).
        std::vector<float> projectionWeights = randomValues(static_cast<size_t>(c.inChannels * c.expanded));
        if (pruned(c.variant)) prune(projectionWeights);
        int projection = b.addFloatConstant("project", {c.inChannels, 1, 1, c.expanded}, projectionWeights);
        int projectionBias = b.addFloatConstant("project_bias", {c.inChannels}, randomValues(static_cast<size_t>(c.inChannels)));
        const std::vector<int32_t> projectedShape{outShape[0], outShape[1], outShape[2], c.inChannels};
        int p = b.addTensor({"p", DataType::Float32, projectedShape});
        b.addOp({schema::BuiltinOperator_CONV_2D, {}, {d, projection, projectionBias}, {p}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                         schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1).o};
                 }});
        m.output = p;
        if (addsInput(c.variant)) {
            m.output = b.addTensor({"y", DataType::Float32, projectedShape});
            b.addOp({schema::BuiltinOperator_ADD, {}, {m.input, p}, {m.output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                         return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb).o};
                     }});
        }
    }
    if (c.variant == Variant::ExpandedReadTwice) {
        // e is a second output of the model: it has to be written whole.
        b.setInputs({m.input});
        b.setOutputs({m.output, e});
        return m;
    }
    b.setInputs({m.input});
    b.setOutputs({m.output});
    return m;
}

TEST(FloatExpandedDepthwise, MatchesTheReferenceAndFusesWhereItShould) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const auto None = ActivationFunctionType_NONE, Relu = ActivationFunctionType_RELU, Relu6 = ActivationFunctionType_RELU6;
    const auto Same = schema::Padding_SAME, Valid = schema::Padding_VALID;
    const std::vector<ExpansionCase> cases = {
        {1, 64, 64, 16, 64, 3, 2, Same, Relu6, Relu6, Variant::Plain, 1, true},        // pose landmark's first expansion, smaller
        {1, 56, 56, 24, 144, 5, 2, Valid, Relu6, Relu6, Variant::PadBefore, 2, true},  // pose detection's, after its PAD
        {1, 37, 45, 20, 160, 3, 1, Same, None, Relu, Variant::Plain, 2, true},          // odd sizes, 2.5 blocks of 64
        {1, 40, 50, 12, 136, 7, 1, Valid, Relu, None, Variant::Plain, 1, true},         // 7x7 VALID
        {3, 20, 41, 8, 112, 5, 2, Same, Relu6, None, Variant::Plain, 2, true},          // bands split an image
        {1, 130, 260, 4, 8, 3, 1, Same, None, Relu6, Variant::Plain, 2, true},          // 8 channels: pairs of pixels
        {2, 3, 300, 16, 224, 3, 1, Same, None, None, Variant::Plain, 1, true},          // images of 3 rows: the ring starts afresh
        {1, 64, 64, 16, 64, 3, 1, Same, None, None, Variant::ReluOp, 1, true},          // RELU op folded into the 1x1
        {1, 64, 64, 24, 144, 3, 1, Same, Relu6, Relu6, Variant::InvertedResidual, 1, true},  // pose landmark's 64x64 block
        {2, 29, 31, 16, 160, 5, 1, Same, Relu, None, Variant::InvertedResidual, 2, true},    // bands split an image
        {1, 40, 44, 24, 160, 3, 1, Same, Relu6, Relu6, Variant::Projected, 2, true},         // no ADD
        {1, 64, 64, 16, 64, 3, 2, Same, None, None, Variant::ExpandedReadTwice, 1, false},
        {1, 16, 16, 32, 96, 3, 2, Same, Relu6, Relu6, Variant::Plain, 1, false},         // 96 KiB: stays in L2 anyway
        {1, 32, 32, 64, 384, 3, 1, Same, Relu6, Relu6, Variant::Pruned, 1, false},       // the sparse kernel's
        // Pruned 1x1s too narrow for the sparse kernel's transposes: the
        // block runs channel-major, nonzero by nonzero, where its nonzeros
        // a pixel are at least 16 times the channels it transposes a pixel.
        {1, 56, 56, 24, 144, 3, 1, Same, Relu6, Relu6, Variant::PrunedBlock, 1, true, true},  // pose detection's 56x56 block (36)
        {2, 23, 45, 24, 144, 5, 1, Same, Relu, None, Variant::PrunedBlock, 2, true, true},    // a partial vector, bands split images
        {1, 41, 44, 24, 160, 3, 1, Same, Relu6, None, Variant::PrunedProjected, 2, true, true},  // no ADD; a band starts mid-pair
        {1, 9, 70, 16, 120, 3, 1, Same, None, Relu6, Variant::PrunedBlock, 1, true, true},     // two column tiles
        {1, 20, 48, 24, 144, 5, 1, Valid, Relu6, Relu6, Variant::PrunedBlockAfterPad, 1, true, true},  // a PAD folded in
        // 32 -> 16 -> 32: 4 a channel; its separable block alone (16 -> 32, 2.7) is taken
        {1, 48, 48, 32, 16, 3, 1, Same, Relu6, Relu6, Variant::PrunedProjected, 1, false, true},
        {1, 24, 40, 16, 120, 3, 1, Same, None, Relu6, Variant::Pruned, 1, false, false},        // no projection: 120 transposed
        // At stride 2 the block's input columns are expanded even ones
        // first, then odd ones, so that a tap's inputs lie side by side.
        {1, 112, 112, 16, 64, 3, 2, Valid, Relu6, Relu6, Variant::PrunedProjectedAfterPad, 1, true, true},  // pose detection's first (16)
        {1, 56, 56, 24, 144, 5, 2, Valid, Relu6, Relu6, Variant::PrunedProjectedAfterPad, 2, true, true},  // and its 56x56 one
        {1, 56, 56, 24, 144, 3, 2, Same, Relu6, Relu6, Variant::PrunedProjected, 1, true, true},            // SAME: no padding before
        {2, 35, 67, 24, 144, 5, 2, Same, Relu, None, Variant::PrunedProjected, 2, true, true},  // odd sizes: an odd column fewer
        {1, 19, 33, 24, 144, 3, 2, Valid, None, Relu6, Variant::PrunedProjected, 2, true, true},  // VALID, odd: last column unread
        {1, 56, 56, 16, 32, 3, 2, Same, Relu6, Relu6, Variant::PrunedProjected, 1, false, false},   // 16 -> 32 -> 16 (5.3): the GEMM's
        {1, 8, 40, 24, 144, 3, 2, Valid, None, None, Variant::PrunedProjectedAfterWidePad, 1, false, false},  // 20 zeros left: past a margin
        {1, 28, 28, 24, 144, 3, 1, Same, Relu6, Relu6, Variant::PrunedBlock, 1, false, false},      // rows of 28 (and under 1 MiB)
        // Dilated: DeepLab's 33x33 80 -> 480 -> 80 blocks at rate 4, rows
        // taken phase by phase (every 4th), bands splitting phases; a 5x5
        // of rate 2 on odd sizes, two images, rate 3; without a 1x1 after it the
        // pair is left alone (the expansion's kernel has no dilation).
        {1, 33, 33, 80, 480, 3, 1, Same, Relu6, Relu6, Variant::InvertedResidual, 2, true, false, 4},
        {2, 21, 37, 24, 288, 5, 1, Same, Relu, None, Variant::Projected, 1, true, false, 2},
        {1, 25, 30, 16, 384, 3, 1, Same, None, Relu6, Variant::InvertedResidual, 2, true, false, 3},  // rows 3 apart in a ring of 3
        {1, 33, 33, 32, 288, 3, 1, Same, Relu6, Relu6, Variant::Plain, 1, false, false, 2},
    };
    std::mt19937 random(17);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const ExpansionCase& c : cases) {
        ExpansionModel m = expansionModel(c, random);
        std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.inChannels));
        for (float& v : x) v = values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(m.builder, m.input, x, m.output, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const Model& compiled = compared.cpu->model();
        const std::string name = compiled.runtimeOpName(compiled.subgraphs[0].ops[static_cast<size_t>(m.depthwise)]);
        std::cout << "  " << c.batch << "x" << c.height << "x" << c.width << "x" << c.inChannels << " -> " << c.expanded << ", then "
                  << c.kernel << "x" << c.kernel << "/" << c.stride << (c.dilation > 1 ? " rate " + std::to_string(c.dilation) : "")
                  << (c.padding == Same ? " SAME" : " VALID") << ", " << c.threads
                  << " thread(s): ran as " << name << " on " << compared.cpu->acceleratorOf(0, m.depthwise) << ", largest difference "
                  << compared.worst << " (largest output " << compared.largest << ")\n";
        const std::string fusedName = addsInput(c.variant)    ? "CONV_2D+DEPTHWISE_CONV_2D+CONV_2D+ADD (fused)"
                                      : projected(c.variant) ? "CONV_2D+DEPTHWISE_CONV_2D+CONV_2D (fused)"
                                                             : "CONV_2D+DEPTHWISE_CONV_2D (fused)";
        EXPECT_EQ(name == fusedName, c.fuses) << name;
        // It comes first among the fused kernels: taking the op means running it.
        const Op& fusedOp = compiled.subgraphs[0].ops[static_cast<size_t>(m.depthwise)];
        const bool channelMajor = cpu::sparseInvertedResidualKernel(compiled, compiled.subgraphs[0], fusedOp) != nullptr;
        std::cout << "    channel-major pruned block: " << (channelMajor ? "yes" : "no") << "\n";
        EXPECT_EQ(channelMajor, c.channelMajor);
        if (c.fuses) {
            EXPECT_TRUE(compiled.subgraphs[0].ops[0].fused) << "the 1x1 still runs on its own";
        }
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

enum class Swish { None, Logistic, Hard };

// y = swish(x) appended to `b` as LOGISTIC and MUL or as HARD_SWISH.
int appendSwish(ModelBuilder& b, Swish swish, int x, const std::vector<int32_t>& shape, const std::string& name) {
    if (swish == Swish::None) return x;
    int y = b.addTensor({name, DataType::Float32, shape});
    if (swish == Swish::Hard) {
        b.addOp({schema::BuiltinOperator_HARD_SWISH, {}, {x}, {y}});
        return y;
    }
    int sigmoid = b.addTensor({name + "_sigmoid", DataType::Float32, shape});
    b.addOp({schema::BuiltinOperator_LOGISTIC, {}, {x}, {sigmoid}});
    b.addOp({schema::BuiltinOperator_MUL, {}, {x, sigmoid}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MulOptions, schema::CreateMulOptions(fbb).o};
             }});
    return y;
}

TEST(FloatExpandedDepthwise, TakesTheSwishAfterTheExpansion) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    struct SwishCase {
        int height, width, inChannels, expanded, kernel, stride;
        Swish afterExpansion, afterDepthwise;
        bool expandedIsOutput;  // the 1x1's result before its swish is read elsewhere
        int threads;
        std::string name;  // how the profile calls the depthwise's op
    };
    const std::string plain = "DEPTHWISE_CONV_2D";
    const std::vector<SwishCase> cases = {
        // EfficientNet-B0's second block: 112x112 16 -> 96, 3x3 stride 2.
        {112, 112, 16, 96, 3, 2, Swish::Logistic, Swish::Logistic, false, 1, "CONV_2D+LOGISTIC+MUL+DEPTHWISE_CONV_2D+LOGISTIC+MUL (fused)"},
        {56, 56, 24, 144, 5, 2, Swish::Logistic, Swish::Logistic, false, 2, "CONV_2D+LOGISTIC+MUL+DEPTHWISE_CONV_2D+LOGISTIC+MUL (fused)"},
        {37, 45, 20, 160, 3, 1, Swish::Logistic, Swish::None, false, 2, "CONV_2D+LOGISTIC+MUL+DEPTHWISE_CONV_2D (fused)"},
        // MobileNetV3-style: HARD_SWISH after both.
        {64, 64, 24, 120, 3, 1, Swish::Hard, Swish::Hard, false, 2, "CONV_2D+HARD_SWISH+DEPTHWISE_CONV_2D+HARD_SWISH (fused)"},
        {64, 64, 24, 120, 5, 2, Swish::Hard, Swish::Logistic, false, 1, "CONV_2D+HARD_SWISH+DEPTHWISE_CONV_2D+LOGISTIC+MUL (fused)"},
        // Read elsewhere: the 1x1 and the depthwise each keep their swish.
        {64, 64, 24, 120, 3, 1, Swish::Logistic, Swish::Logistic, true, 1, "DEPTHWISE_CONV_2D+LOGISTIC+MUL (fused)"},
    };
    std::mt19937 random(23);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const SwishCase& c : cases) {
        ModelBuilder b;
        b.addSubgraph();
        int x = b.addTensor({"x", DataType::Float32, {1, c.height, c.width, c.inChannels}});
        const std::vector<int32_t> expandedShape{1, c.height, c.width, c.expanded};
        int filter = b.addFloatConstant("expand", {c.expanded, 1, 1, c.inChannels},
                                        testing::randomFloats(random, static_cast<size_t>(c.expanded * c.inChannels)));
        int bias = b.addFloatConstant("expand_bias", {c.expanded}, testing::randomFloats(random, static_cast<size_t>(c.expanded)));
        int e = b.addTensor({"e", DataType::Float32, expandedShape});
        b.addOp({schema::BuiltinOperator_CONV_2D, {}, {x, filter, bias}, {e}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                         schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1).o};
                 }});
        const int swished = appendSwish(b, c.afterExpansion, e, expandedShape, "e_swish");
        const int outSize = (c.height + c.stride - 1) / c.stride, outWidth = (c.width + c.stride - 1) / c.stride;
        const std::vector<int32_t> outShape{1, outSize, outWidth, c.expanded};
        int depthwiseFilter = b.addFloatConstant("dw", {1, c.kernel, c.kernel, c.expanded},
                                                 testing::randomFloats(random, static_cast<size_t>(c.kernel * c.kernel * c.expanded)));
        int depthwiseBias = b.addFloatConstant("dw_bias", {c.expanded}, testing::randomFloats(random, static_cast<size_t>(c.expanded)));
        int d = b.addTensor({"d", DataType::Float32, outShape});
        const int depthwiseOp = static_cast<int>(b.current().ops.size());
        b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {swished, depthwiseFilter, depthwiseBias}, {d},
                 [c](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{
                         schema::BuiltinOptions_DepthwiseConv2DOptions,
                         schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_SAME, c.stride, c.stride, 1).o};
                 }});
        const int y = appendSwish(b, c.afterDepthwise, d, outShape, "y");
        b.setInputs({x});
        b.setOutputs(c.expandedIsOutput ? std::vector<int>{y, e} : std::vector<int>{y});
        std::vector<float> input(static_cast<size_t>(c.height * c.width * c.inChannels));
        for (float& v : input) v = values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(b, x, input, y, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const Model& compiled = compared.cpu->model();
        const std::string name = compiled.runtimeOpName(compiled.subgraphs[0].ops[static_cast<size_t>(depthwiseOp)]);
        std::cout << "  " << c.height << "x" << c.width << "x" << c.inChannels << " -> " << c.expanded << ", then " << c.kernel << "x"
                  << c.kernel << "/" << c.stride << ", " << c.threads << " thread(s): ran as " << name << ", largest difference "
                  << compared.worst << " (largest output " << compared.largest << ")\n";
        EXPECT_EQ(name, c.name);
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

}  // namespace
}  // namespace litestudio

// RMS normalisation written op by op (MUL x·x or SQUARE, MEAN over the last
// axis, ADD epsilon, RSQRT, MUL by x, MUL by a scale) on the cpu accelerator:
// the chain becomes one op (the others report "fused", the op profile calls
// it RMS_NORM) and matches the reference, which runs every op. The last axis
// (70) is not a multiple of the vector width; a chain whose inverse is also
// a graph output, or whose MEAN reduces another axis, stays as written, and
// a scale that broadcasts along another axis stays a MUL of its own.

#include <cmath>
#include <cstring>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

constexpr int kRows = 3, kTokens = 5, kDepth = 70;

struct NormModel {
    litestudio::ModelBuilder builder;
    int x = -1, y = -1, chainOps = 0, tokens = 0;
};

enum class Variant { MulWithScale, SquareWithoutScale, InverseIsAnOutput, MeanOverAnotherAxis, ScaleAlongAnotherAxis };

auto mulOptions() {
    return [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::make_pair(static_cast<uint8_t>(schema::BuiltinOptions_MulOptions), schema::CreateMulOptions(fbb).o);
    };
}

void buildNorm(NormModel& m, Variant variant) {
    using namespace schema;
    litestudio::ModelBuilder& b = m.builder;
    b.addSubgraph("main");
    // The scale-along-another-axis case needs as many tokens as depth: its
    // [depth, 1] scale then broadcasts, but along the tokens.
    std::vector<int32_t> shape{kRows, variant == Variant::ScaleAlongAnotherAxis ? kDepth : kTokens, kDepth};
    int axis = variant == Variant::MeanOverAnotherAxis ? 1 : 2;
    std::vector<int32_t> reduced = shape;
    reduced[static_cast<size_t>(axis)] = 1;
    m.tokens = shape[1];
    m.x = b.addTensor({"x", DataType::Float32, shape});
    int squared = b.addTensor({"squared", DataType::Float32, shape});
    int axes = b.addConstant("axes", DataType::Int32, {1}, {static_cast<uint8_t>(axis), 0, 0, 0});
    int mean = b.addTensor({"mean", DataType::Float32, reduced});
    int epsilon = b.addFloatConstant("epsilon", {}, {1e-6f});
    int shifted = b.addTensor({"shifted", DataType::Float32, reduced});
    int inverse = b.addTensor({"inverse", DataType::Float32, reduced});
    int normed = b.addTensor({"normed", DataType::Float32, shape});
    if (variant == Variant::SquareWithoutScale) b.addOp({BuiltinOperator_SQUARE, {}, {m.x}, {squared}});
    else b.addOp({BuiltinOperator_MUL, {}, {m.x, m.x}, {squared}, mulOptions()});
    b.addOp({BuiltinOperator_MEAN, {}, {squared, axes}, {mean}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::make_pair(static_cast<uint8_t>(BuiltinOptions_ReducerOptions), CreateReducerOptions(fbb, true).o);
             }});
    b.addOp({BuiltinOperator_ADD, {}, {epsilon, mean}, {shifted}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::make_pair(static_cast<uint8_t>(BuiltinOptions_AddOptions), CreateAddOptions(fbb).o);
             }});
    b.addOp({BuiltinOperator_RSQRT, {}, {shifted}, {inverse}});
    b.addOp({BuiltinOperator_MUL, {}, {m.x, inverse}, {normed}, mulOptions()});
    m.y = normed;
    m.chainOps = 5;
    if (variant != Variant::SquareWithoutScale) {
        std::vector<float> scale(kDepth);
        for (int i = 0; i < kDepth; ++i) scale[static_cast<size_t>(i)] = 0.5f + 0.01f * static_cast<float>(i);
        std::vector<int32_t> scaleShape = variant == Variant::ScaleAlongAnotherAxis ? std::vector<int32_t>{kDepth, 1}
                                                                                   : std::vector<int32_t>{kDepth};
        int scaleTensor = b.addFloatConstant("scale", scaleShape, scale);
        m.y = b.addTensor({"y", DataType::Float32, shape});
        b.addOp({BuiltinOperator_MUL, {}, {normed, scaleTensor}, {m.y}, mulOptions()});
        m.chainOps = 6;
    }
    b.setInputs({m.x});
    if (variant == Variant::InverseIsAnOutput) b.setOutputs({m.y, inverse});
    else b.setOutputs({m.y});
}

const char* variantName(Variant variant) {
    switch (variant) {
    case Variant::MulWithScale: return "MUL x*x, with scale";
    case Variant::SquareWithoutScale: return "SQUARE, no scale";
    case Variant::InverseIsAnOutput: return "inverse also an output";
    case Variant::MeanOverAnotherAxis: return "MEAN over axis 1";
    case Variant::ScaleAlongAnotherAxis: return "scale [depth, 1], along the tokens";
    }
    return "";
}

}  // namespace

TEST(FloatRmsNorm, FusedChainMatchesTheReference) {
    for (Variant variant : {Variant::MulWithScale, Variant::SquareWithoutScale, Variant::InverseIsAnOutput,
                            Variant::MeanOverAnotherAxis, Variant::ScaleAlongAnotherAxis}) {
        NormModel m;
        buildNorm(m, variant);
        auto fast = testing::compileBuilt(m.builder, {"cpu", "reference"});
        auto reference = testing::compileBuilt(m.builder, {"reference"});
        ASSERT_TRUE(fast && reference) << (fast ? reference.errorMessage() : fast.errorMessage());
        int fusedOps = 0;
        for (int op = 1; op < m.chainOps; ++op) fusedOps += (*fast)->acceleratorOf(0, op) == "fused";
        bool expectFused = variant == Variant::MulWithScale || variant == Variant::SquareWithoutScale;
        // A scale along another axis leaves the norm itself to fuse, without it.
        int expected = expectFused ? m.chainOps - 1 : variant == Variant::ScaleAlongAnotherAxis ? m.chainOps - 2 : 0;
        EXPECT_EQ(fusedOps, expected) << variantName(variant);
        EXPECT_EQ((*fast)->model().runtimeOpName((*fast)->model().subgraphs[0].ops[0]) == "RMS_NORM (fused)",
                  expected > 0);
        std::vector<float> input(static_cast<size_t>(kRows) * m.tokens * kDepth);
        for (size_t i = 0; i < input.size(); ++i)
            input[i] = 3.0f * std::sin(0.37f * static_cast<float>(i)) * (1.0f + static_cast<float>(i / kDepth));  // rows of different size
        double worst = testing::largestDifference(**fast, **reference, m.x, input, m.y, true);
        std::printf("%s: %d ops fused, max relative |cpu - reference| = %.2e\n", variantName(variant), fusedOps, worst);
        EXPECT_GE(worst, 0.0);
        EXPECT_LT(worst, 2e-6);
    }
}

}  // namespace litestudio

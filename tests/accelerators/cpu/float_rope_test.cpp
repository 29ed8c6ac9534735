// Rotary position embedding written op by op, rotate-half form (SLICE both
// halves of the last axis, NEG the second, CONCATENATION, MUL by cos and by
// sin, ADD) on the cpu accelerator: the chain becomes one op (the six others
// report "fused", the op profile calls it ROPE) and matches the reference,
// which runs every op. Half the last axis (20) is not a multiple of the
// vector width; cos and sin broadcast over the heads, or are one row for
// every position. A chain that concatenates the halves the other way round
// (not a rotation) stays as written.

#include <cmath>
#include <cstring>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

constexpr int kTokens = 3, kHeads = 4, kDepth = 40;

enum class Variant { PerPosition, OneRow, HalvesSwapped };

struct RopeModel {
    litestudio::ModelBuilder builder;
    int x = -1, y = -1;
};

template <typename Options>
auto optionsOf(schema::BuiltinOptions type, Options make) {
    return [type, make](flatbuffers::FlatBufferBuilder& fbb) { return std::make_pair(static_cast<uint8_t>(type), make(fbb).o); };
}

void buildRope(RopeModel& m, Variant variant) {
    using namespace schema;
    litestudio::ModelBuilder& b = m.builder;
    b.addSubgraph("main");
    std::vector<int32_t> shape{kTokens, kHeads, kDepth}, halfShape{kTokens, kHeads, kDepth / 2};
    std::vector<int32_t> tableShape = variant == Variant::OneRow ? std::vector<int32_t>{kDepth} : std::vector<int32_t>{kTokens, 1, kDepth};
    int64_t tableCount = variant == Variant::OneRow ? kDepth : kTokens * kDepth;
    std::vector<float> cosValues(static_cast<size_t>(tableCount)), sinValues(static_cast<size_t>(tableCount));
    for (int64_t i = 0; i < tableCount; ++i) {
        cosValues[static_cast<size_t>(i)] = std::cos(0.1f * static_cast<float>(i));
        sinValues[static_cast<size_t>(i)] = std::sin(0.1f * static_cast<float>(i));
    }
    m.x = b.addTensor({"x", DataType::Float32, shape});
    int cos = b.addFloatConstant("cos", tableShape, cosValues);
    int sin = b.addFloatConstant("sin", tableShape, sinValues);
    auto ints = [&](const std::string& name, std::vector<int32_t> values) {
        return b.addConstant(name, DataType::Int32, {static_cast<int32_t>(values.size())}, testing::bytesOf(values));
    };
    int first = b.addTensor({"first", DataType::Float32, halfShape});
    int second = b.addTensor({"second", DataType::Float32, halfShape});
    int negated = b.addTensor({"negated", DataType::Float32, halfShape});
    int rotated = b.addTensor({"rotated", DataType::Float32, shape});
    int withCos = b.addTensor({"with_cos", DataType::Float32, shape});
    int withSin = b.addTensor({"with_sin", DataType::Float32, shape});
    m.y = b.addTensor({"y", DataType::Float32, shape});
    b.addOp({BuiltinOperator_SLICE, {}, {m.x, ints("begin0", {0, 0, 0}), ints("size0", {kTokens, kHeads, kDepth / 2})}, {first}});
    b.addOp({BuiltinOperator_SLICE, {}, {m.x, ints("begin1", {0, 0, kDepth / 2}), ints("size1", {-1, -1, -1})}, {second}});
    b.addOp({BuiltinOperator_NEG, {}, {second}, {negated}});
    std::vector<int> halves = variant == Variant::HalvesSwapped ? std::vector<int>{first, negated} : std::vector<int>{negated, first};
    b.addOp({BuiltinOperator_CONCATENATION, {}, halves, {rotated},
             optionsOf(BuiltinOptions_ConcatenationOptions, [](flatbuffers::FlatBufferBuilder& fbb) { return CreateConcatenationOptions(fbb, -1); })});
    auto mul = optionsOf(BuiltinOptions_MulOptions, [](flatbuffers::FlatBufferBuilder& fbb) { return CreateMulOptions(fbb); });
    b.addOp({BuiltinOperator_MUL, {}, {m.x, cos}, {withCos}, mul});
    b.addOp({BuiltinOperator_MUL, {}, {sin, rotated}, {withSin}, mul});
    b.addOp({BuiltinOperator_ADD, {}, {withSin, withCos}, {m.y},
             optionsOf(BuiltinOptions_AddOptions, [](flatbuffers::FlatBufferBuilder& fbb) { return CreateAddOptions(fbb); })});
    b.setInputs({m.x});
    b.setOutputs({m.y});
}

const char* variantName(Variant variant) {
    switch (variant) {
    case Variant::PerPosition: return "cos/sin per position, broadcast over heads";
    case Variant::OneRow: return "cos/sin one row";
    case Variant::HalvesSwapped: return "halves concatenated the other way";
    }
    return "";
}

}  // namespace

TEST(FloatRope, FusedChainMatchesTheReference) {
    for (Variant variant : {Variant::PerPosition, Variant::OneRow, Variant::HalvesSwapped}) {
        RopeModel m;
        buildRope(m, variant);
        auto fast = testing::compileBuilt(m.builder, {"cpu", "reference"});
        auto reference = testing::compileBuilt(m.builder, {"reference"});
        ASSERT_TRUE(fast && reference) << (fast ? reference.errorMessage() : fast.errorMessage());
        int fusedOps = 0;
        for (int op = 0; op < 6; ++op) fusedOps += (*fast)->acceleratorOf(0, op) == "fused";
        bool expectFused = variant != Variant::HalvesSwapped;
        EXPECT_EQ(fusedOps, expectFused ? 6 : 0) << variantName(variant);
        EXPECT_EQ((*fast)->model().runtimeOpName((*fast)->model().subgraphs[0].ops[6]) == "ROPE (fused)", expectFused);
        std::vector<float> input(kTokens * kHeads * kDepth);
        for (size_t i = 0; i < input.size(); ++i) input[i] = 2.0f * std::sin(0.61f * static_cast<float>(i)) + 0.3f;
        double worst = testing::largestDifference(**fast, **reference, m.x, input, m.y, false);
        std::printf("%s: %d ops fused, max |cpu - reference| = %.2e\n", variantName(variant), fusedOps, worst);
        EXPECT_GE(worst, 0.0);
        EXPECT_LT(worst, 1e-6);  // values up to 2.3: a float rounding or two
    }
}

}  // namespace litestudio

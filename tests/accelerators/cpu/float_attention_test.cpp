// Attention written op by op (BATCH_MATMUL q·kᵀ, MUL by a scale, ADD mask,
// SOFTMAX, BATCH_MATMUL with v) on the cpu accelerator: the chain becomes one
// op (the four others report "fused") and matches the reference, which runs
// every op, to 1e-5. The mask is causal with -1e9 (what the generated Gemma
// writes), one row is fully masked (the plain softmax over every key), and
// a model whose scores are also a graph output is left unfused.

#include <cmath>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

constexpr int kBatch = 2, kRows = 6, kKeys = 40, kDepth = 32, kValueDepth = 24;

struct AttentionModel {
    litestudio::ModelBuilder builder;
    int q, k, v, mask, scores, context;
};

void buildAttention(AttentionModel& m, bool exposeScores) {
    using namespace schema;
    litestudio::ModelBuilder& b = m.builder;
    b.addSubgraph("main");
    m.q = b.addTensor({"q", DataType::Float32, {1, kBatch, kRows, kDepth}});
    m.k = b.addTensor({"k", DataType::Float32, {1, kBatch, kKeys, kDepth}});
    m.v = b.addTensor({"v", DataType::Float32, {1, kBatch, kKeys, kValueDepth}});
    m.mask = b.addTensor({"mask", DataType::Float32, {kRows, kKeys}});
    std::vector<int32_t> scoresShape{1, kBatch, kRows, kKeys};
    m.scores = b.addTensor({"scores", DataType::Float32, scoresShape});
    int scale = b.addFloatConstant("scale", {1}, {0.17f});
    int scaled = b.addTensor({"scaled", DataType::Float32, scoresShape});
    int masked = b.addTensor({"masked", DataType::Float32, scoresShape});
    int probabilities = b.addTensor({"probabilities", DataType::Float32, scoresShape});
    m.context = b.addTensor({"context", DataType::Float32, {1, kBatch, kRows, kValueDepth}});
    auto matmulOptions = [](bool adjY) {
        return [adjY](flatbuffers::FlatBufferBuilder& fbb) {
            return std::make_pair(static_cast<uint8_t>(BuiltinOptions_BatchMatMulOptions), CreateBatchMatMulOptions(fbb, false, adjY).o);
        };
    };
    b.addOp({BuiltinOperator_BATCH_MATMUL, {}, {m.q, m.k}, {m.scores}, matmulOptions(true)});
    b.addOp({BuiltinOperator_MUL, {}, {m.scores, scale}, {scaled}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::make_pair(static_cast<uint8_t>(BuiltinOptions_MulOptions), CreateMulOptions(fbb).o);
             }});
    b.addOp({BuiltinOperator_ADD, {}, {scaled, m.mask}, {masked}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::make_pair(static_cast<uint8_t>(BuiltinOptions_AddOptions), CreateAddOptions(fbb).o);
             }});
    b.addOp({BuiltinOperator_SOFTMAX, {}, {masked}, {probabilities}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::make_pair(static_cast<uint8_t>(BuiltinOptions_SoftmaxOptions), CreateSoftmaxOptions(fbb, 1.0f).o);
             }});
    b.addOp({BuiltinOperator_BATCH_MATMUL, {}, {probabilities, m.v}, {m.context}, matmulOptions(false)});
    b.setInputs({m.q, m.k, m.v, m.mask});
    if (exposeScores) b.setOutputs({m.context, m.scores});
    else b.setOutputs({m.context});
}

std::vector<float> wave(size_t count, float step, float offset) {
    std::vector<float> values(count);
    for (size_t i = 0; i < count; ++i) values[i] = std::sin(step * static_cast<float>(i) + offset);
    return values;
}

}  // namespace

TEST(FloatAttention, FusedChainMatchesTheReference) {
    for (bool exposeScores : {false, true}) {
        AttentionModel m;
        buildAttention(m, exposeScores);
        auto fast = testing::compileBuilt(m.builder, {"cpu", "reference"});
        auto reference = testing::compileBuilt(m.builder, {"reference"});
        ASSERT_TRUE(fast && reference) << (fast ? reference.errorMessage() : fast.errorMessage());
        int fusedOps = 0;
        for (int op = 1; op < 5; ++op) fusedOps += (*fast)->acceleratorOf(0, op) == "fused";
        EXPECT_EQ(fusedOps, exposeScores ? 0 : 4);
        // Causal from slot 30 on (rows see 30 + row keys), row 5 sees nothing.
        std::vector<float> mask(kRows * kKeys);
        for (int r = 0; r < kRows; ++r)
            for (int n = 0; n < kKeys; ++n) mask[static_cast<size_t>(r * kKeys + n)] = (r < 5 && n <= 30 + r) ? 0.0f : -1e9f;
        for (auto* model : {fast->get(), reference->get()}) {
            ASSERT_TRUE(testing::setValues<float>(*model, m.q, wave(kBatch * kRows * kDepth, 0.31f, 0.0f)));
            ASSERT_TRUE(testing::setValues<float>(*model, m.k, wave(kBatch * kKeys * kDepth, 0.17f, 1.0f)));
            ASSERT_TRUE(testing::setValues<float>(*model, m.v, wave(kBatch * kKeys * kValueDepth, 0.23f, 2.0f)));
            ASSERT_TRUE(testing::setValues<float>(*model, m.mask, mask));
            ASSERT_TRUE(model->run(0));
        }
        auto a = testing::tensorValues<float>(**fast, m.context), b = testing::tensorValues<float>(**reference, m.context);
        ASSERT_EQ(a.size(), b.size());
        double worst = 0;
        for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
        std::printf("%s: %d ops fused, %zu context values, max |cpu - reference| = %.2e\n",
                    exposeScores ? "scores also an output" : "plain chain", fusedOps, a.size(), worst);
        EXPECT_LT(worst, 1e-5);
    }
}

TEST(FloatGelu, TanhApproximationMatchesTheReference) {
    using namespace schema;
    litestudio::ModelBuilder builder;
    builder.addSubgraph("main");
    const int count = 4001;  // not a multiple of 16
    int x = builder.addTensor({"x", DataType::Float32, {count}});
    int y = builder.addTensor({"y", DataType::Float32, {count}});
    builder.addOp({BuiltinOperator_GELU, {}, {x}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::make_pair(static_cast<uint8_t>(BuiltinOptions_GeluOptions), CreateGeluOptions(fbb, true).o);
                   }});
    builder.setInputs({x});
    builder.setOutputs({y});
    auto fast = testing::compileBuilt(builder, {"cpu", "reference"});
    auto reference = testing::compileBuilt(builder, {"reference"});
    ASSERT_TRUE(fast && reference);
    const bool avx512 = __builtin_cpu_supports("avx512f");
    EXPECT_EQ((*fast)->acceleratorOf(0, 0), avx512 ? "cpu" : "reference");
    std::vector<float> input(count);
    for (int i = 0; i < count; ++i) input[static_cast<size_t>(i)] = -20.0f + 0.01f * static_cast<float>(i);  // -20 .. 20
    for (auto* model : {fast->get(), reference->get()}) {
        ASSERT_TRUE(testing::setValues<float>(*model, x, input));
        ASSERT_TRUE(model->run(0));
    }
    auto a = testing::tensorValues<float>(**fast, y), b = testing::tensorValues<float>(**reference, y);
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]) / (1e-6 + std::abs(static_cast<double>(b[i]))));
    std::printf("GELU (tanh) on %s over [-20, 20]: max relative difference to the reference %.2e\n",
                std::string((*fast)->acceleratorOf(0, 0)).c_str(), worst);
    EXPECT_LT(worst, 1e-5);
}

}  // namespace litestudio

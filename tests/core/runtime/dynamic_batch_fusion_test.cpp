// A model whose batch is open (-1 first in every feature map's signature,
// as Keras exports write it) gets the convolution fusions a fixed batch
// gets: DEPTHWISE_CONV_2D -> 1x1 CONV_2D -> ADD of the block's input
// becomes one op on the cpu accelerator ("DEPTHWISE_CONV_2D+CONV_2D+ADD
// (fused)"), as in MediaPipe's Objectron models, which ran with no fusion
// at all before. The outputs match the reference, which runs the ops as
// written, within 1e-5 of the largest output at batch 1 and, after the
// input is resized, at batch 3 (the fused kernel takes the batch from its
// shapes at prepare). An ADD of a tensor whose batch is fixed at 1 beside
// the open one is left as written: at batch 3 it broadcasts, which no fused
// kernel does, and the result still matches.

#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

constexpr int kSize = 14, kChannels = 32;

struct BlockModel {
    ModelBuilder builder;
    int input = -1, added = -1, output = -1;
};

// x -> DEPTHWISE_CONV_2D 3x3 (RELU6) -> CONV_2D 1x1 -> ADD(that, r): r is x,
// or a second input `added` of fixed batch 1 when `fixedBatchAddend`.
BlockModel blockModel(bool fixedBatchAddend, std::mt19937& random) {
    BlockModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const std::vector<int32_t> shape{1, kSize, kSize, kChannels}, open{-1, kSize, kSize, kChannels};
    m.input = b.addTensor({"x", DataType::Float32, shape, open});
    const int depthwiseFilter = b.addFloatConstant("dw", {1, 3, 3, kChannels}, testing::randomFloats(random, 9 * kChannels));
    const int depthwiseBias = b.addFloatConstant("dwb", {kChannels}, testing::randomFloats(random, kChannels));
    const int depthwise = b.addTensor({"d", DataType::Float32, shape, open});
    b.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {m.input, depthwiseFilter, depthwiseBias}, {depthwise},
             [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_DepthwiseConv2DOptions,
                                                     schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_SAME, 1, 1, 1,
                                                                                          schema::ActivationFunctionType_RELU6)
                                                         .o};
             }});
    const int filter = b.addFloatConstant("w", {kChannels, 1, 1, kChannels}, testing::randomFloats(random, kChannels * kChannels));
    const int bias = b.addFloatConstant("b", {kChannels}, testing::randomFloats(random, kChannels));
    const int convolved = b.addTensor({"p", DataType::Float32, shape, open});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {depthwise, filter, bias}, {convolved}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_Conv2DOptions,
                     schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1, schema::ActivationFunctionType_NONE).o};
             }});
    int residual = m.input;
    if (fixedBatchAddend) residual = m.added = b.addTensor({"r", DataType::Float32, shape});
    m.output = b.addTensor({"y", DataType::Float32, shape, open});
    b.addOp({schema::BuiltinOperator_ADD, {}, {convolved, residual}, {m.output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb).o};
             }});
    b.setInputs(m.added >= 0 ? std::vector<int>{m.input, m.added} : std::vector<int>{m.input});
    b.setOutputs({m.output});
    return m;
}

TEST(DynamicBatchFusion, OpenBatchFusesAndRunsAtAnyBatch) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the fused block kernels are not used here";
    std::mt19937 random(31);
    for (const bool fixedBatchAddend : {false, true}) {
        BlockModel m = blockModel(fixedBatchAddend, random);
        auto reference = testing::compileBuilt(m.builder, {"reference"});
        auto cpu = testing::compileBuilt(m.builder, {"cpu", "reference"});
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(cpu) << cpu.errorMessage();
        const Model& compiled = (*cpu)->model();
        const std::string name = compiled.runtimeOpName(compiled.subgraphs[0].ops[0]);
        const bool addFolded = compiled.subgraphs[0].ops[2].fused;
        std::cout << "  residual " << (fixedBatchAddend ? "a second input of fixed batch 1" : "the block's input (batch open)") << ": op 0 "
                  << name << ", ADD " << (addFolded ? "folded" : "left as written") << "\n";
        EXPECT_EQ(name, fixedBatchAddend ? "DEPTHWISE_CONV_2D+CONV_2D (fused)" : "DEPTHWISE_CONV_2D+CONV_2D+ADD (fused)");
        EXPECT_EQ(addFolded, !fixedBatchAddend);
        if (fixedBatchAddend) {
            const std::vector<float> r = testing::randomFloats(random, kSize * kSize * kChannels, 3.0f);
            ASSERT_TRUE(testing::setValues<float>(**reference, m.added, r));
            ASSERT_TRUE(testing::setValues<float>(**cpu, m.added, r));
        }
        for (const int batch : {1, 3}) {
            for (CompiledModel* model : {cpu->get(), reference->get()}) {
                Status resized = model->resizeInput(0, m.input, {batch, kSize, kSize, kChannels});
                ASSERT_TRUE(resized) << resized.message();
            }
            const std::vector<float> x = testing::randomFloats(random, static_cast<size_t>(batch * kSize * kSize * kChannels), 3.0f);
            const double worst = testing::largestDifference(**cpu, **reference, m.input, x, m.output, false);
            double largest = 1;
            for (float v : testing::tensorValues<float>(**reference, m.output)) largest = std::max(largest, double(std::fabs(v)));
            std::cout << "    batch " << batch << ": largest difference " << worst << " of " << largest << "\n";
            EXPECT_GE(worst, 0.0);
            EXPECT_LE(worst, 1e-5 * largest);
            EXPECT_EQ((*cpu)->tensor(0, m.output).shape, (std::vector<int32_t>{batch, kSize, kSize, kChannels}));
        }
    }
}

}  // namespace
}  // namespace litestudio

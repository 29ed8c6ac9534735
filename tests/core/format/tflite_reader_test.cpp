// The TFLite reader on models built for one property or one defect each.

#include "core/format/tflite_reader.h"

#include <gtest/gtest.h>

#include "core/format/model_builder.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

std::pair<uint8_t, uint32_t> addOptions(flatbuffers::FlatBufferBuilder& fbb) {
    return {schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb).o};
}

// x + bias -> y, with a signature.
ModelBuilder addModel() {
    ModelBuilder builder;
    builder.addSubgraph("main");
    int x = builder.addTensor({"x", DataType::Float32, {1, 4}});
    int bias = builder.addFloatConstant("bias", {1, 4}, {1, 2, 3, 4});
    int y = builder.addTensor({"y", DataType::Float32, {1, 4}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {x, bias}, {y}, addOptions});
    builder.setInputs({x});
    builder.setOutputs({y});
    builder.addSignature({"serving_default", 0, {{"input", x}}, {{"output", y}}});
    return builder;
}

Expected<std::shared_ptr<Model>> load(const std::vector<uint8_t>& bytes) {
    auto owned = std::make_shared<std::vector<uint8_t>>(bytes);
    return readTfliteModel("test.tflite", owned, *owned);
}

void expectError(const std::vector<uint8_t>& bytes, const std::string& fragment) {
    auto model = load(bytes);
    ASSERT_FALSE(model) << "loaded a model that should have failed with '" << fragment << "'";
    std::cout << "  error: " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find(fragment), std::string::npos)
        << "message '" << model.errorMessage() << "' lacks '" << fragment << "'";
    EXPECT_EQ(model.errorMessage().rfind("test.tflite: ", 0), 0u) << "message does not name the file";
}

TEST(TfliteReader, ReadsTensorsOpsAndSignatures) {
    auto model = load(addModel().finish());
    ASSERT_TRUE(model) << model.errorMessage();
    const Model& m = **model;
    ASSERT_EQ(m.subgraphs.size(), 1u);
    const Subgraph& main = m.subgraphs[0];
    EXPECT_EQ(main.name, "main");
    ASSERT_EQ(main.tensors.size(), 3u);
    EXPECT_EQ(main.tensors[1].name, "bias");
    EXPECT_EQ(main.tensors[1].data.size(), 16u);
    float values[4];
    std::memcpy(values, main.tensors[1].data.data(), 16);
    EXPECT_EQ(values[3], 4.0f);
    ASSERT_EQ(main.ops.size(), 1u);
    EXPECT_EQ(m.opCode(main.ops[0]).displayName(), "ADD");
    EXPECT_EQ(main.ops[0].inputs, (std::vector<int>{0, 1}));
    ASSERT_EQ(m.signatures.size(), 1u);
    EXPECT_EQ(m.signatures[0].key, "serving_default");
    EXPECT_EQ(m.signatures[0].inputs[0].name, "input");
}

TEST(TfliteReader, ReadsWeightsStoredAfterTheFlatbuffer) {
    ModelBuilder builder = addModel();
    builder.setBuffersAfterFlatbuffer(true);
    std::vector<uint8_t> bytes = builder.finish();
    auto model = load(bytes);
    ASSERT_TRUE(model) << model.errorMessage();
    const Tensor& bias = (*model)->subgraphs[0].tensors[1];
    ASSERT_EQ(bias.data.size(), 16u);
    float values[4];
    std::memcpy(values, bias.data.data(), 16);
    EXPECT_EQ(values[0], 1.0f);
    EXPECT_EQ(values[3], 4.0f);
    // Weights live in the caller's bytes (zero copy), past the flatbuffer.
    auto owned = std::make_shared<std::vector<uint8_t>>(bytes);
    auto inPlace = readTfliteModel("test.tflite", owned, *owned);
    ASSERT_TRUE(inPlace);
    EXPECT_GE((*inPlace)->subgraphs[0].tensors[1].data.data(), owned->data());
    EXPECT_LE((*inPlace)->subgraphs[0].tensors[1].data.data() + 16, owned->data() + owned->size());

    std::vector<uint8_t> truncated(bytes.begin(), bytes.end() - 8);
    expectError(truncated, "beyond the end of the file");
}

TEST(TfliteReader, EveryTruncationIsAClearError) {
    std::vector<uint8_t> bytes = addModel().finish();
    int failures = 0;
    for (size_t length = 0; length < bytes.size(); ++length) {
        std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(length));
        auto model = load(prefix);
        if (!model) {
            ++failures;
            EXPECT_FALSE(model.errorMessage().empty());
        }
    }
    std::cout << "  " << failures << " of " << bytes.size() << " truncations rejected\n";
    // Flatbuffers are read from the front, so almost every cut breaks an offset.
    EXPECT_GT(failures, static_cast<int>(bytes.size()) * 9 / 10);
}

TEST(TfliteReader, RejectsForeignBytes) {
    std::string text = "this is certainly not a model, just some text";
    expectError(std::vector<uint8_t>(text.begin(), text.end()), "not a TFLite model");
    expectError({1, 2, 3}, "too small");
}

TEST(TfliteReader, RejectsOtherSchemaVersions) {
    ModelBuilder builder = addModel();
    builder.setSchemaVersion(2);
    expectError(builder.finish(), "unsupported TFLite schema version 2");
}

TEST(TfliteReader, RejectsOpInputOutOfRange) {
    ModelBuilder builder = addModel();
    builder.current().ops[0].inputs[1] = 7;
    expectError(builder.finish(), "op 0 (ADD) input 1 refers to tensor 7, but the subgraph has 3 tensors");
}

TEST(TfliteReader, RejectsSubgraphOutputOutOfRange) {
    ModelBuilder builder = addModel();
    builder.setOutputs({-3});
    expectError(builder.finish(), "output 0 refers to tensor -3");
}

TEST(TfliteReader, RejectsBufferThatDisagreesWithShape) {
    ModelBuilder builder = addModel();
    builder.current().tensors[1].shape = {2, 4};
    expectError(builder.finish(), "has a 16-byte buffer (buffer 1), but shape [2,4] of float32 needs 32 bytes");
}

TEST(TfliteReader, AcceptsPackedInt4Weights) {
    ModelBuilder builder = addModel();
    builder.current().tensors[1].type = DataType::Int4;
    builder.current().tensors[1].shape = {4, 8};  // 32 int4 values in 16 bytes
    auto model = load(builder.finish());
    EXPECT_TRUE(model) << model.errorMessage();
}

TEST(TfliteReader, RejectsSignatureTensorOutOfRange) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {1}});
    builder.setInputs({x});
    builder.setOutputs({x});
    builder.addSignature({"broken", 0, {{"in", 9}}, {}});
    expectError(builder.finish(), "signature 'broken' input 'in' refers to tensor 9");
}

TEST(TfliteReader, RejectsSignatureOnMissingSubgraph) {
    ModelBuilder builder = addModel();
    builder.addSignature({"ghost", 4, {}, {}});
    expectError(builder.finish(), "signature 'ghost' runs subgraph 4, but the model has 1 subgraphs");
}

TEST(TfliteReader, RejectsInputThatNothingWrites) {
    ModelBuilder builder = addModel();
    builder.setInputs({});
    expectError(builder.finish(), "op 0 (ADD) input 0 reads tensor 0 'x', which has no data");
}

TEST(TfliteReader, RejectsAnOpThatWritesWhatItReads) {
    // fuzz.model_run_cpu: a CONCATENATION whose outputs were [input 1,
    // output] copied its own input over itself (overlapping memcpy).
    ModelBuilder builder;
    builder.addSubgraph();
    int a = builder.addTensor({"a", DataType::Float32, {1, 2}});
    int b = builder.addTensor({"b", DataType::Float32, {1, 2}});
    int joined = builder.addTensor({"joined", DataType::Float32, {1, 4}});
    builder.addOp({schema::BuiltinOperator_CONCATENATION, {}, {a, b}, {b, joined}});
    builder.setInputs({a, b});
    builder.setOutputs({joined});
    expectError(builder.finish(), "op 0 (CONCATENATION) writes tensor 1 'b', which it also reads");
}

std::pair<uint8_t, uint32_t> callOnce(flatbuffers::FlatBufferBuilder& fbb, int subgraph) {
    return {schema::BuiltinOptions_CallOnceOptions, schema::CreateCallOnceOptions(fbb, subgraph).o};
}

TEST(TfliteReader, RejectsCyclesBetweenSubgraphs) {
    ModelBuilder builder;
    for (int s = 0; s < 3; ++s) {
        builder.addSubgraph("graph" + std::to_string(s));
        int next = (s + 1) % 3;  // 0 -> 1 -> 2 -> 0
        builder.addOp({schema::BuiltinOperator_CALL_ONCE, {}, {}, {},
                       [next](auto& fbb) { return callOnce(fbb, next); }});
    }
    expectError(builder.finish(), "already on the call path (a cycle)");
}

TEST(TfliteReader, AcceptsSubgraphsCalledFromSeveralPlaces) {
    ModelBuilder builder;
    builder.addSubgraph("main");
    builder.addOp({schema::BuiltinOperator_CALL_ONCE, {}, {}, {}, [](auto& fbb) { return callOnce(fbb, 2); }});
    builder.addOp({schema::BuiltinOperator_CALL_ONCE, {}, {}, {}, [](auto& fbb) { return callOnce(fbb, 1); }});
    builder.addSubgraph("middle");
    builder.addOp({schema::BuiltinOperator_CALL_ONCE, {}, {}, {}, [](auto& fbb) { return callOnce(fbb, 2); }});
    builder.addSubgraph("leaf");
    auto model = load(builder.finish());
    ASSERT_TRUE(model) << model.errorMessage();
    EXPECT_EQ((*model)->subgraphs[0].ops[0].calledSubgraphs, std::vector<int>{2});
}

TEST(TfliteReader, RejectsWhileBodyOutOfRange) {
    ModelBuilder builder;
    builder.addSubgraph("main");
    builder.addOp({schema::BuiltinOperator_WHILE, {}, {}, {}, [](auto& fbb) {
                       return std::pair<uint8_t, uint32_t>(schema::BuiltinOptions_WhileOptions,
                                                           schema::CreateWhileOptions(fbb, 0, 5).o);
                   }});
    expectError(builder.finish(), "op 0 (WHILE) calls subgraph 5, but the model has 1 subgraphs");
}

TEST(TfliteReader, RejectsPerChannelScalesThatDoNotMatchTheAxis) {
    ModelBuilder builder = addModel();
    TensorSpec& bias = builder.current().tensors[1];
    bias.type = DataType::Int8;
    bias.shape = {4, 4};
    bias.scales = {0.1f, 0.2f, 0.3f};
    bias.zeroPoints = {0, 0, 0};
    expectError(builder.finish(), "has 3 per-channel scales for dimension 0 of size 4");
}

}  // namespace
}  // namespace litestudio

namespace litestudio {
namespace {

// Found by the fuzzer: a union type tag whose table is left out of the file.
TEST(TfliteReader, UnionTypeWithoutItsTableIsNotACrash) {
    ModelBuilder builder;
    builder.addSubgraph("main");
    builder.addOp({schema::BuiltinOperator_IF, {}, {}, {}, [](auto&) {
                       return std::pair<uint8_t, uint32_t>(schema::BuiltinOptions_IfOptions, 0);
                   }});
    auto model = load(builder.finish());
    ASSERT_TRUE(model) << model.errorMessage();
    EXPECT_TRUE((*model)->subgraphs[0].ops[0].calledSubgraphs.empty());
}

}  // namespace
}  // namespace litestudio

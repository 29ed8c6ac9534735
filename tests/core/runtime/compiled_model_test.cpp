// CompiledModel on models built here: partitioning across accelerators with
// per-op fallback, state kept between runs, cancellation, resizing.

#include "core/runtime/compiled_model.h"

#include <gtest/gtest.h>

#include <iostream>

#include "core/format/model_builder.h"
#include "core/format/model_file.h"
#include "core/kernels/string_tensor.h"
#include "core/support/memory_limit.h"
#include "core/format/tflite_reader.h"
#include "tests/support/test_paths.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

std::shared_ptr<Model> load(const ModelBuilder& builder) {
    auto bytes = std::make_shared<std::vector<uint8_t>>(builder.finish());
    auto model = readTfliteModel("built.tflite", bytes, *bytes);
    EXPECT_TRUE(model) << model.errorMessage();
    return model ? *model : nullptr;
}

// y = (x + 1) * 2, dynamic first dimension.
std::shared_ptr<Model> addMulModel() {
    ModelBuilder builder;
    builder.addSubgraph("main");
    TensorSpec x{"x", DataType::Float32, {1, 3}};
    x.shapeSignature = {-1, 3};
    int input = builder.addTensor(x);
    int one = builder.addFloatConstant("one", {1}, {1.0f});
    int two = builder.addFloatConstant("two", {1}, {2.0f});
    int sum = builder.addTensor({"sum", DataType::Float32, {1, 3}});
    int y = builder.addTensor({"y", DataType::Float32, {1, 3}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {input, one}, {sum}});
    builder.addOp({schema::BuiltinOperator_MUL, {}, {sum, two}, {y}});
    builder.setInputs({input});
    builder.setOutputs({y});
    return load(builder);
}

// Claims ADD only, and counts how often its kernel runs.
int fakeAddRuns = 0;
Status fakeAddEval(KernelContext& context) {
    ++fakeAddRuns;
    return findReferenceKernel(schema::BuiltinOperator_ADD)->eval(context);
}
const KernelDef kFakeAdd{[](KernelContext& context) { return findReferenceKernel(0)->prepare(context); }, fakeAddEval};

class AddOnlyAccelerator final : public Accelerator {
public:
    std::string_view name() const override { return "add-only"; }
    const KernelDef* kernelFor(const Model& model, const Subgraph&, const Op& op) const override {
        return model.opCode(op).builtin == schema::BuiltinOperator_ADD ? &kFakeAdd : nullptr;
    }
};

std::vector<float> runWith(CompiledModel& model, std::vector<float> input) {
    EntryPoint entry = model.inSubgraphOrder(0);
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(input.data()), input.size() * 4);
    EXPECT_TRUE(model.setInput(entry.subgraph, entry.inputs[0].tensor, bytes));
    EXPECT_TRUE(model.run(0));
    const RuntimeTensor& out = model.tensor(entry.subgraph, entry.outputs[0].tensor);
    return std::vector<float>(out.as<float>(), out.as<float>() + out.elementCount());
}

TEST(CompiledModel, PartitionsOpsAcrossAcceleratorsWithFallback) {
    auto environment = std::make_shared<Environment>();
    environment->add(std::make_shared<AddOnlyAccelerator>());
    environment->add(std::make_shared<ReferenceAccelerator>());
    CompileOptions options;
    options.accelerators = {"add-only", "reference"};
    auto compiled = CompiledModel::create(environment, addMulModel(), options);
    ASSERT_TRUE(compiled) << compiled.errorMessage();
    EXPECT_EQ((*compiled)->acceleratorOf(0, 0), "add-only");
    EXPECT_EQ((*compiled)->acceleratorOf(0, 1), "reference");
    fakeAddRuns = 0;
    EXPECT_EQ(runWith(**compiled, {1, 2, 3}), (std::vector<float>{4, 6, 8}));
    EXPECT_EQ(fakeAddRuns, 1);

    options.accelerators = {"add-only"};  // MUL has nowhere to go
    auto refused = CompiledModel::create(environment, addMulModel(), options);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.errorMessage().find("unsupported ops: MUL (subgraph 0 op 1)"), std::string::npos)
        << refused.errorMessage();
}

TEST(CompiledModel, InputsSetOnceStaySetForTheNextRun) {
    // x -> +1 -> +1 -> +1: once x is read, its memory could hold a later
    // sum; it must not, because callers (the benchmark) set inputs once.
    ModelBuilder builder;
    builder.addSubgraph("main");
    int x = builder.addTensor({"x", DataType::Float32, {1, 64}});
    int one = builder.addFloatConstant("one", {1}, {1.0f});
    int a = builder.addTensor({"a", DataType::Float32, {1, 64}});
    int b = builder.addTensor({"b", DataType::Float32, {1, 64}});
    int c = builder.addTensor({"c", DataType::Float32, {1, 64}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {x, one}, {a}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {a, one}, {b}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {b, one}, {c}});
    builder.setInputs({x});
    builder.setOutputs({c});
    auto model = CompiledModel::create(load(builder));
    ASSERT_TRUE(model) << model.errorMessage();
    EXPECT_EQ(runWith(**model, std::vector<float>(64, 5.0f)), std::vector<float>(64, 8.0f));
    ASSERT_TRUE((*model)->run(0));
    const RuntimeTensor& out = (*model)->tensor(0, c);
    EXPECT_EQ(std::vector<float>(out.as<float>(), out.as<float>() + 64), std::vector<float>(64, 8.0f));
    const RuntimeTensor& input = (*model)->tensor(0, x);
    EXPECT_EQ(input.as<float>()[0], 5.0f);
}

// A subgraph nothing calls is never compiled, and says so, instead of
// handing out tensors it does not have (the fuzz harness asked for them).
TEST(CompiledModel, SaysWhichSubgraphsItCompiled) {
    ModelBuilder builder;
    builder.addSubgraph("main");
    int x = builder.addTensor({"x", DataType::Float32, {1, 3}});
    int one = builder.addFloatConstant("one", {1}, {1.0f});
    int y = builder.addTensor({"y", DataType::Float32, {1, 3}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {x, one}, {y}});
    builder.setInputs({x});
    builder.setOutputs({y});
    builder.addSubgraph("unused");
    int a = builder.addTensor({"a", DataType::Float32, {2}});
    int b = builder.addTensor({"b", DataType::Float32, {2}});
    builder.addOp({schema::BuiltinOperator_NEG, {}, {a}, {b}});
    builder.setInputs({a});
    builder.setOutputs({b});
    auto model = CompiledModel::create(load(builder));
    ASSERT_TRUE(model) << model.errorMessage();
    std::cout << "  main compiled: " << (*model)->isCompiled(0) << ", unused compiled: " << (*model)->isCompiled(1) << "\n";
    EXPECT_TRUE((*model)->isCompiled(0));
    EXPECT_FALSE((*model)->isCompiled(1));
    EXPECT_EQ((*model)->tensor(0, y).elementCount(), 3);
}

TEST(CompiledModel, UnknownAcceleratorIsAClearError) {
    CompileOptions options;
    options.accelerators = {"npu"};
    auto compiled = CompiledModel::create(addMulModel(), options);
    ASSERT_FALSE(compiled);
    EXPECT_EQ(compiled.errorMessage(), "accelerator 'npu' is not available (this build has: reference)");
}

TEST(CompiledModel, AnAbsurdOutputShapeIsRefusedWhereItArises) {
    // Found by fuzz.model_run_cpu: a PAD by 2^24 on both sides of three axes gave a shape
    // whose element count overflows int64, and the convolution after it
    // multiplied it out in its prepare. The PAD is refused by name first.
    ModelBuilder builder;
    builder.addSubgraph("main");
    int x = builder.addTensor({"x", DataType::Float32, {1, 4, 4, 8}});
    int paddings = builder.addConstant("paddings", DataType::Int32, {4, 2},
                                       {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0});
    int padded = builder.addTensor({"padded", DataType::Float32, {1, 4, 4, 8}});
    int filter = builder.addFloatConstant("w", {2, 1, 1, 8}, std::vector<float>(16, 0.5f));
    int y = builder.addTensor({"y", DataType::Float32, {1, 4, 4, 2}});
    builder.addOp({schema::BuiltinOperator_PAD, {}, {x, paddings}, {padded}});
    builder.addOp({schema::BuiltinOperator_CONV_2D, {}, {padded, filter}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                           schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1).o};
                   }});
    builder.setInputs({x});
    builder.setOutputs({y});
    auto compiled = CompiledModel::create(load(builder), CompileOptions{});
    ASSERT_FALSE(compiled);
    std::cout << "  " << compiled.errorMessage() << "\n";
    EXPECT_NE(compiled.errorMessage().find("op 0 (PAD) output 'padded' [33554433,33554436,33554436,8] needs"), std::string::npos)
        << compiled.errorMessage();
}

TEST(CompiledModel, AnArenaLargerThanMemoryIsRefusedThoughEachTensorFits) {
    // x + x = y, then y + x = z: each tensor takes 4/10 of this machine's
    // memory, and all three are live at the second ADD.
    const size_t memory = physicalMemoryBytes();
    const auto planes = static_cast<int32_t>(memory * 4 / 10 / sizeof(float) / (1024 * 1024));
    const std::vector<int32_t> shape{1, planes, 1024, 1024};
    ModelBuilder builder;
    builder.addSubgraph("main");
    int x = builder.addTensor({"x", DataType::Float32, shape});
    int y = builder.addTensor({"y", DataType::Float32, shape});
    int z = builder.addTensor({"z", DataType::Float32, shape});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {x, x}, {y}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {y, x}, {z}});
    builder.setInputs({x});
    builder.setOutputs({z});
    auto compiled = CompiledModel::create(load(builder), CompileOptions{});
    std::cout << "  3 tensors of " << size_t(planes) * 4 << " MiB, " << memory / (1 << 20) << " MiB of memory: "
              << (compiled ? std::string("compiled") : compiled.errorMessage()) << "\n";
    ASSERT_FALSE(compiled);
    EXPECT_NE(compiled.errorMessage().find("the activation arena"), std::string::npos) << compiled.errorMessage();
    EXPECT_NE(compiled.errorMessage().find("more than this machine's"), std::string::npos) << compiled.errorMessage();
}

TEST(CompiledModel, AnInputThatNothingSizesIsRefusedBeforeItsKernel) {
    // Found by fuzz.model_run_cpu (CI): a tensor no op produces, stored with
    // an empty shape (which the validator lets through) but declared open as
    // [-2121957758,-2121957758,-3], reached RESHAPE's prepare at run time,
    // whose element count overflowed int64. It is refused by name.
    ModelBuilder builder;
    builder.addSubgraph("main");
    int x = builder.addTensor({"x", DataType::Float32, {1, 2}});
    TensorSpec open{"unsized", DataType::Float32, {0, 1, 1}};
    open.shapeSignature = {-2121957758, -2121957758, -3};
    int unsized = builder.addTensor(open);
    int reshaped = builder.addTensor({"reshaped", DataType::Float32, {2}});
    int y = builder.addTensor({"y", DataType::Float32, {1, 2}});
    builder.addOp({schema::BuiltinOperator_RESHAPE, {}, {unsized}, {reshaped}, [](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ReshapeOptions,
                                                           schema::CreateReshapeOptions(fbb, fbb.CreateVector(std::vector<int32_t>{-1})).o};
                   }});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {x, reshaped}, {y}});
    builder.setInputs({x});
    builder.setOutputs({y});
    auto compiled = CompiledModel::create(load(builder), CompileOptions{});
    Status status = compiled ? (*compiled)->run(0) : Status::error(compiled.errorMessage());
    ASSERT_FALSE(status);
    std::cout << "  " << status.message() << "\n";
    EXPECT_NE(status.message().find("op 0 (RESHAPE): input 'unsized' [-2121957758,-2121957758,-3] has open dimensions"), std::string::npos)
        << status.message();
}

// x [1, 2, 2, 1] resized to `size` (an input): y's shape exists only at run
// time, so the ops after the resize are prepared again when the model runs.
struct RunTimeResize {
    int x = -1, size = -1, y = -1;
};

RunTimeResize addRunTimeResize(ModelBuilder& builder) {
    RunTimeResize r;
    r.x = builder.addTensor({"x", DataType::Float32, {1, 2, 2, 1}});
    r.size = builder.addTensor({"size", DataType::Int32, {2}});
    TensorSpec resized{"y", DataType::Float32, {1, 2, 2, 1}};
    resized.shapeSignature = {1, -1, -1, 1};
    r.y = builder.addTensor(resized);
    builder.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {r.x, r.size}, {r.y}});
    return r;
}

template <typename T>
Status setValues(CompiledModel& model, int tensor, const std::vector<T>& values) {
    return model.setInput(0, tensor, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(T)));
}

TEST(CompiledModel, AVariableItsWriterWouldResizeAtRunTimeIsRefused) {
    // A variable tensor keeps the buffer its shape had at compile time. Ops
    // after one whose shape exists only at run time (a RESIZE to a size
    // given as input) are prepared again at run time; a SCATTER_ND there
    // whose shape input says [8] made a variable of 4 floats [8], and wrote
    // element 6 past its buffer: the runtime checked the run-time shapes of
    // other outputs only (the fuzzer's SCATTER_ND reached an int64 overflow
    // the same way).
    ModelBuilder builder;
    builder.addSubgraph("main");
    const RunTimeResize resize = addRunTimeResize(builder);
    const int x = resize.x, size = resize.size, y = resize.y;  // not structured bindings: clang 14 cannot capture those
    int indices = builder.addTensor({"indices", DataType::Int32, {1, 1}});
    int updates = builder.addTensor({"updates", DataType::Float32, {1}});
    int shape = builder.addTensor({"shape", DataType::Int32, {1}});
    TensorSpec variable{"state", DataType::Float32, {4}};
    variable.isVariable = true;
    int state = builder.addTensor(variable);
    builder.addOp({schema::BuiltinOperator_SCATTER_ND, {}, {indices, updates, shape}, {state}});
    builder.setInputs({x, size, indices, updates, shape});
    builder.setOutputs({y, state});
    auto compiled = CompiledModel::create(load(builder), CompileOptions{});
    ASSERT_TRUE(compiled) << compiled.errorMessage();
    CompiledModel& model = **compiled;
    EXPECT_TRUE(setValues<float>(model, x, {1, 2, 3, 4}));
    EXPECT_TRUE(setValues<int32_t>(model, size, {4, 4}));
    EXPECT_TRUE(setValues<float>(model, updates, {5}));
    auto scatterAt = [&](int32_t index, int32_t length) {
        EXPECT_TRUE(setValues<int32_t>(model, indices, {index}));
        EXPECT_TRUE(setValues<int32_t>(model, shape, {length}));
        return model.run(0);
    };
    Status fits = scatterAt(2, 4);
    ASSERT_TRUE(fits) << fits.message();
    const float* values = model.tensor(0, state).as<const float>();
    EXPECT_EQ(std::vector<float>(values, values + 4), (std::vector<float>{0, 0, 5, 0}));
    Status larger = scatterAt(6, 8);
    ASSERT_FALSE(larger);
    std::cout << "  " << larger.message() << "\n";
    EXPECT_NE(larger.message().find("would make variable 'state' [8], which holds [4]"), std::string::npos) << larger.message();
    EXPECT_EQ(model.tensor(0, state).shape, (std::vector<int32_t>{4}));
}

TEST(CompiledModel, AnOutputMadeAtRunTimePastTheLimitIsRefused) {
    // A resize whose size is an input: its output's shape exists only at run
    // time. With runTimeTensorLimit (the fuzz harness's 64 MiB) a large size
    // is an error naming the output instead of the work.
    ModelBuilder builder;
    builder.addSubgraph("main");
    const RunTimeResize resize = addRunTimeResize(builder);
    const int x = resize.x, size = resize.size, y = resize.y;  // not structured bindings: clang 14 cannot capture those
    builder.setInputs({x, size});
    builder.setOutputs({y});
    CompileOptions options;
    options.runTimeTensorLimit = 4096;
    auto compiled = CompiledModel::create(load(builder), options);
    ASSERT_TRUE(compiled) << compiled.errorMessage();
    CompiledModel& model = **compiled;
    ASSERT_TRUE(setValues<float>(model, x, {1, 2, 3, 4}));
    auto runAt = [&](const std::vector<int32_t>& dimensions) {
        EXPECT_TRUE(setValues(model, size, dimensions));
        return model.run(0);
    };
    Status small = runAt({16, 16});  // 1 KiB
    EXPECT_TRUE(small) << small.message();
    EXPECT_EQ(model.tensor(0, y).elementCount(), 256);
    Status large = runAt({64, 64});  // 16 KiB
    ASSERT_FALSE(large);
    std::cout << "  " << large.message() << "\n";
    EXPECT_NE(large.message().find("output 'y' [1,64,64,1] would take 16384 bytes, over the limit of 4096"), std::string::npos)
        << large.message();
}

TEST(CompiledModel, ResizesDynamicInputs) {
    auto compiled = CompiledModel::create(addMulModel());
    ASSERT_TRUE(compiled);
    CompiledModel& model = **compiled;
    ASSERT_TRUE(model.resizeInput(0, 0, {2, 3}));
    EXPECT_EQ(runWith(model, {0, 1, 2, 3, 4, 5}), (std::vector<float>{2, 4, 6, 8, 10, 12}));
    Status wrong = model.resizeInput(0, 0, {2, 4});
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.message().find("cannot take shape [2,4]"), std::string::npos) << wrong.message();
    std::cout << "  arena " << model.arenaBytes() << " bytes, lower bound " << model.arenaLowerBoundBytes() << "\n";
}

TEST(CompiledModel, CancelledRunSaysSo) {
    auto compiled = CompiledModel::create(addMulModel());
    ASSERT_TRUE(compiled);
    (*compiled)->cancel();
    Status status = (*compiled)->run(0);
    EXPECT_EQ(status.message(), "built.tflite: cancelled");
    EXPECT_TRUE((*compiled)->run(0)) << "a cancel applies to one run only";
}

}  // namespace
}  // namespace litestudio

namespace litestudio {
namespace {

TEST(CompiledModelLoops, AWhileLoopPastTheLimitStopsWithAnError) {
    // LiteRT's while_op_with_forwarding_input counts to its first input.
    auto file = openModelFile(
        (testing::sharedDir() / "models/litert-testdata/testdata_while_op_with_forwarding_input.bin").string());
    ASSERT_TRUE(file) << file.errorMessage();
    CompileOptions options;
    options.loopLimit = 2;
    auto model = CompiledModel::create(file->model, options);
    ASSERT_TRUE(model) << model.errorMessage();
    const Subgraph& main = file->model->subgraphs[0];
    int32_t iterations = 5;
    ASSERT_TRUE((*model)->setInput(0, main.inputs[0], {reinterpret_cast<const uint8_t*>(&iterations), 4}));
    ASSERT_TRUE((*model)->setInput(0, main.inputs[1], makeStringBuffer({"x"})));
    Status status = (*model)->run(0);
    ASSERT_FALSE(status);
    std::cout << "  " << status.message() << "\n";
    EXPECT_NE(status.message().find("the loop ran 2 iterations without its condition turning false"), std::string::npos);
    iterations = 2;
    ASSERT_TRUE((*model)->setInput(0, main.inputs[0], {reinterpret_cast<const uint8_t*>(&iterations), 4}));
    EXPECT_TRUE((*model)->run(0));
}

}  // namespace
}  // namespace litestudio

namespace litestudio {
namespace {

// x [2,3] -> RESHAPE [1,2,3] -> TRANSPOSE (1,0,2) [2,1,3] -> TRANSPOSE (2,1,0)
// [3,1,2] -> ADD 10 -> y. The reshape and the first transpose (it moves an
// axis of length 1) only relabel bytes: their outputs share x's memory and
// they do not run. The second swaps the axes of length 2 and 3 and must copy.
TEST(CompiledModel, OutputsThatOnlyRelabelShareTheirInputsMemory) {
    ModelBuilder builder;
    builder.addSubgraph("main");
    int x = builder.addTensor({"x", DataType::Float32, {2, 3}});
    auto ints = [&](const std::string& name, std::vector<int32_t> values) {
        std::vector<uint8_t> bytes(values.size() * 4);
        std::memcpy(bytes.data(), values.data(), bytes.size());
        return builder.addConstant(name, DataType::Int32, {static_cast<int32_t>(values.size())}, bytes);
    };
    int reshaped = builder.addTensor({"reshaped", DataType::Float32, {1, 2, 3}});
    int moved = builder.addTensor({"moved", DataType::Float32, {2, 1, 3}});
    int transposed = builder.addTensor({"transposed", DataType::Float32, {3, 1, 2}});
    int y = builder.addTensor({"y", DataType::Float32, {3, 1, 2}});
    builder.addOp({schema::BuiltinOperator_RESHAPE, {}, {x, ints("shape", {1, 2, 3})}, {reshaped}});
    builder.addOp({schema::BuiltinOperator_TRANSPOSE, {}, {reshaped, ints("unit_axis", {1, 0, 2})}, {moved}});
    builder.addOp({schema::BuiltinOperator_TRANSPOSE, {}, {moved, ints("real_axes", {2, 1, 0})}, {transposed}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {transposed, builder.addFloatConstant("ten", {1}, {10.0f})}, {y}});
    builder.setInputs({x});
    builder.setOutputs({y});
    auto model = load(builder);
    ASSERT_TRUE(model);
    auto compiled = CompiledModel::create(Environment::createDefault(), model, {});
    ASSERT_TRUE(compiled) << compiled.errorMessage();
    CompiledModel& m = **compiled;
    std::vector<float> out = runWith(m, {1, 2, 3, 4, 5, 6});
    EXPECT_EQ(out, (std::vector<float>{11, 14, 12, 15, 13, 16}));
    const uint8_t* input = m.tensor(0, x).data;
    std::printf("x at %p; reshaped at %p, moved at %p, transposed at %p\n", static_cast<const void*>(input),
                static_cast<const void*>(m.tensor(0, reshaped).data), static_cast<const void*>(m.tensor(0, moved).data),
                static_cast<const void*>(m.tensor(0, transposed).data));
    EXPECT_EQ(m.tensor(0, reshaped).data, input);
    EXPECT_EQ(m.tensor(0, moved).data, input);
    EXPECT_NE(m.tensor(0, transposed).data, input);
    // A second run with new values reads them through the shared memory.
    EXPECT_EQ(runWith(m, {0, 0, 0, 1, 1, 1}), (std::vector<float>{10, 11, 10, 11, 10, 11}));
}

// A graph output that reshapes an intermediate shares its memory (the logits
// of an LLM: 1 MB a token not copied); one that reshapes the graph's input
// keeps its own, so setting the input never changes a result already read.
TEST(CompiledModel, GraphOutputsShareOnlyTheArenasOwnMemory) {
    ModelBuilder builder;
    builder.addSubgraph("main");
    int x = builder.addTensor({"x", DataType::Float32, {2, 2}});
    int shape = builder.addConstant("shape", DataType::Int32, {1}, {4, 0, 0, 0});
    int sum = builder.addTensor({"sum", DataType::Float32, {2, 2}});
    int flatSum = builder.addTensor({"flat_sum", DataType::Float32, {4}});
    int flatInput = builder.addTensor({"flat_input", DataType::Float32, {4}});
    builder.addOp({schema::BuiltinOperator_ADD, {}, {x, x}, {sum}});
    builder.addOp({schema::BuiltinOperator_RESHAPE, {}, {sum, shape}, {flatSum}});
    builder.addOp({schema::BuiltinOperator_RESHAPE, {}, {x, shape}, {flatInput}});
    builder.setInputs({x});
    builder.setOutputs({flatSum, flatInput});
    auto model = load(builder);
    ASSERT_TRUE(model);
    auto compiled = CompiledModel::create(Environment::createDefault(), model, {});
    ASSERT_TRUE(compiled) << compiled.errorMessage();
    CompiledModel& m = **compiled;
    EXPECT_EQ(runWith(m, {1, 2, 3, 4}), (std::vector<float>{2, 4, 6, 8}));
    EXPECT_EQ(m.tensor(0, flatSum).data, m.tensor(0, sum).data);
    EXPECT_NE(m.tensor(0, flatInput).data, m.tensor(0, x).data);
    const RuntimeTensor& copied = m.tensor(0, flatInput);
    EXPECT_EQ(std::vector<float>(copied.as<float>(), copied.as<float>() + 4), (std::vector<float>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace litestudio

// String tensors: TFLite's buffer layout checked and written, GATHER and
// RESHAPE on strings, strings carried through a WHILE loop, and ops that do
// not take strings refused by name.

#include "core/kernels/string_tensor.h"
#include "core/format/model_file.h"
#include "tests/core/kernels/single_op_model.h"
#include "tests/support/test_paths.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::bytesOf;
using testing::compileBuilt;
using testing::setValues;

std::vector<std::string> stringsOf(const RuntimeTensor& tensor) {
    auto view = StringTensorView::open(tensor);
    EXPECT_TRUE(view) << view.errorMessage();
    std::vector<std::string> strings;
    if (view)
        for (int64_t i = 0; i < view->count(); ++i) strings.emplace_back(view->at(i));
    return strings;
}

TEST(StringTensor, BufferLayoutIsTfLites) {
    // count 2, offsets 16, 19, 19, then "abc" and "".
    std::vector<uint8_t> buffer = makeStringBuffer({"abc", ""});
    std::vector<uint8_t> want = bytesOf<int32_t>({2, 16, 19, 19});
    want.insert(want.end(), {'a', 'b', 'c'});
    EXPECT_EQ(buffer, want);
    auto view = StringTensorView::open(buffer, 2, "t");
    ASSERT_TRUE(view) << view.errorMessage();
    EXPECT_EQ(view->at(0), "abc");
    EXPECT_EQ(view->at(1), "");
}

TEST(StringTensor, MalformedBuffersAreRefusedWithTheReason) {
    struct Case {
        std::vector<uint8_t> bytes;
        int64_t count;
        std::string reason;
    };
    std::vector<uint8_t> goodTwo = makeStringBuffer({"ab", "c"});
    std::vector<uint8_t> outOfOrder = bytesOf<int32_t>({2, 16, 18, 17});
    outOfOrder.insert(outOfOrder.end(), {'a', 'b', 'c'});
    std::vector<uint8_t> pastEnd = bytesOf<int32_t>({1, 12, 40});
    std::vector<uint8_t> hugeCount = bytesOf<int32_t>({0x7fffffff, 12});
    for (const Case& c : std::vector<Case>{{{1, 0}, 1, "holds no string buffer"},
                                           {goodTwo, 3, "holds 2 strings, its shape needs 3"},
                                           {outOfOrder, 2, "out of order"},
                                           {pastEnd, 1, "out of bounds"},
                                           {hugeCount, 0x7fffffff, "runs past the end"}}) {
        auto view = StringTensorView::open(c.bytes, c.count, "t");
        ASSERT_FALSE(view);
        std::cout << "  " << view.errorMessage() << "\n";
        EXPECT_NE(view.errorMessage().find(c.reason), std::string::npos) << view.errorMessage();
    }
}

TEST(StringTensor, GatherPicksStringsByIndex) {
    ModelBuilder builder;
    builder.addSubgraph();
    int params = builder.addTensor({"params", DataType::String, {2, 2}});
    int indices = builder.addTensor({"indices", DataType::Int32, {3}});
    int out = builder.addTensor({"out", DataType::String, {3, 2}});
    builder.addOp({schema::BuiltinOperator_GATHER, {}, {params, indices}, {out}});
    builder.setInputs({params, indices});
    builder.setOutputs({out});
    for (std::vector<std::string> accelerators : {std::vector<std::string>{"reference"}, {"cpu", "reference"}}) {
        auto model = compileBuilt(builder, accelerators);
        ASSERT_TRUE(model) << model.errorMessage();
        ASSERT_TRUE((*model)->setInput(0, params, makeStringBuffer({"cat", "dog", "", "emu"})));
        ASSERT_TRUE(setValues<int32_t>(**model, indices, {1, 0, 1}));
        ASSERT_TRUE((*model)->run(0));
        EXPECT_EQ(stringsOf((*model)->tensor(0, out)), (std::vector<std::string>{"", "emu", "cat", "dog", "", "emu"}));
        // A second run with longer strings grows the output.
        ASSERT_TRUE((*model)->setInput(0, params, makeStringBuffer({"a long string", "b", "c", "d"})));
        ASSERT_TRUE((*model)->run(0));
        EXPECT_EQ(stringsOf((*model)->tensor(0, out)), (std::vector<std::string>{"c", "d", "a long string", "b", "c", "d"}));
    }
}

TEST(StringTensor, SetInputChecksTheBuffer) {
    ModelBuilder builder;
    builder.addSubgraph();
    int in = builder.addTensor({"in", DataType::String, {2}});
    int shape = builder.addConstant("shape", DataType::Int32, {2}, bytesOf<int32_t>({1, 2}));
    int out = builder.addTensor({"out", DataType::String, {1, 2}});
    builder.addOp({schema::BuiltinOperator_RESHAPE, {}, {in, shape}, {out}});
    builder.setInputs({in});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    Status wrongCount = (*model)->setInput(0, in, makeStringBuffer({"only one"}));
    ASSERT_FALSE(wrongCount);
    std::cout << "  " << wrongCount.message() << "\n";
    EXPECT_NE(wrongCount.message().find("holds 1 strings, its shape needs 2"), std::string::npos);
    ASSERT_TRUE((*model)->setInput(0, in, makeStringBuffer({"x", "yz"})));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(stringsOf((*model)->tensor(0, out)), (std::vector<std::string>{"x", "yz"}));
}

TEST(StringTensor, ArithmeticOnStringsIsRefusedByName) {
    auto file = openModelFile((testing::sharedDir() / "models/litert-testdata/testdata_tensor_string_data_type.bin").string());
    ASSERT_TRUE(file) << file.errorMessage();
    auto model = CompiledModel::create(file->model);
    ASSERT_FALSE(model);
    std::cout << "  " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("op 0 (ADD): does not take string tensors ('a')"), std::string::npos);
}

TEST(StringTensor, WhileLoopForwardsAStringInput) {
    // LiteRT's while_op_with_forwarding_input: the loop counts to
    // num_iterations and hands the string input through unchanged.
    auto file = openModelFile(
        (testing::sharedDir() / "models/litert-testdata/testdata_while_op_with_forwarding_input.bin").string());
    ASSERT_TRUE(file) << file.errorMessage();
    auto model = CompiledModel::create(file->model);
    ASSERT_TRUE(model) << model.errorMessage();
    const Subgraph& main = file->model->subgraphs[0];
    ASSERT_TRUE(setValues<int32_t>(**model, main.inputs[0], {3}));
    ASSERT_TRUE((*model)->setInput(0, main.inputs[1], makeStringBuffer({"hello"})));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ((*model)->tensor(0, main.outputs[0]).as<int32_t>()[0], 3);
    EXPECT_EQ(stringsOf((*model)->tensor(0, main.outputs[2])), (std::vector<std::string>{"hello"}));
}

}  // namespace
}  // namespace litestudio

// CONCATENATION's output shape: inputs whose joined axis passes int32 are
// refused by name (two empty inputs of 2,000,000,000 rows each overflowed
// the sum in its prepare), and a plain join is the inputs one after the
// other.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

ModelBuilder concatenation(std::vector<int32_t> a, std::vector<int32_t> b, std::vector<int32_t> out, int& first, int& second, int& output) {
    ModelBuilder builder;
    builder.addSubgraph();
    first = builder.addTensor({"a", DataType::Float32, std::move(a)});
    second = builder.addTensor({"b", DataType::Float32, std::move(b)});
    output = builder.addTensor({"joined", DataType::Float32, std::move(out)});
    builder.addOp({schema::BuiltinOperator_CONCATENATION, {}, {first, second}, {output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions,
                                                           schema::CreateConcatenationOptions(fbb, 0).o};
                   }});
    builder.setInputs({first, second});
    builder.setOutputs({output});
    return builder;
}

TEST(Concatenation, JoinsAlongTheAxis) {
    int a = 0, b = 0, out = 0;
    auto model = compileBuilt(concatenation({1, 2}, {2, 2}, {3, 2}, a, b, out), {"reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**model, a, {1, 2}));
    ASSERT_TRUE(testing::setValues<float>(**model, b, {3, 4, 5, 6}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<float>(**model, out), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Concatenation, AJoinedAxisPastInt32IsRefused) {
    int a = 0, b = 0, out = 0;
    auto model = compileBuilt(concatenation({2000000000, 0}, {2000000000, 0}, {1, 0}, a, b, out), {"reference"});
    ASSERT_FALSE(model);
    std::cout << "  " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("joins 4000000000 along axis 0, past the largest dimension"), std::string::npos)
        << model.errorMessage();
}

}  // namespace
}  // namespace litestudio

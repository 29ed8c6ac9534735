// Ops that read an axis or k from a tensor at run time (SPLIT, SPLIT_V,
// ARG_MAX, TOPK_V2) given one that holds no value: each stops with an error
// naming the operand. Found by fuzz.model_run_cpu: SPLIT threw
// std::out_of_range out of the run and aborted the process. (EXPAND_DIMS
// reads its axis only in prepare, to set a shape; it keeps the declared one
// when the axis comes at run time.)

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

// Runs `code` on x [2, 4] and an int32 operand of shape [0] fed at run time
// (so prepare cannot look at it); returns the run's error message.
std::string runWithEmptyOperand(schema::BuiltinOperator code, bool operandFirst, std::vector<int32_t> outputShape, int outputs = 1) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {2, 4}});
    int axis = builder.addTensor({"axis", DataType::Int32, {0}});
    std::vector<int> results;
    for (int i = 0; i < outputs; ++i)
        results.push_back(builder.addTensor({std::string("y").append(std::to_string(i)),
                                             i == 1 || code == schema::BuiltinOperator_ARG_MAX ? DataType::Int32 : DataType::Float32,
                                             outputShape}));
    std::vector<int> inputs = operandFirst ? std::vector<int>{axis, x} : std::vector<int>{x, axis};
    if (code == schema::BuiltinOperator_SPLIT_V) inputs = {x, builder.addConstant("sizes", DataType::Int32, {2}, testing::bytesOf<int32_t>({1, 1})), axis};
    if (code == schema::BuiltinOperator_SPLIT || code == schema::BuiltinOperator_SPLIT_V) {
        builder.addOp({code, {}, inputs, results, [code](flatbuffers::FlatBufferBuilder& fbb) {
                           if (code == schema::BuiltinOperator_SPLIT)
                               return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SplitOptions, schema::CreateSplitOptions(fbb, 2).o};
                           return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SplitVOptions, schema::CreateSplitVOptions(fbb, 2).o};
                       }});
    } else {
        builder.addOp({code, {}, inputs, results});
    }
    builder.setInputs({x, axis});
    builder.setOutputs(results);
    auto model = compileBuilt(builder);
    if (!model) return model.errorMessage();
    EXPECT_TRUE(testing::setValues<float>(**model, x, {1, 2, 3, 4, 5, 6, 7, 8}));
    Status status = (*model)->run(0);
    return status ? std::string("(ran)") : status.message();
}

TEST(AxisOperand, EmptyAxisOrKIsAClearError) {
    struct Case {
        schema::BuiltinOperator code;
        bool operandFirst;
        std::vector<int32_t> outputShape;
        int outputs;
    };
    const std::vector<Case> cases = {
        {schema::BuiltinOperator_SPLIT, true, {1, 4}, 2},
        {schema::BuiltinOperator_SPLIT_V, false, {1, 4}, 2},
        {schema::BuiltinOperator_ARG_MAX, false, {2}, 1},
        {schema::BuiltinOperator_TOPK_V2, false, {2, 1}, 2},
    };
    for (const Case& c : cases) {
        std::string message = runWithEmptyOperand(c.code, c.operandFirst, c.outputShape, c.outputs);
        std::cout << "  " << schema::EnumNameBuiltinOperator(c.code) << ": " << message << "\n";
        EXPECT_NE(message.find("'axis' [0] holds no value"), std::string::npos) << message;
    }
}

// ARG_MAX writes int32 or int64 indices. A float16 output took them as
// int32 writes past its end (fuzz.model_run_cpu, a uint8 [1,204,4,21]
// input: a heap overflow on the reference); an axis given only at run time
// leaves the output as declared, which may hold fewer values than the arg
// has. Both are errors naming the output.
TEST(AxisOperand, ArgMaxChecksItsOutput) {
    auto argMaxModel = [](DataType outputType, std::vector<int32_t> outputShape, bool axisAtRunTime, int& x, int& axis) {
        ModelBuilder builder;
        builder.addSubgraph();
        x = builder.addTensor({"x", DataType::Float32, {2, 4}});
        axis = axisAtRunTime ? builder.addTensor({"axis", DataType::Int32, {1}})
                             : builder.addConstant("axis", DataType::Int32, {1}, testing::bytesOf<int32_t>({1}));
        int y = builder.addTensor({"y", outputType, outputShape});
        builder.addOp({schema::BuiltinOperator_ARG_MAX, {}, {x, axis}, {y}});
        builder.setInputs(axisAtRunTime ? std::vector<int>{x, axis} : std::vector<int>{x});
        builder.setOutputs({y});
        return builder;
    };
    int x = 0, axis = 0;
    auto halfOutput = compileBuilt(argMaxModel(DataType::Float16, {2}, false, x, axis));
    ASSERT_FALSE(halfOutput);
    std::cout << "  float16 output: " << halfOutput.errorMessage() << "\n";
    EXPECT_NE(halfOutput.errorMessage().find("tensor 'y' is float16, expected int32, int64"), std::string::npos);

    auto shortOutput = compileBuilt(argMaxModel(DataType::Int32, {1}, true, x, axis));
    ASSERT_TRUE(shortOutput) << shortOutput.errorMessage();
    ASSERT_TRUE(testing::setValues<float>(**shortOutput, x, {1, 5, 2, 3, 9, 0, 4, 4}));
    ASSERT_TRUE(testing::setValues<int32_t>(**shortOutput, axis, {1}));
    Status status = (*shortOutput)->run(0);
    std::cout << "  run-time axis, output [1]: " << (status ? std::string("(ran)") : status.message()) << "\n";
    ASSERT_FALSE(status);
    EXPECT_NE(status.message().find("holds 1 values; the arg over axis 1 of [2,4] has 2"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace litestudio

// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR of an image with no columns
// (or rows) to a non-empty size: there is nothing to sample, so prepare
// stops with an error naming the input. Found by fuzz.model_run_cpu: the
// reference kernel read past the empty input (heap overflow under ASan).
// With the size fed at run time prepare cannot check: the run does, and
// refuses an output that drops channels, an empty image, and a size other
// than the declared output's, on the reference and on XNNPACK's resize
// (fuzz.model_run_cpu again: a [1,65539,0,4096] image resized into
// [1,17,17,21] read freed memory on the first, [1,3,3,65557] crashed the
// second). A size past int32 is refused.

#include "core/format/builtin_op_names.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

std::string resizeEmpty(schema::BuiltinOperator code, DataType type, std::vector<int32_t> inputShape) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", type, inputShape});
    int size = builder.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({6, 8}));
    int y = builder.addTensor({"y", type, {inputShape[0], 6, 8, inputShape[3]}});
    builder.addOp({code, {}, {x, size}, {y}});
    builder.setInputs({x});
    builder.setOutputs({y});
    auto model = testing::compileBuilt(builder);
    if (!model) return model.errorMessage();
    Status status = (*model)->run(0);
    return status ? std::string("(ran)") : status.message();
}

TEST(Resize, AnEmptyImageIsAClearError) {
    struct Case {
        schema::BuiltinOperator code;
        DataType type;
        std::vector<int32_t> shape;
    };
    const std::vector<Case> cases = {
        {schema::BuiltinOperator_RESIZE_BILINEAR, DataType::Int64, {1, 3, 0, 16}},  // the fuzzer's input
        {schema::BuiltinOperator_RESIZE_BILINEAR, DataType::Float32, {1, 0, 4, 2}},
        {schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, DataType::Float32, {1, 3, 0, 2}},
    };
    for (const Case& c : cases) {
        std::string message = resizeEmpty(c.code, c.type, c.shape);
        std::cout << "  " << builtinOpName(c.code) << " of " << c.shape[1] << "x" << c.shape[2] << ": " << message << "\n";
        EXPECT_NE(message.find("cannot resize the empty image x"), std::string::npos) << message;
    }
}

TEST(Resize, ASizePastInt32IsRefused) {
    // An int64 size of 2^32 + 6 wrapped to a 6-row output.
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {1, 2, 2, 1}});
    int size = builder.addConstant("size", DataType::Int64, {2}, testing::bytesOf<int64_t>({(int64_t{1} << 32) + 6, 8}));
    int y = builder.addTensor({"y", DataType::Float32, {1, 6, 8, 1}});
    builder.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {x, size}, {y}});
    builder.setInputs({x});
    builder.setOutputs({y});
    auto model = testing::compileBuilt(builder, {"reference"});
    ASSERT_FALSE(model);
    std::cout << "  " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("size must be two positive values below 2^31"), std::string::npos) << model.errorMessage();
}

TEST(Resize, ASizeGivenAtRunTimeIsCheckedThen) {
    struct Case {
        std::vector<int32_t> input, output;
        std::vector<int32_t> size;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {{1, 4, 4, 8}, {1, 6, 6, 3}, {6, 6}, "does not keep the batch and channels of x [1,4,4,8]"},
        {{1, 3, 0, 2}, {1, 6, 6, 2}, {6, 6}, "cannot resize the empty image x [1,3,0,2]"},
        {{1, 4, 4, 2}, {1, 6, 6, 2}, {6, 9}, "size does not match output y [1,6,6,2]"},
        {{1, 4, 4, 2}, {1, 6, 6, 2}, {6, 6}, "(ran)"},
    };
    const std::vector<std::vector<std::string>> chains = {{"reference"}, {"cpu", "reference"}};  // cpu: XNNPACK's resize
    for (const std::vector<std::string>& accelerators : chains)
    for (schema::BuiltinOperator code : {schema::BuiltinOperator_RESIZE_BILINEAR, schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR})
        for (const Case& c : cases) {
            ModelBuilder builder;
            builder.addSubgraph();
            int x = builder.addTensor({"x", DataType::Float32, c.input});
            int size = builder.addTensor({"size", DataType::Int32, {2}});
            int y = builder.addTensor({"y", DataType::Float32, c.output});
            builder.addOp({code, {}, {x, size}, {y}});
            builder.setInputs({x, size});
            builder.setOutputs({y});
            auto model = testing::compileBuilt(builder, accelerators);
            ASSERT_TRUE(model) << model.errorMessage();
            ASSERT_TRUE(testing::setValues<int32_t>(**model, size, c.size));
            Status status = (*model)->run(0);
            const std::string message = status ? std::string("(ran)") : status.message();
            std::cout << "  " << (*model)->acceleratorOf(0, 0) << ": " << builtinOpName(code) << " " << shapeText(c.input) << " by " << c.size[0] << "x" << c.size[1] << " into "
                      << shapeText(c.output) << ": " << message << "\n";
            EXPECT_NE(message.find(c.expected), std::string::npos) << message;
        }
}

}  // namespace
}  // namespace litestudio

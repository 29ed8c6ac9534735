// CONV_2D and DEPTHWISE_CONV_2D whose dilation spreads the filter over more
// than 2^24 pixels stop in prepare with an error naming the dilation.
// Found by fuzz.model_run_cpu: a dilation of 1634296415 overflowed int in
// the output-size arithmetic (UBSan). A large but sane dilation still runs.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

std::string convolveWithDilation(schema::BuiltinOperator code, int dilation) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {1, 5, 5, 2}});
    const bool depthwise = code == schema::BuiltinOperator_DEPTHWISE_CONV_2D;
    int w = builder.addFloatConstant("w", depthwise ? std::vector<int32_t>{1, 3, 3, 2} : std::vector<int32_t>{2, 3, 3, 2},
                                     std::vector<float>(depthwise ? 18 : 36, 0.5f));
    int y = builder.addTensor({"y", DataType::Float32, {1, 5, 5, 2}});
    builder.addOp({code, {}, {x, w}, {y}, [depthwise, dilation](flatbuffers::FlatBufferBuilder& fbb) {
                       if (depthwise)
                           return std::pair<uint8_t, uint32_t>{
                               schema::BuiltinOptions_DepthwiseConv2DOptions,
                               schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_SAME, 1, 1, 1, schema::ActivationFunctionType_NONE,
                                                                    dilation, dilation).o};
                       return std::pair<uint8_t, uint32_t>{
                           schema::BuiltinOptions_Conv2DOptions,
                           schema::CreateConv2DOptions(fbb, schema::Padding_SAME, 1, 1, schema::ActivationFunctionType_NONE, dilation, dilation).o};
                   }});
    builder.setInputs({x});
    builder.setOutputs({y});
    for (const char* accelerator : {"reference", "cpu"}) {
        auto model = testing::compileBuilt(builder, {accelerator, "reference"});
        if (!model) return model.errorMessage();
        Status status = (*model)->run(0);
        if (!status) return status.message();
    }
    return "(ran)";
}

TEST(Dilation, BeyondTwoToThe24PixelsIsAClearError) {
    for (auto code : {schema::BuiltinOperator_CONV_2D, schema::BuiltinOperator_DEPTHWISE_CONV_2D}) {
        const std::string hostile = convolveWithDilation(code, 1634296415);
        const std::string sane = convolveWithDilation(code, 1000);
        std::cout << "  " << (code == schema::BuiltinOperator_CONV_2D ? "CONV_2D" : "DEPTHWISE_CONV_2D") << ": dilation 1634296415: "
                  << hostile << "; dilation 1000: " << sane << "\n";
        EXPECT_NE(hostile.find("dilation 1634296415x1634296415 spreads the 3x3 filter over more than 2^24 pixels"), std::string::npos)
            << hostile;
        EXPECT_EQ(sane, "(ran)");
    }
}

}  // namespace
}  // namespace litestudio

// CONV_3D against sums worked out by hand.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

TEST(Convolution3d, SamePaddingSumsTheNeighbourhoodPlusBias) {
    // Input 1x2x2x2x1 holding 1..8; a 2x2x2 filter of ones with two output
    // channels (the second doubled), SAME padding, stride 1: each output
    // sums the input box starting at its position.
    ModelBuilder builder;
    builder.addSubgraph();
    int input = builder.addTensor({"input", DataType::Float32, {1, 2, 2, 2, 1}});
    std::vector<float> taps;
    for (int i = 0; i < 8; ++i) taps.insert(taps.end(), {1.0f, 2.0f});
    int filter = builder.addFloatConstant("filter", {2, 2, 2, 1, 2}, taps);
    int bias = builder.addFloatConstant("bias", {2}, {0.5f, 0.0f});
    int out = builder.addTensor({"out", DataType::Float32, {1, 2, 2, 2, 2}});
    builder.addOp({schema::BuiltinOperator_CONV_3D, {}, {input, filter, bias}, {out}, [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv3DOptions,
                                            schema::CreateConv3DOptions(fbb, schema::Padding_SAME, 1, 1, 1).o};
    }});
    builder.setInputs({input});
    builder.setOutputs({out});
    auto model = compileBuilt(builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<float>(**model, input, {1, 2, 3, 4, 5, 6, 7, 8}));
    ASSERT_TRUE((*model)->run(0));
    // Position (d,h,w) sums inputs at d..1, h..1, w..1 (index d*4+h*2+w+1).
    std::vector<float> want;
    for (int d = 0; d < 2; ++d)
        for (int h = 0; h < 2; ++h)
            for (int w = 0; w < 2; ++w) {
                float sum = 0;
                for (int dd = d; dd < 2; ++dd)
                    for (int hh = h; hh < 2; ++hh)
                        for (int ww = w; ww < 2; ++ww) sum += static_cast<float>(dd * 4 + hh * 2 + ww + 1);
                want.insert(want.end(), {sum + 0.5f, 2 * sum});
            }
    EXPECT_EQ(want[0], 36.5f);  // the whole box
    EXPECT_EQ(tensorValues<float>(**model, out), want);
}

}  // namespace
}  // namespace litestudio

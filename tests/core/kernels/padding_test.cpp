// MIRROR_PAD in both modes and PAD, on a 2x3 input whose results are
// TensorFlow's documented examples (tf.pad with paddings [[1, 1], [2, 2]]):
// rows are padded before and after, and so is the last axis around the
// row's inside, which is copied as one run. A padded size past int32 is
// refused.

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

std::vector<float> pad(schema::BuiltinOperator code, schema::MirrorPadMode mode) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {2, 3}});
    int paddings = builder.addConstant("paddings", DataType::Int32, {2, 2}, testing::bytesOf<int32_t>({1, 1, 2, 2}));
    int out = builder.addTensor({"out", DataType::Float32, {4, 7}});
    if (code == schema::BuiltinOperator_MIRROR_PAD) {
        builder.addOp({code, {}, {x, paddings}, {out}, [mode](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MirrorPadOptions,
                                                               schema::CreateMirrorPadOptions(fbb, mode).o};
                       }});
    } else {
        builder.addOp({code, {}, {x, paddings}, {out}});
    }
    builder.setInputs({x});
    builder.setOutputs({out});
    auto model = compileBuilt(builder, {"reference"});
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return {};
    EXPECT_TRUE(setValues<float>(**model, x, {1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE((*model)->run(0));
    return tensorValues<float>(**model, out);
}

TEST(Padding, MirrorPadReflectLeavesTheEdgeOut) {
    EXPECT_EQ(pad(schema::BuiltinOperator_MIRROR_PAD, schema::MirrorPadMode_REFLECT),
              (std::vector<float>{6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1}));
}

TEST(Padding, MirrorPadSymmetricRepeatsTheEdge) {
    EXPECT_EQ(pad(schema::BuiltinOperator_MIRROR_PAD, schema::MirrorPadMode_SYMMETRIC),
              (std::vector<float>{2, 1, 1, 2, 3, 3, 2, 2, 1, 1, 2, 3, 3, 2, 5, 4, 4, 5, 6, 6, 5, 5, 4, 4, 5, 6, 6, 5}));
}

TEST(Padding, PadFillsZeros) {
    EXPECT_EQ(pad(schema::BuiltinOperator_PAD, schema::MirrorPadMode_REFLECT),
              (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(Padding, APaddedDimensionPastInt32IsRefused) {
    // fuzz.model_run_cpu: an empty input of 2,130,706,433 rows padded by
    // 2^24 more; the padded size overflowed int32 in PAD's prepare.
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {2130706433, 0}});
    int paddings = builder.addConstant("paddings", DataType::Int32, {2, 2}, testing::bytesOf<int32_t>({0, 1 << 24, 0, 0}));
    int out = builder.addTensor({"out", DataType::Float32, {1, 0}});
    builder.addOp({schema::BuiltinOperator_PAD, {}, {x, paddings}, {out}});
    builder.setInputs({x});
    builder.setOutputs({out});
    auto model = compileBuilt(builder, {"reference"});
    ASSERT_FALSE(model);
    std::cout << "  " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("padding axis 0 of [2130706433,0] to 2147483649 passes the largest dimension"), std::string::npos)
        << model.errorMessage();
}

}  // namespace
}  // namespace litestudio

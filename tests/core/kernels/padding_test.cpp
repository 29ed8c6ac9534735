// MIRROR_PAD in both modes and PAD, on a 2x3 input whose results are
// TensorFlow's documented examples (tf.pad with paddings [[1, 1], [2, 2]]):
// rows are padded before and after, and so is the last axis around the
// row's inside, which is copied as one run. Then 300 random shapes of rank
// 1 to 4 with random paddings (often none on the trailing axes, which the
// kernel copies as blocks) against the definition, element by element. A
// padded size past int32 is refused.

#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

// A PAD (code PAD) or MIRROR_PAD in `mode` of x by `paddings` into out.
void addPad(ModelBuilder& builder, schema::BuiltinOperator code, schema::MirrorPadMode mode, int x, int paddings, int out) {
    if (code != schema::BuiltinOperator_MIRROR_PAD) {
        builder.addOp({code, {}, {x, paddings}, {out}});
        return;
    }
    builder.addOp({code, {}, {x, paddings}, {out}, [mode](flatbuffers::FlatBufferBuilder& fbb) {
                       return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MirrorPadOptions, schema::CreateMirrorPadOptions(fbb, mode).o};
                   }});
}

std::vector<float> pad(schema::BuiltinOperator code, schema::MirrorPadMode mode) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {2, 3}});
    int paddings = builder.addConstant("paddings", DataType::Int32, {2, 2}, testing::bytesOf<int32_t>({1, 1, 2, 2}));
    int out = builder.addTensor({"out", DataType::Float32, {4, 7}});
    addPad(builder, code, mode, x, paddings, out);
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

// The element of `input` that output coordinate `at` of axis `axis` reads, by
// the definition: -1 for the pad value.
int64_t sourceOf(int64_t at, int64_t before, int64_t size, int code, bool symmetric) {
    at -= before;
    if (at >= 0 && at < size) return at;
    if (code != schema::BuiltinOperator_MIRROR_PAD) return -1;
    return at < 0 ? (symmetric ? -at - 1 : -at) : (symmetric ? 2 * size - at - 1 : 2 * size - at - 2);
}

TEST(Padding, RandomShapesMatchTheDefinition) {
    std::mt19937 random(17);
    int cases = 0, wrongCases = 0, blocks = 0;
    for (int trial = 0; trial < 300; ++trial) {
        const int rank = 1 + static_cast<int>(random() % 4);
        const int code = trial % 3 == 0 ? schema::BuiltinOperator_PAD : schema::BuiltinOperator_MIRROR_PAD;
        const bool symmetric = trial % 3 == 2;
        std::vector<int32_t> shape(static_cast<size_t>(rank)), padded(static_cast<size_t>(rank)), pads;
        for (int d = 0; d < rank; ++d) {
            shape[static_cast<size_t>(d)] = 1 + static_cast<int32_t>(random() % 5);
            // Mirror pads reach at most size - 1 (reflect) or size (symmetric) far.
            const int32_t most = code == schema::BuiltinOperator_MIRROR_PAD ? shape[static_cast<size_t>(d)] - (symmetric ? 0 : 1) : 3;
            const bool none = random() % 2 == 0;  // trailing axes unpadded half the time
            for (int side = 0; side < 2; ++side) pads.push_back(none || most == 0 ? 0 : static_cast<int32_t>(random() % (most + 1)));
            padded[static_cast<size_t>(d)] = shape[static_cast<size_t>(d)] + pads[pads.size() - 2] + pads.back();
        }
        blocks += pads.back() == 0 && pads[pads.size() - 2] == 0;
        ModelBuilder builder;
        builder.addSubgraph();
        int x = builder.addTensor({"x", DataType::Float32, shape});
        int paddings = builder.addConstant("paddings", DataType::Int32, {rank, 2}, testing::bytesOf<int32_t>(pads));
        int out = builder.addTensor({"out", DataType::Float32, padded});
        addPad(builder, static_cast<schema::BuiltinOperator>(code), symmetric ? schema::MirrorPadMode_SYMMETRIC : schema::MirrorPadMode_REFLECT, x,
               paddings, out);
        builder.setInputs({x});
        builder.setOutputs({out});
        auto model = compileBuilt(builder, {"reference"});
        ASSERT_TRUE(model) << model.errorMessage();
        int64_t count = 1, outCount = 1;
        for (int d = 0; d < rank; ++d) count *= shape[static_cast<size_t>(d)], outCount *= padded[static_cast<size_t>(d)];
        std::vector<float> values(static_cast<size_t>(count));
        for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i + 1);
        ASSERT_TRUE(setValues<float>(**model, x, values));
        ASSERT_TRUE((*model)->run(0));
        const std::vector<float> got = tensorValues<float>(**model, out);
        ASSERT_EQ(static_cast<int64_t>(got.size()), outCount);
        int wrong = 0;
        for (int64_t o = 0; o < outCount; ++o) {
            int64_t rest = o, from = 0, stride = 1;
            bool inside = true;
            for (int d = rank - 1; d >= 0; --d) {
                const auto at = static_cast<size_t>(d);
                const int64_t coordinate = sourceOf(rest % padded[at], pads[2 * at], shape[at], code, symmetric);
                rest /= padded[at];
                if (coordinate < 0) inside = false;
                from += coordinate * stride;
                stride *= shape[at];
            }
            wrong += got[static_cast<size_t>(o)] != (inside ? values[static_cast<size_t>(from)] : 0.0f);
        }
        ++cases;
        wrongCases += wrong > 0;
        EXPECT_EQ(wrong, 0) << "rank " << rank << " " << shapeText(shape) << " -> " << shapeText(padded) << " code " << code;
    }
    std::cout << "  " << cases << " random pads (" << blocks << " with the last axis unpadded), " << wrongCases << " wrong\n";
}

// A mirror of more than the axis holds (or of an empty axis) has nothing to
// copy: a clear error at compile time, not a read outside the input.
TEST(Padding, AMirrorPastTheAxisIsRefused) {
    struct Case {
        std::vector<int32_t> shape, pads, padded;
        schema::MirrorPadMode mode;
        const char* expected;
    };
    const Case cases[] = {
        {{2, 3}, {0, 0, 3, 0}, {2, 6}, schema::MirrorPadMode_REFLECT, "REFLECT padding of axis 1 of [2,3] by 3 and 0 reaches past the axis (at most 2)"},
        {{2, 3}, {0, 3, 0, 0}, {5, 3}, schema::MirrorPadMode_SYMMETRIC, "SYMMETRIC padding of axis 0 of [2,3] by 0 and 3 reaches past the axis (at most 2)"},
        {{0, 3}, {1, 1, 0, 0}, {2, 3}, schema::MirrorPadMode_SYMMETRIC, "SYMMETRIC padding of axis 0 of [0,3] by 1 and 1 reaches past the axis (at most 0)"},
    };
    for (const Case& c : cases) {
        ModelBuilder builder;
        builder.addSubgraph();
        int x = builder.addTensor({"x", DataType::Float32, c.shape});
        int paddings = builder.addConstant("paddings", DataType::Int32, {2, 2}, testing::bytesOf<int32_t>(c.pads));
        int out = builder.addTensor({"out", DataType::Float32, c.padded});
        addPad(builder, schema::BuiltinOperator_MIRROR_PAD, c.mode, x, paddings, out);
        builder.setInputs({x});
        builder.setOutputs({out});
        auto model = compileBuilt(builder, {"reference"});
        ASSERT_FALSE(model);
        std::cout << "  " << model.errorMessage() << "\n";
        EXPECT_NE(model.errorMessage().find(c.expected), std::string::npos) << model.errorMessage();
    }
}

// The same check when the paddings are computed in the run (a subgraph
// input here): the run fails clearly instead of reading the empty axis.
TEST(Padding, AMirrorPastTheAxisComputedInTheRunIsRefused) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {0, 3}});
    int paddings = builder.addTensor({"paddings", DataType::Int32, {2, 2}});
    int out = builder.addTensor({"out", DataType::Float32, {2, 3}});
    addPad(builder, schema::BuiltinOperator_MIRROR_PAD, schema::MirrorPadMode_SYMMETRIC, x, paddings, out);
    builder.setInputs({x, paddings});
    builder.setOutputs({out});
    auto model = compileBuilt(builder, {"reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<int32_t>(**model, paddings, {1, 1, 0, 0}));
    const Status ran = (*model)->run(0);
    ASSERT_FALSE(ran);
    std::cout << "  " << ran.message() << "\n";
    EXPECT_NE(ran.message().find("SYMMETRIC padding of axis 0 of [0,3] by 1 and 1 reaches past the axis (at most 0)"), std::string::npos)
        << ran.message();
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

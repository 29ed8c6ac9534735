// The float32 MIRROR_PAD of height and width on the pool against the
// reference kernel, bit for bit (both only copy): REFLECT by 1 (style
// transfer's 3x3s) and by 4 (its 9x9), SYMMETRIC, uneven paddings on
// each side, a batch of two, one to three threads; each case checks the
// cpu accelerator took the op. Paddings of the channels stay with the
// reference, and one that reaches past its axis is a clear error.

#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

struct PadCase {
    const char* what;
    std::vector<int32_t> input;  // NHWC
    std::vector<int32_t> pads;   // 4 x (before, after)
    bool symmetric;
    int threads;
};

ModelBuilder padModel(const PadCase& c, int& input, int& out) {
    ModelBuilder builder;
    builder.addSubgraph();
    input = builder.addTensor({"input", DataType::Float32, c.input});
    const int pads = builder.addConstant("paddings", DataType::Int32, {4, 2}, testing::bytesOf<int32_t>(c.pads));
    std::vector<int32_t> shape = c.input;
    for (size_t d = 0; d < 4; ++d) shape[d] += c.pads[2 * d] + c.pads[2 * d + 1];
    out = builder.addTensor({"out", DataType::Float32, shape});
    const bool symmetric = c.symmetric;
    builder.addOp({schema::BuiltinOperator_MIRROR_PAD, {}, {input, pads}, {out}, [=](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MirrorPadOptions,
                                            schema::CreateMirrorPadOptions(fbb, symmetric ? schema::MirrorPadMode_SYMMETRIC
                                                                                          : schema::MirrorPadMode_REFLECT).o};
    }});
    builder.setInputs({input});
    builder.setOutputs({out});
    return builder;
}

TEST(FloatMirrorPad, MatchesTheReferenceBitForBit) {
    const PadCase cases[] = {
        {"style transfer's 3x3: REFLECT by 1", {1, 32, 32, 64}, {0, 0, 1, 1, 1, 1, 0, 0}, false, 2},
        {"its 9x9: REFLECT by 4", {1, 40, 36, 3}, {0, 0, 4, 4, 4, 4, 0, 0}, false, 1},
        {"SYMMETRIC, uneven sides", {1, 9, 11, 5}, {0, 0, 2, 0, 3, 1, 0, 0}, true, 3},
        {"a batch of two", {2, 7, 6, 16}, {0, 0, 1, 2, 2, 1, 0, 0}, false, 2},
    };
    std::mt19937 random(3);
    for (const PadCase& c : cases) {
        int input = -1, out = -1;
        ModelBuilder builder = padModel(c, input, out);
        std::vector<float> values(static_cast<size_t>(int64_t{c.input[0]} * c.input[1] * c.input[2] * c.input[3]));
        for (float& v : values) v = std::uniform_real_distribution<float>(-1.0f, 1.0f)(random);
        const testing::CpuComparison compared = testing::compareCpuWithReference(builder, input, values, out, c.threads);
        ASSERT_TRUE(compared.error.empty()) << c.what << ": " << compared.error;
        std::cout << "  " << c.what << " (" << c.threads << " thread(s)): on " << compared.cpu->acceleratorOf(0, 0) << ", largest difference "
                  << compared.worst << "\n";
        EXPECT_EQ(compared.cpu->acceleratorOf(0, 0), "cpu") << c.what;
        EXPECT_EQ(compared.worst, 0.0) << c.what;
    }
}

TEST(FloatMirrorPad, ChannelPaddingsStayWithTheReferenceAndAReachPastTheAxisIsAnError) {
    int input = -1, out = -1;
    ModelBuilder channels = padModel({"channels", {1, 4, 4, 8}, {0, 0, 1, 1, 1, 1, 2, 2}, false, 1}, input, out);
    auto model = testing::compileBuilt(channels, {"cpu", "reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    std::cout << "  channels padded: on " << (*model)->acceleratorOf(0, 0) << "\n";
    EXPECT_EQ((*model)->acceleratorOf(0, 0), "reference");
    // REFLECT can mirror at most 3 of 4 rows.
    ModelBuilder reach = padModel({"reach", {1, 4, 4, 8}, {0, 0, 4, 0, 1, 1, 0, 0}, false, 2}, input, out);
    auto refused = testing::compileBuilt(reach, {"cpu", "reference"}, 2);
    std::cout << "  REFLECT by 4 of 4 rows: " << (refused ? std::string("compiled") : refused.errorMessage()) << "\n";
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.errorMessage().find("reaches past the axis"), std::string::npos) << refused.errorMessage();
}

}  // namespace
}  // namespace litestudio

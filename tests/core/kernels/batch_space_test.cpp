// The reference SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND: TensorFlow's
// documented 4x4 example by hand; padded and cropped planes of float32 and
// uint8 (padding takes the zero point), 4-D and 3-D, two images, against
// each element worked out from its coordinates; the round trip back; and a
// plane that does not divide by the block refused with a clear error.

#include <iostream>
#include <numeric>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct Built {
    ModelBuilder builder;
    int input = -1, output = -1;
};

Built batchSpaceModel(schema::BuiltinOperator code, TensorSpec in, TensorSpec out, std::vector<int32_t> block, std::vector<int32_t> edges) {
    Built m;
    m.builder.addSubgraph();
    m.input = m.builder.addTensor(std::move(in));
    const int32_t spatial = static_cast<int32_t>(block.size());
    int blockTensor = m.builder.addConstant("block", DataType::Int32, {spatial}, testing::bytesOf(block));
    int edgeTensor = m.builder.addConstant("edges", DataType::Int32, {spatial, 2}, testing::bytesOf(edges));
    m.output = m.builder.addTensor(std::move(out));
    m.builder.addOp({code, {}, {m.input, blockTensor, edgeTensor}, {m.output}});
    m.builder.setInputs({m.input});
    m.builder.setOutputs({m.output});
    return m;
}

TEST(BatchSpace, TensorFlowsExampleByHand) {
    // [1, 4, 4, 1] values 1..16, block 2x2, no padding -> [4, 2, 2, 1].
    Built m = batchSpaceModel(schema::BuiltinOperator_SPACE_TO_BATCH_ND, {"x", DataType::Float32, {1, 4, 4, 1}},
                              {"y", DataType::Float32, {4, 2, 2, 1}}, {2, 2}, {0, 0, 0, 0});
    auto model = compileBuilt(m.builder, {"reference"});
    ASSERT_TRUE(model) << model.errorMessage();
    std::vector<float> x(16);
    std::iota(x.begin(), x.end(), 1.0f);
    ASSERT_TRUE(testing::setValues<float>(**model, m.input, x));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(testing::tensorValues<float>(**model, m.output),
              (std::vector<float>{1, 3, 9, 11, 2, 4, 10, 12, 5, 7, 13, 15, 6, 8, 14, 16}));
}

TEST(BatchSpace, EveryElementAndBack) {
    struct Case {
        DataType type;
        std::vector<int32_t> space;  // NHWC or [batch, height, channels]
        std::vector<int32_t> block, edges;
    };
    const std::vector<Case> cases = {
        {DataType::Float32, {1, 5, 6, 3}, {2, 2}, {1, 0, 2, 0}},
        {DataType::UInt8, {2, 7, 4, 5}, {3, 2}, {1, 1, 0, 2}},
        {DataType::Float32, {2, 6, 4}, {3}, {2, 1}},  // 3-D: one column
        {DataType::Float32, {1, 6, 6, 8}, {2, 3}, {2, 0, 1, 2}},  // pixels of 32 bytes: 16-byte moves
    };
    for (const Case& c : cases) {
        const bool fourD = c.space.size() == 4;
        const int64_t bh = c.block[0], bw = fourD ? c.block[1] : 1;
        const int64_t batch = c.space[0], height = c.space[1], width = fourD ? c.space[2] : 1, channels = c.space.back();
        const int64_t top = c.edges[0], left = fourD ? c.edges[2] : 0;
        const int64_t outH = (height + c.edges[0] + c.edges[1]) / bh, outW = fourD ? (width + c.edges[2] + c.edges[3]) / bw : 1;
        std::vector<int32_t> batched = fourD ? std::vector<int32_t>{int32_t(batch * bh * bw), int32_t(outH), int32_t(outW), int32_t(channels)}
                                             : std::vector<int32_t>{int32_t(batch * bh), int32_t(outH), int32_t(channels)};
        const bool quantized = c.type == DataType::UInt8;
        auto spec = [&](const char* name, std::vector<int32_t> shape) {
            return quantized ? testing::quantized(name, c.type, std::move(shape), 0.1f, 37) : TensorSpec{name, c.type, std::move(shape)};
        };
        int64_t count = 1;
        for (int32_t d : c.space) count *= d;
        std::vector<float> x(static_cast<size_t>(count));
        // uint8: stored values (padding is the zero point, 37); float32: values (padding 0).
        for (size_t i = 0; i < x.size(); ++i) x[i] = quantized ? float(i * 7 % 256) : float(i) + 0.5f;
        const float padding = quantized ? 37.0f : 0.0f;
        // Expected: output element (b, y, x, c) from its coordinates.
        std::vector<float> want;
        for (int64_t b = 0; b < batch * bh * bw; ++b)
            for (int64_t y = 0; y < outH; ++y)
                for (int64_t xx = 0; xx < outW; ++xx)
                    for (int64_t ch = 0; ch < channels; ++ch) {
                        const int64_t source = b % batch, shiftW = (b / batch) % bw, shiftH = (b / batch) / bw;
                        const int64_t iy = y * bh + shiftH - top, ix = xx * bw + shiftW - left;
                        const bool inside = iy >= 0 && iy < height && ix >= 0 && ix < width;
                        want.push_back(inside ? x[static_cast<size_t>(((source * height + iy) * width + ix) * channels + ch)] : padding);
                    }
        Built there = batchSpaceModel(schema::BuiltinOperator_SPACE_TO_BATCH_ND, spec("x", c.space), spec("y", batched), c.block, c.edges);
        Built back = batchSpaceModel(schema::BuiltinOperator_BATCH_TO_SPACE_ND, spec("x", batched), spec("y", c.space), c.block, c.edges);
        auto forward = compileBuilt(there.builder, {"reference"});
        auto inverse = compileBuilt(back.builder, {"reference"});
        ASSERT_TRUE(forward) << forward.errorMessage();
        ASSERT_TRUE(inverse) << inverse.errorMessage();
        auto run = [&](CompiledModel& model, int input, int output, const std::vector<float>& values) {
            if (quantized) {
                EXPECT_TRUE(testing::setValues<uint8_t>(model, input, std::vector<uint8_t>(values.begin(), values.end())));
                EXPECT_TRUE(model.run(0));
                const std::vector<uint8_t> stored = testing::tensorValues<uint8_t>(model, output);
                return std::vector<float>(stored.begin(), stored.end());
            }
            EXPECT_TRUE(testing::setValues<float>(model, input, values));
            EXPECT_TRUE(model.run(0));
            return testing::tensorValues<float>(model, output);
        };
        const std::vector<float> got = run(**forward, there.input, there.output, x);
        ASSERT_EQ(got.size(), want.size());
        int wrong = 0, roundTripWrong = 0;
        for (size_t i = 0; i < got.size(); ++i) wrong += got[i] != want[i];
        const std::vector<float> returned = run(**inverse, back.input, back.output, got);
        ASSERT_EQ(returned.size(), x.size());
        for (size_t i = 0; i < x.size(); ++i) roundTripWrong += returned[i] != x[i];
        std::cout << "  " << dataTypeName(c.type) << " " << shapeText(c.space) << " block " << shapeText(c.block) << " edges "
                  << shapeText(c.edges) << " -> " << shapeText(batched) << ": " << got.size() << " values, " << wrong << " wrong; back "
                  << roundTripWrong << " wrong\n";
        EXPECT_EQ(wrong, 0);
        EXPECT_EQ(roundTripWrong, 0);
    }
}

TEST(BatchSpace, APlaneThatDoesNotDivideIsAClearError) {
    Built m = batchSpaceModel(schema::BuiltinOperator_SPACE_TO_BATCH_ND, {"x", DataType::Float32, {1, 5, 4, 1}},
                              {"y", DataType::Float32, {4, 2, 2, 1}}, {2, 2}, {0, 0, 0, 0});
    auto model = compileBuilt(m.builder, {"reference"});
    ASSERT_FALSE(model);
    std::cout << "  " << model.errorMessage() << "\n";
    EXPECT_NE(model.errorMessage().find("does not divide by the block"), std::string::npos);
}

}  // namespace
}  // namespace litestudio

// RESIZE_BILINEAR -> 1x1 CONV_2D that narrows the channels: on the cpu
// accelerator the convolution runs first, on the smaller plane (op 0 then
// runs CONV_2D, op 1 RESIZE_BILINEAR, each keeping its index in the file
// for the op profile), with its activation applied after
// the resize; the output matches the reference, which runs the ops as
// written, within 1e-5 of the largest output (a blend of convolutions and a
// convolution of blends differ in rounding). Each of TFLite's coordinate
// conventions, an activation a blend would break (RELU6, values either
// side of 0 and 6), batches, and a plane whose rows two threads share.
// Left as written: a 1x1 that widens the
// channels, and a resize whose result something else reads too.

#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

enum class Convention { HalfPixel, AlignCorners, Legacy };

struct SwapCase {
    int batch, height, width, inChannels, outChannels, scale;
    Convention convention;
    schema::ActivationFunctionType activation;
    bool resizedReadTwice;
    bool swaps;
    int threads = 1;
};

struct SwapModel {
    ModelBuilder builder;
    int input = -1, output = -1;
};

SwapModel swapModel(const SwapCase& c, std::mt19937& random) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    SwapModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const int outH = c.height * c.scale, outW = c.width * c.scale;
    m.input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.inChannels}});
    int size = b.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({outH, outW}));
    int resized = b.addTensor({"resized", DataType::Float32, {c.batch, outH, outW, c.inChannels}});
    b.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {m.input, size}, {resized}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_ResizeBilinearOptions,
                     schema::CreateResizeBilinearOptions(fbb, c.convention == Convention::AlignCorners,
                                                         c.convention == Convention::HalfPixel).o};
             }});
    std::vector<float> weights(static_cast<size_t>(c.outChannels * c.inChannels)), bias(static_cast<size_t>(c.outChannels));
    for (float& v : weights) v = 4.0f * values(random);  // outputs beyond 6 and below 0 for the RELU6 to cut
    for (float& v : bias) v = values(random);
    int filter = b.addFloatConstant("w", {c.outChannels, 1, 1, c.inChannels}, weights);
    int biasTensor = b.addFloatConstant("b", {c.outChannels}, bias);
    int convolved = b.addTensor({"y", DataType::Float32, {c.batch, outH, outW, c.outChannels}});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {resized, filter, biasTensor}, {convolved}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                     schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1, c.activation).o};
             }});
    m.output = convolved;
    if (c.resizedReadTwice) {
        // CONCATENATION of the convolution and the resized input on channels.
        m.output = b.addTensor({"both", DataType::Float32, {c.batch, outH, outW, c.outChannels + c.inChannels}});
        b.addOp({schema::BuiltinOperator_CONCATENATION, {}, {convolved, resized}, {m.output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions,
                                                         schema::CreateConcatenationOptions(fbb, 3).o};
                 }});
    }
    b.setInputs({m.input});
    b.setOutputs({m.output});
    return m;
}

TEST(ResizeConvolutionSwap, NarrowingConvolutionRunsBeforeTheResize) {
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU6;
    const std::vector<SwapCase> cases = {
        {1, 7, 7, 96, 24, 2, Convention::HalfPixel, ActivationFunctionType_RELU6, false, true},  // pose detection's head, smaller
        {2, 5, 6, 40, 8, 2, Convention::AlignCorners, ActivationFunctionType_RELU6, false, true},
        {1, 4, 9, 33, 5, 3, Convention::Legacy, ActivationFunctionType_NONE, false, true},
        {1, 6, 6, 8, 24, 2, Convention::HalfPixel, ActivationFunctionType_RELU6, false, false},  // widens: stays
        {1, 6, 6, 32, 8, 2, Convention::HalfPixel, ActivationFunctionType_NONE, true, false},    // resized read twice: stays
        {1, 14, 14, 96, 48, 2, Convention::HalfPixel, ActivationFunctionType_RELU6, false, true, 2},
    };
    std::mt19937 random(5);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const SwapCase& c : cases) {
        SwapModel m = swapModel(c, random);
        std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.inChannels));
        for (float& v : x) v = values(random);
        testing::CpuComparison compared = testing::compareCpuWithReference(m.builder, m.input, x, m.output, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const Model& compiled = compared.cpu->model();
        const std::string first = compiled.runtimeOpName(compiled.subgraphs[0].ops[0]);
        std::cout << "  " << c.batch << "x" << c.height << "x" << c.width << "x" << c.inChannels << " x" << c.scale << " -> "
                  << c.outChannels << " channels" << (c.resizedReadTwice ? ", resized read twice" : "") << " on " << c.threads
                  << " thread(s): op 0 runs " << first
                  << ", largest difference " << compared.worst << " (largest output " << compared.largest << ")\n";
        EXPECT_EQ(first, c.swaps ? "CONV_2D" : "RESIZE_BILINEAR");
        // The op profile names each by its place in the file.
        EXPECT_EQ(compiled.subgraphs[0].ops[0].sourceIndex, c.swaps ? 1 : -1);
        EXPECT_EQ(compiled.subgraphs[0].ops[1].sourceIndex, c.swaps ? 0 : -1);
        EXPECT_LE(compared.worst, 1e-5 * compared.largest);
    }
}

}  // namespace
}  // namespace litestudio

namespace litestudio {
namespace {

TEST(ResizeConvolutionSwap, AConvolutionWithoutAFilterIsAClearError) {
    // fuzz.model_run_cpu: a CONV_2D after the resize whose filter input is
    // omitted (-1) passed "every other input a constant" and was indexed
    // with -1 (UBSan). It is left as written, and the convolution refuses it.
    ModelBuilder b;
    b.addSubgraph();
    int x = b.addTensor({"x", DataType::Float32, {1, 4, 4, 8}});
    int size = b.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({8, 8}));
    int resized = b.addTensor({"resized", DataType::Float32, {1, 8, 8, 8}});
    b.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {x, size}, {resized}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions, schema::CreateResizeBilinearOptions(fbb).o};
             }});
    int y = b.addTensor({"y", DataType::Float32, {1, 8, 8, 4}});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {resized, -1}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions, schema::CreateConv2DOptions(fbb).o};
             }});
    b.setInputs({x});
    b.setOutputs({y});
    auto compiled = testing::compileBuilt(b, {"cpu", "reference"});
    ASSERT_FALSE(compiled);
    std::cout << "  " << compiled.errorMessage() << "\n";
    EXPECT_NE(compiled.errorMessage().find("CONV_2D"), std::string::npos);
}

}  // namespace
}  // namespace litestudio

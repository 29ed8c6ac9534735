// CONCATENATION(feature map, RESIZE(1x1 map)) -> 1x1 CONV_2D, DeepLab v3's
// image-pooling projection, on the cpu accelerator: the convolution
// multiplies the feature map's channels and takes the 1x1 map's part as a
// bias worked out each run (core/runtime/broadcast_concat_fusion.h). The
// 1x1 map is the MEAN of the feature map, as DeepLab pools it. Against the
// reference, which runs the ops as written, within 1e-5 of the largest
// output: the map's part after the feature map's or before it, bilinear
// and nearest-neighbour resizes, output channels off the 64-channel block,
// RELU, two threads, and two runs on different inputs (the bias is the
// run's). Left as written: a resized map something else reads too, a
// batch of two, and a plane under the pointwise kernel's 49 pixels (7x7).

#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

struct ProjectionCase {
    const char* what;
    int batch, height, width, channels, outChannels;
    bool mapFirst, nearest, resizedReadTwice, fuses;
    schema::ActivationFunctionType activation;
    int threads;
    bool resizedWithoutShape = false;  // the RESIZE's output declared with no dimensions, as a hostile file may
};

struct ProjectionModel {
    ModelBuilder builder;
    int input = -1, output = -1, convolution = 0;
};

ProjectionModel projectionModel(const ProjectionCase& c, std::mt19937& random) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    ProjectionModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.channels}});
    const int axes = b.addConstant("axes", DataType::Int32, {2}, testing::bytesOf<int32_t>({1, 2}));
    const int pooled = b.addTensor({"pooled", DataType::Float32, {c.batch, 1, 1, c.channels}});
    b.addOp({schema::BuiltinOperator_MEAN, {}, {m.input, axes}, {pooled}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ReducerOptions, schema::CreateReducerOptions(fbb, true).o};
             }});
    const int size = b.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({c.height, c.width}));
    const int resized = b.addTensor({"resized", DataType::Float32,
                                     c.resizedWithoutShape ? std::vector<int32_t>{} : std::vector<int32_t>{c.batch, c.height, c.width, c.channels}});
    if (c.nearest)
        b.addOp({schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, {}, {pooled, size}, {resized}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeNearestNeighborOptions,
                                                         schema::CreateResizeNearestNeighborOptions(fbb).o};
                 }});
    else
        b.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {pooled, size}, {resized}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions,
                                                         schema::CreateResizeBilinearOptions(fbb, true).o};
                 }});
    const int joined = b.addTensor({"joined", DataType::Float32, {c.batch, c.height, c.width, 2 * c.channels}});
    const std::vector<int> parts = c.mapFirst ? std::vector<int>{resized, m.input} : std::vector<int>{m.input, resized};
    b.addOp({schema::BuiltinOperator_CONCATENATION, {}, parts, {joined}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions, schema::CreateConcatenationOptions(fbb, 3).o};
             }});
    std::vector<float> weights(static_cast<size_t>(c.outChannels * 2 * c.channels)), bias(static_cast<size_t>(c.outChannels));
    for (float& v : weights) v = values(random);
    for (float& v : bias) v = values(random);
    const int filter = b.addFloatConstant("w", {c.outChannels, 1, 1, 2 * c.channels}, weights);
    const int biasTensor = b.addFloatConstant("b", {c.outChannels}, bias);
    m.output = b.addTensor({"y", DataType::Float32, {c.batch, c.height, c.width, c.outChannels}});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {joined, filter, biasTensor}, {m.output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                     schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1, c.activation).o};
             }});
    m.convolution = 3;
    b.setInputs({m.input});
    b.setOutputs(c.resizedReadTwice ? std::vector<int>{m.output, resized} : std::vector<int>{m.output});
    return m;
}

TEST(BroadcastConcatFusion, TheProjectionTakesTheResizedMapAsABias) {
    using schema::ActivationFunctionType_NONE, schema::ActivationFunctionType_RELU;
    const ProjectionCase cases[] = {
        {"DeepLab's order, bilinear", 1, 9, 9, 40, 24, false, false, false, true, ActivationFunctionType_RELU, 1},
        {"the map first, nearest, 70 outputs", 1, 10, 11, 32, 70, true, true, false, true, ActivationFunctionType_NONE, 2},
        {"144 outputs over a 17x9 plane", 1, 17, 9, 48, 144, false, false, false, true, ActivationFunctionType_RELU, 2},
        {"the resized map read twice", 1, 9, 9, 16, 24, false, false, true, false, ActivationFunctionType_NONE, 1},
        {"a batch of two", 2, 9, 9, 16, 24, false, false, false, false, ActivationFunctionType_RELU, 1},
        {"a 7x7 plane", 1, 7, 7, 16, 24, false, false, false, true, ActivationFunctionType_NONE, 1},
        {"a 6x7 plane", 1, 6, 7, 16, 24, false, false, false, false, ActivationFunctionType_NONE, 1},
    };
    std::mt19937 random(9);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const ProjectionCase& c : cases) {
        ProjectionModel m = projectionModel(c, random);
        testing::CpuComparison compared;
        ASSERT_TRUE(testing::compileBoth(m.builder, c.threads, compared)) << c.what << ": " << compared.error;
        const std::string name = testing::cpuOpName(compared, m.convolution);
        // Two runs on different inputs: the bias must follow the run's map.
        for (int run = 0; run < 2; ++run) {
            std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.channels));
            for (float& v : x) v = values(random) + (run == 0 ? 0.5f : -0.5f);
            ASSERT_TRUE(testing::addRun(compared, m.input, x, m.output)) << c.what << ": a run failed";
        }
        std::cout << "  " << c.what << " (" << c.threads << " thread(s)): " << name << ", largest difference " << compared.worst
                  << " of outputs up to " << compared.largest << "\n";
        EXPECT_EQ(name, c.fuses ? "CONCATENATION+CONV_2D (fused)" : "CONV_2D") << c.what;
        EXPECT_LE(compared.worst, 1e-5 * compared.largest) << c.what;
    }
}

// Found by fuzzing: the match read the last dimension of the resized
// tensor's declared shape, and an empty one (rank 0) read before its
// storage. It is left as written; the model runs as the reference runs it.
TEST(BroadcastConcatFusion, AResizeDeclaredWithoutAShapeIsLeftAsWritten) {
    ProjectionCase c{"a resize declared without a shape", 1, 9, 9, 16, 24, false, false, false, false, schema::ActivationFunctionType_NONE, 1};
    c.resizedWithoutShape = true;
    std::mt19937 random(9);
    ProjectionModel m = projectionModel(c, random);
    testing::CpuComparison compared;
    ASSERT_TRUE(testing::compileBoth(m.builder, c.threads, compared)) << compared.error;
    const std::string name = testing::cpuOpName(compared, m.convolution);
    std::vector<float> x(static_cast<size_t>(c.height * c.width * c.channels));
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (float& v : x) v = values(random);
    const double difference = testing::largestDifference(*compared.cpu, *compared.reference, m.input, x, m.output, false);
    std::cout << "  " << c.what << ": " << name << ", largest difference " << difference << "\n";
    EXPECT_EQ(name, "CONV_2D");
    EXPECT_GE(difference, 0) << "a run failed";
    EXPECT_LE(difference, 1e-5);
}

}  // namespace
}  // namespace litestudio

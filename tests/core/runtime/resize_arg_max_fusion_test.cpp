// RESIZE_BILINEAR -> ARG_MAX over the channels, as DeepLab ends: on the cpu
// accelerator the resize takes each row's arg max as it makes the row and
// the ARG_MAX is folded (op 0 becomes "RESIZE_BILINEAR+ARG_MAX (fused)");
// the indices match the reference, which runs both ops as written, index
// for index. Values are drawn from a few levels, so that most pixels have
// tied channels and the first of them must win. Cases: uint8 and int8,
// int64 and int32 indices, 1 to 64 channels, up- and downsampling in the
// three sampling conventions, two images, one and two threads. Left as
// written: a resize read by something else too, an ARG_MAX over another
// axis, a resize that requantizes, and more than 64 channels.

#include <iostream>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::quantized;

enum class Variant { Plain, ResizeReadTwice, OtherAxis, Requantizes };

struct ArgMaxCase {
    DataType type, indices;
    std::vector<int32_t> input;  // NHWC
    int32_t outH, outW;
    bool alignCorners, halfPixel;
    int levels;  // distinct input values, spread over the type's range
    Variant variant;
    int threads;
    bool fuses;
};

struct ArgMaxModel {
    ModelBuilder builder;
    int input = -1, output = -1;
};

ArgMaxModel argMaxModel(const ArgMaxCase& c) {
    ArgMaxModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const bool int8 = c.type == DataType::Int8;
    m.input = b.addTensor(quantized("logits", c.type, c.input, 0.1f, int8 ? -3 : 125));
    const int size = b.addConstant("size", DataType::Int32, {2}, testing::bytesOf<int32_t>({c.outH, c.outW}));
    const std::vector<int32_t> resizedShape{c.input[0], c.outH, c.outW, c.input[3]};
    const float resizedScale = c.variant == Variant::Requantizes ? 0.2f : 0.1f;
    const int resized = b.addTensor(quantized("resized", c.type, resizedShape, resizedScale, int8 ? -3 : 125));
    const bool alignCorners = c.alignCorners, halfPixel = c.halfPixel;
    b.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {m.input, size}, {resized}, [=](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions,
                                                     schema::CreateResizeBilinearOptions(fbb, alignCorners, halfPixel).o};
             }});
    const int32_t axis = c.variant == Variant::OtherAxis ? 2 : -1;
    const int axisTensor = b.addConstant("axis", DataType::Int32, {1}, testing::bytesOf<int32_t>({axis}));
    std::vector<int32_t> indexShape = resizedShape;
    indexShape.erase(indexShape.begin() + (axis < 0 ? 3 : axis));
    m.output = b.addTensor({"classes", c.indices, indexShape});
    const DataType indexType = c.indices;
    b.addOp({schema::BuiltinOperator_ARG_MAX, {}, {resized, axisTensor}, {m.output}, [=](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_ArgMaxOptions,
                     schema::CreateArgMaxOptions(fbb, indexType == DataType::Int64 ? schema::TensorType_INT64 : schema::TensorType_INT32).o};
             }});
    b.setInputs({m.input});
    b.setOutputs(c.variant == Variant::ResizeReadTwice ? std::vector<int>{m.output, resized} : std::vector<int>{m.output});
    return m;
}

TEST(ResizeArgMaxFusion, FoldsTheArgMaxAndMatchesTheReferenceIndexForIndex) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the fused kernel is not used here";
    const DataType u8 = DataType::UInt8, i8 = DataType::Int8, i64 = DataType::Int64, i32 = DataType::Int32;
    const std::vector<ArgMaxCase> cases = {
        {u8, i64, {1, 9, 9, 21}, 65, 65, true, false, 4, Variant::Plain, 1, true},  // DeepLab's x8, corners aligned
        {u8, i64, {1, 9, 9, 21}, 65, 65, true, false, 4, Variant::Plain, 2, true},
        {i8, i32, {2, 7, 5, 5}, 20, 13, false, true, 3, Variant::Plain, 2, true},  // half-pixel, fractional, two images
        {u8, i32, {1, 6, 4, 1}, 11, 9, false, false, 2, Variant::Plain, 1, true},  // one channel: index 0 everywhere
        {i8, i64, {1, 5, 6, 33}, 10, 12, false, true, 5, Variant::Plain, 2, true},
        {u8, i64, {1, 4, 4, 64}, 9, 9, true, false, 256, Variant::Plain, 1, true},  // the widest it takes
        {u8, i32, {1, 17, 19, 16}, 8, 7, false, true, 6, Variant::Plain, 1, true},  // downsampling
        {u8, i64, {1, 9, 9, 21}, 33, 33, true, false, 4, Variant::ResizeReadTwice, 1, false},
        {u8, i64, {1, 9, 9, 21}, 33, 33, true, false, 4, Variant::OtherAxis, 1, false},
        {u8, i64, {1, 9, 9, 21}, 33, 33, true, false, 4, Variant::Requantizes, 1, false},
        {u8, i64, {1, 5, 5, 65}, 9, 9, true, false, 4, Variant::Plain, 1, false},
    };
    std::mt19937 random(23);
    for (const ArgMaxCase& c : cases) {
        ArgMaxModel m = argMaxModel(c);
        std::vector<uint8_t> bytes(static_cast<size_t>(c.input[0] * c.input[1] * c.input[2] * c.input[3]));
        std::uniform_int_distribution<int> level(0, c.levels - 1);
        for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(c.levels >= 256 ? level(random) : level(random) * 255 / std::max(1, c.levels - 1));
        testing::CpuByteComparison result = testing::compareCpuBytesWithReference(m.builder, m.input, bytes, m.output, c.threads);
        ASSERT_TRUE(result.error.empty()) << result.error;
        const Model& compiled = result.cpu->model();
        const std::string first = compiled.runtimeOpName(compiled.subgraphs[0].ops[0]);
        std::cout << "  " << dataTypeName(c.type) << " " << shapeText(c.input) << " -> " << c.outH << "x" << c.outW
                  << (c.alignCorners ? " aligned corners" : c.halfPixel ? " half-pixel" : "") << ", " << c.levels << " levels, "
                  << dataTypeName(c.indices) << " indices, variant " << static_cast<int>(c.variant) << ", " << c.threads
                  << " thread(s): op 0 " << first << " [" << result.cpu->acceleratorOf(0, 0) << "]; " << result.elements << " indices, "
                  << result.differing << " differ\n";
        EXPECT_EQ(first == "RESIZE_BILINEAR+ARG_MAX (fused)", c.fuses);
        if (c.fuses) {
            EXPECT_EQ(result.cpu->acceleratorOf(0, 0), "cpu");
        }
        EXPECT_EQ(result.differing, 0);
    }
}

}  // namespace
}  // namespace litestudio

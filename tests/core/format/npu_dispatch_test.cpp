// DISPATCH_OP options in both layouts LiteRT has written, built here.

#include "core/format/npu_dispatch.h"

#include <cmath>
#include <cstdint>
#include <iostream>

#include <gtest/gtest.h>

#include "core/format/flexbuffer_numbers.h"

#include "core/format/model_builder.h"
#include "core/format/tflite_reader.h"
#include "flatbuffers/flexbuffers.h"

namespace litestudio {
namespace {

std::shared_ptr<Model> modelWithDispatch(std::vector<uint8_t> options, std::vector<uint8_t> stamp) {
    ModelBuilder builder;
    builder.addSubgraph();
    int x = builder.addTensor({"x", DataType::Float32, {4}});
    int y = builder.addTensor({"y", DataType::Float32, {4}});
    builder.addOp({32, kDispatchOpName, {x}, {y}, {}, {}, std::move(options)});
    builder.setInputs({x});
    builder.setOutputs({y});
    if (!stamp.empty()) builder.addMetadata("LiteRtStamp", std::move(stamp));
    auto bytes = std::make_shared<std::vector<uint8_t>>(builder.finish());
    auto model = readTfliteModel("npu.tflite", bytes, *bytes);
    EXPECT_TRUE(model) << model.errorMessage();
    return model ? *model : nullptr;
}

TEST(NpuDispatch, ReadsFlexbufferOptionsAndStamp) {
    flexbuffers::Builder fbb;
    fbb.Map([&] {
        fbb.String("name", "qnn_partition_0");
        fbb.UInt("bytecode_offset", 64);
        fbb.UInt("bytecode_size", 1u << 30);  // far past the end of the file
    });
    fbb.Finish();
    std::vector<uint8_t> stamp(250, 0);
    std::memcpy(stamp.data(), "Qualcomm", 8);
    std::memcpy(stamp.data() + 125, "SM8750", 6);
    auto model = modelWithDispatch(fbb.GetBuffer(), stamp);
    ASSERT_TRUE(model);
    NpuTarget target = readNpuTarget(*model);
    EXPECT_EQ(target.vendor, "Qualcomm");
    EXPECT_EQ(target.soc, "SM8750");
    auto ops = findDispatchOps(*model);
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].name, "qnn_partition_0");
    EXPECT_EQ(ops[0].bytecodeOffset, 64u);
    EXPECT_FALSE(ops[0].bytecodeInFile);
}

// Found by fuzzing: offsets stored as doubles no integer holds were cast
// as they were (undefined; UBSan stopped the fuzzer). They are now out of
// the file's range, and a double that fits is taken as its whole number.
TEST(NpuDispatch, OffsetsStoredAsHugeDoublesAreOutOfTheFile) {
    flexbuffers::Builder fbb;
    fbb.Map([&] {
        fbb.String("name", "fuzzed");
        fbb.Double("bytecode_offset", -7.79002e274);
        fbb.Double("bytecode_size", 16.0);
    });
    fbb.Finish();
    auto model = modelWithDispatch(fbb.GetBuffer(), {});
    ASSERT_TRUE(model);
    auto ops = findDispatchOps(*model);
    ASSERT_EQ(ops.size(), 1u);
    std::cout << "offset -7.79e274 read as " << ops[0].bytecodeOffset << ", size 16.0 as " << ops[0].bytecodeSize << "\n";
    EXPECT_EQ(ops[0].bytecodeOffset, UINT64_MAX);
    EXPECT_EQ(ops[0].bytecodeSize, 16u);
    EXPECT_FALSE(ops[0].bytecodeInFile);
}

TEST(FlexbufferNumbers, DoublesOutOfRangeGiveTheGivenValue) {
    flexbuffers::Builder fbb;
    fbb.Vector([&] {
        fbb.Double(1e300);
        fbb.Double(-3.0);
        fbb.Double(42.0);
        fbb.Int(-5);
    });
    fbb.Finish();
    auto values = flexbuffers::GetRoot(fbb.GetBuffer()).AsVector();
    EXPECT_EQ(flexbufferInt64(values[0], -1), -1);
    EXPECT_EQ(flexbufferUInt64(values[0], 7), 7u);
    EXPECT_EQ(flexbufferFloat(values[0]), INFINITY);
    EXPECT_EQ(flexbufferInt64(values[1], 0), -3);
    EXPECT_EQ(flexbufferUInt64(values[1], 7), 7u);
    EXPECT_EQ(flexbufferUInt64(values[2], 7), 42u);
    EXPECT_EQ(flexbufferInt64(values[3], 0), -5);
    EXPECT_EQ(flexbufferFloat(values[2]), 42.0f);
}

TEST(NpuDispatch, GarbageOptionsAreAProblemNotACrash) {
    auto model = modelWithDispatch({0xde, 0xad, 0xbe, 0xef, 1, 2, 3}, {});
    ASSERT_TRUE(model);
    auto ops = findDispatchOps(*model);
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_FALSE(ops[0].problem.empty());
    EXPECT_TRUE(readNpuTarget(*model).vendor.empty());
}

}  // namespace
}  // namespace litestudio

// CONCATENATION, SPLIT and SPLIT_V on the pool against the reference
// kernel: the same bytes, along the channels of a plane split between two
// or three threads, along a middle axis and along axis 0 (one outer row:
// the calling thread alone). Parts of another quantization, and a fused
// activation, stay with the reference, which requantizes and clamps.

#include <cstring>
#include <iostream>
#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using namespace schema;

litestudio::OptionsWriter concatenationOptions(int axis, ActivationFunctionType activation = ActivationFunctionType_NONE) {
    return [=](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{BuiltinOptions_ConcatenationOptions, CreateConcatenationOptions(fbb, axis, activation).o};
    };
}

// The given inputs filled with the same random bytes in both models.
void fillInputs(CompiledModel& first, CompiledModel& second, const std::vector<int>& inputs, std::mt19937& random) {
    for (int input : inputs) {
        const RuntimeTensor& a = first.tensor(0, input);
        std::vector<uint8_t> bytes(a.bytes);
        for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random() % 120);  // floats' top bytes under 0x78: finite
        std::memcpy(a.data, bytes.data(), bytes.size());
        std::memcpy(second.tensor(0, input).data, bytes.data(), bytes.size());
    }
}

// Runs `builder` on the reference and on the cpu accelerator with
// `threads`; expects the op on `expected` and every output the same bytes.
void expectSameAsReference(const litestudio::ModelBuilder& builder, const std::vector<int>& inputs, const std::vector<int>& outputs, int threads,
                           const std::string& expected, const std::string& label) {
    auto reference = testing::compileBuilt(builder, {"reference"});
    auto cpu = testing::compileBuilt(builder, {"cpu", "reference"}, threads);
    ASSERT_TRUE(reference) << reference.errorMessage();
    ASSERT_TRUE(cpu) << cpu.errorMessage();
    EXPECT_EQ((*cpu)->acceleratorOf(0, 0), expected) << label;
    std::mt19937 random(5);
    for (int run = 0; run < 2; ++run) {
        fillInputs(**reference, **cpu, inputs, random);
        ASSERT_TRUE((*reference)->run(0));
        ASSERT_TRUE((*cpu)->run(0));
        for (int output : outputs) {
            const RuntimeTensor& want = (*reference)->tensor(0, output);
            const RuntimeTensor& got = (*cpu)->tensor(0, output);
            ASSERT_EQ(want.bytes, got.bytes) << label;
            EXPECT_EQ(std::memcmp(want.data, got.data, want.bytes), 0) << label << ": output " << got.name << " differs";
        }
    }
    std::cout << "  " << label << ": " << outputs.size() << " output(s) the same bytes as the reference, on " << (*cpu)->acceleratorOf(0, 0)
              << " with " << threads << " thread(s)\n";
}

struct ConcatenationCase {
    std::vector<std::vector<int32_t>> inputs;
    int axis;
    int threads;
    DataType type;
    std::vector<float> scales;  // per input, then the output; empty: float
    ActivationFunctionType activation;
    const char* expected;
    const char* label;
};

TEST(JoinsAndSplitsOnThreads, ConcatenationMovesTheSameBytes) {
    const std::vector<ConcatenationCase> cases = {
        {{{1, 20, 20, 16}, {1, 20, 20, 32}, {1, 20, 20, 8}}, 3, 2, DataType::Float32, {}, ActivationFunctionType_NONE, "cpu",
         "three float parts along the channels of 20x20, two threads"},
        {{{1, 21, 19, 24}, {1, 21, 19, 40}}, -1, 3, DataType::Float32, {}, ActivationFunctionType_NONE, "cpu",
         "axis -1, 399 pixels over three threads"},
        {{{2, 3, 40, 5}, {2, 7, 40, 5}}, 1, 2, DataType::Float32, {}, ActivationFunctionType_NONE, "cpu", "a middle axis"},
        {{{3, 100}, {5, 100}}, 0, 2, DataType::Float32, {}, ActivationFunctionType_NONE, "cpu", "axis 0: one outer row"},
        {{{1, 16, 16, 48}, {1, 16, 16, 16}}, 3, 2, DataType::Int8, {0.5f, 0.5f, 0.5f}, ActivationFunctionType_NONE, "cpu",
         "int8 of one quantization"},
        {{{1, 16, 16, 48}, {1, 16, 16, 16}}, 3, 2, DataType::Int8, {0.5f, 0.25f, 0.5f}, ActivationFunctionType_NONE, "cpu",
         "int8, the second part requantized (the reference's copy)"},
        {{{1, 8, 8, 16}, {1, 8, 8, 16}}, 3, 2, DataType::Float32, {}, ActivationFunctionType_RELU, "reference", "a fused RELU"},
    };
    for (const ConcatenationCase& c : cases) {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        std::vector<int> inputs;
        std::vector<int32_t> outShape = c.inputs.front();
        const size_t axis = static_cast<size_t>(c.axis < 0 ? c.axis + static_cast<int>(outShape.size()) : c.axis);
        outShape[axis] = 0;
        for (size_t i = 0; i < c.inputs.size(); ++i) {
            std::string name = "x";  // appended: GCC 12 warns falsely on "literal" + std::string
            name += std::to_string(i);
            TensorSpec spec{name, c.type, c.inputs[i]};
            if (!c.scales.empty()) spec.scales = {c.scales[i]}, spec.zeroPoints = {3};
            inputs.push_back(b.addTensor(spec));
            outShape[axis] += c.inputs[i][axis];
        }
        TensorSpec outSpec{"joined", c.type, outShape};
        if (!c.scales.empty()) outSpec.scales = {c.scales.back()}, outSpec.zeroPoints = {3};
        const int out = b.addTensor(outSpec);
        b.addOp({BuiltinOperator_CONCATENATION, {}, inputs, {out}, concatenationOptions(c.axis, c.activation)});
        b.setInputs(inputs);
        b.setOutputs({out});
        expectSameAsReference(b, inputs, {out}, c.threads, c.expected, c.label);
    }
}

TEST(JoinsAndSplitsOnThreads, SplitAndSplitVMoveTheSameBytes) {
    // SPLIT of 1x40x40x64 floats into two along the channels (YOLOv8's
    // C2f), on two threads.
    {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        const int axis = b.addConstant("axis", DataType::Int32, {}, testing::bytesOf<int32_t>({3}));
        const int x = b.addTensor({"x", DataType::Float32, {1, 40, 40, 64}});
        const std::vector<int> parts{b.addTensor({"a", DataType::Float32, {1, 40, 40, 32}}), b.addTensor({"b", DataType::Float32, {1, 40, 40, 32}})};
        b.addOp({BuiltinOperator_SPLIT, {}, {axis, x}, parts, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{BuiltinOptions_SplitOptions, CreateSplitOptions(fbb, 2).o};
                 }});
        b.setInputs({x});
        b.setOutputs(parts);
        expectSameAsReference(b, {x}, parts, 2, "cpu", "SPLIT of 40x40x64 in two");
    }
    // SPLIT_V of uint8 into 16, the rest (-1) and 5 along axis -1, on three threads.
    {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        const int x = b.addTensor(testing::quantized("x", DataType::UInt8, {1, 30, 30, 45}, 0.1f, 128));
        const int sizes = b.addConstant("sizes", DataType::Int32, {3}, testing::bytesOf<int32_t>({16, -1, 5}));
        const int axis = b.addConstant("axis", DataType::Int32, {}, testing::bytesOf<int32_t>({-1}));
        const std::vector<int> parts{b.addTensor(testing::quantized("a", DataType::UInt8, {1, 30, 30, 16}, 0.1f, 128)),
                                     b.addTensor(testing::quantized("b", DataType::UInt8, {1, 30, 30, 24}, 0.1f, 128)),
                                     b.addTensor(testing::quantized("c", DataType::UInt8, {1, 30, 30, 5}, 0.1f, 128))};
        b.addOp({BuiltinOperator_SPLIT_V, {}, {x, sizes, axis}, parts, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{BuiltinOptions_SplitVOptions, CreateSplitVOptions(fbb, 3).o};
                 }});
        b.setInputs({x});
        b.setOutputs(parts);
        expectSameAsReference(b, {x}, parts, 3, "cpu", "SPLIT_V of uint8 into 16, -1 and 5 channels");
    }
    // An axis computed at run time (an input) stays with the reference.
    {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        const int axis = b.addTensor({"axis", DataType::Int32, {}});
        const int x = b.addTensor({"x", DataType::Float32, {1, 8, 8, 4}});
        const std::vector<int> parts{b.addTensor({"a", DataType::Float32, {1, 8, 8, 2}}), b.addTensor({"b", DataType::Float32, {1, 8, 8, 2}})};
        b.addOp({BuiltinOperator_SPLIT, {}, {axis, x}, parts, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{BuiltinOptions_SplitOptions, CreateSplitOptions(fbb, 2).o};
                 }});
        b.setInputs({axis, x});
        b.setOutputs(parts);
        auto cpu = testing::compileBuilt(b, {"cpu", "reference"}, 2);
        ASSERT_TRUE(cpu) << cpu.errorMessage();
        EXPECT_EQ((*cpu)->acceleratorOf(0, 0), "reference");
    }
}

}  // namespace
}  // namespace litestudio

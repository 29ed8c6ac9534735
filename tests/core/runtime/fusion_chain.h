#pragma once
// Small float models for the fusion tests: a chain of convolutions, ADDs,
// PADs, pools, PRELUs, swishes and HARD_SWISHes from one input, with random weights, and the
// runtime names of the ops that run once a model is compiled.

#include <random>
#include <string>
#include <vector>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio::testing {

struct FusionChain {
    ModelBuilder builder;
    std::mt19937 random{41};
    int input = -1, output = -1;

    FusionChain() { builder.addSubgraph(); }

    std::vector<float> values(size_t count, float low, float high) {
        std::uniform_real_distribution<float> value(low, high);
        std::vector<float> v(count);
        for (float& x : v) x = value(random);
        return v;
    }
    int tensor(const std::string& name, std::vector<int32_t> shape) { return builder.addTensor({name, DataType::Float32, std::move(shape)}); }

    // SAME padding, weights and bias in [-0.5, 0.5].
    int depthwise(int x, const std::vector<int32_t>& shape, int kernel, int stride, const std::string& name) {
        const int channels = shape[3];
        int filter = builder.addFloatConstant(name + "/w", {1, kernel, kernel, channels},
                                              values(static_cast<size_t>(kernel * kernel * channels), -0.5f, 0.5f));
        int bias = builder.addFloatConstant(name + "/b", {channels}, values(static_cast<size_t>(channels), -0.5f, 0.5f));
        int y = tensor(name, {1, (shape[1] + stride - 1) / stride, (shape[2] + stride - 1) / stride, channels});
        builder.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {x, filter, bias}, {y}, [stride](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::pair<uint8_t, uint32_t>{
                               schema::BuiltinOptions_DepthwiseConv2DOptions,
                               schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_SAME, stride, stride, 1).o};
                       }});
        return y;
    }

    int convolution(int x, const std::vector<int32_t>& shape, int outputs, int kernel, int stride, const std::string& name) {
        const int inputs = shape[3];
        int filter = builder.addFloatConstant(name + "/w", {outputs, kernel, kernel, inputs},
                                              values(static_cast<size_t>(outputs * kernel * kernel * inputs), -0.5f, 0.5f));
        int bias = builder.addFloatConstant(name + "/b", {outputs}, values(static_cast<size_t>(outputs), -0.5f, 0.5f));
        int y = tensor(name, {1, (shape[1] + stride - 1) / stride, (shape[2] + stride - 1) / stride, outputs});
        builder.addOp({schema::BuiltinOperator_CONV_2D, {}, {x, filter, bias}, {y}, [stride](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                               schema::CreateConv2DOptions(fbb, schema::Padding_SAME, stride, stride).o};
                       }});
        return y;
    }

    int add(int a, int b, const std::vector<int32_t>& shape, schema::ActivationFunctionType activation = schema::ActivationFunctionType_NONE) {
        int y = tensor("sum", shape);
        builder.addOp({schema::BuiltinOperator_ADD, {}, {a, b}, {y}, [activation](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb, activation).o};
                       }});
        return y;
    }

    // PRELU with slopes in [0.05, 0.6] of `slopeShape` (per channel: [channels] or [1, 1, channels]).
    int prelu(int x, const std::vector<int32_t>& shape, const std::vector<int32_t>& slopeShape) {
        size_t count = 1;
        for (int32_t d : slopeShape) count *= static_cast<size_t>(d);
        int slopes = builder.addFloatConstant("slopes", slopeShape, values(count, 0.05f, 0.6f));
        int y = tensor("prelu", shape);
        builder.addOp({schema::BuiltinOperator_PRELU, {}, {x, slopes}, {y}});
        return y;
    }

    // HARD_SWISH(x).
    int hardSwish(int x, const std::vector<int32_t>& shape) {
        int y = tensor("hard_swish", shape);
        builder.addOp({schema::BuiltinOperator_HARD_SWISH, {}, {x}, {y}});
        return y;
    }

    // x * LOGISTIC(x), as converters write swish (SiLU); `swapped`: MUL(LOGISTIC(x), x).
    int swish(int x, const std::vector<int32_t>& shape, bool swapped = false) {
        int gate = tensor("sigmoid", shape);
        builder.addOp({schema::BuiltinOperator_LOGISTIC, {}, {x}, {gate}});
        int y = tensor("swish", shape);
        builder.addOp({schema::BuiltinOperator_MUL, {}, swapped ? std::vector<int>{gate, x} : std::vector<int>{x, gate}, {y}});
        return y;
    }

    // PAD of a [1, H, W, C] tensor by `before` and `after` zeros on the channel axis.
    int padChannels(int x, const std::vector<int32_t>& shape, int before, int after) {
        int paddings = builder.addConstant("paddings", DataType::Int32, {4, 2}, bytesOf(std::vector<int32_t>{0, 0, 0, 0, 0, 0, before, after}));
        int y = tensor("padded", {shape[0], shape[1], shape[2], shape[3] + before + after});
        builder.addOp({schema::BuiltinOperator_PAD, {}, {x, paddings}, {y}});
        return y;
    }

    // 2x2 MAX_POOL_2D at stride 2.
    int maxPool(int x, const std::vector<int32_t>& shape) {
        int y = tensor("pooled", {shape[0], shape[1] / 2, shape[2] / 2, shape[3]});
        builder.addOp({schema::BuiltinOperator_MAX_POOL_2D, {}, {x}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                           return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Pool2DOptions,
                                                               schema::CreatePool2DOptions(fbb, schema::Padding_VALID, 2, 2, 2, 2).o};
                       }});
        return y;
    }
};

// The runtime names of subgraph 0's ops that run (not folded, not fused), in order.
inline std::vector<std::string> runningOps(const CompiledModel& compiled) {
    const Model& model = compiled.model();
    std::vector<std::string> names;
    for (const Op& op : model.subgraphs[0].ops)
        if (!op.fused && !op.folded) names.push_back(model.runtimeOpName(op));
    return names;
}

// A chain built from one input of `inputShape`, run on `threads` on cpu.
struct FusionCase {
    const char* what;
    std::vector<int32_t> inputShape;
    int threads;
    std::vector<std::string> expectedOps;  // the runtime names of the ops that run, in order
    int (*build)(FusionChain& c, const std::vector<int32_t>& shape);  // from c.input; returns the output
};

// Builds `fusionCase`, runs it on cpu and on the reference (inputs in
// [-3, 3]), prints what ran and how far apart they came, and expects the
// ops it names and outputs within 1e-5 of the largest. Returns the
// reference's outputs.
inline std::vector<float> expectFusedAndMatching(const FusionCase& fusionCase) {
    FusionChain c;
    c.input = c.tensor("x", fusionCase.inputShape);
    c.output = fusionCase.build(c, fusionCase.inputShape);
    c.builder.setInputs({c.input});
    c.builder.setOutputs({c.output});
    size_t count = 1;
    for (int32_t d : fusionCase.inputShape) count *= static_cast<size_t>(d);
    const std::vector<float> x = c.values(count, -3.0f, 3.0f);
    CpuComparison result = compareCpuWithReference(c.builder, c.input, x, c.output, fusionCase.threads);
    EXPECT_TRUE(result.error.empty()) << fusionCase.what << ": " << result.error;
    if (!result.error.empty()) return {};
    const std::vector<std::string> ops = runningOps(*result.cpu);
    std::string names;
    for (const std::string& name : ops) names += (names.empty() ? "" : ", ") + name;
    std::cout << "  " << fusionCase.what << ", " << fusionCase.threads << " thread(s): " << names << "; largest difference "
              << result.worst << " of " << result.largest << "\n";
    EXPECT_EQ(ops, fusionCase.expectedOps) << fusionCase.what;
    EXPECT_GE(result.worst, 0.0) << fusionCase.what;
    EXPECT_LE(result.worst, 1e-5 * result.largest) << fusionCase.what;
    return tensorValues<float>(*result.reference, c.output);
}

}  // namespace litestudio::testing

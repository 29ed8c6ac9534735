#pragma once
// The float32 probe backbones' layer writer (probe_float_networks.cpp,
// probe_pixel_networks.cpp, probe_concatenating_networks.cpp).

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "bench/probe_networks.h"

namespace litestudio::probe {

// A float32 network written layer by layer, random weights (He-scaled).
class NetworkBuilder {
protected:
    // Opens the network's subgraph with its input, a height x width RGB
    // image `s`.
    int imageInput(std::vector<int32_t>& s, int height, int width) {
        b_.addSubgraph();
        s = {1, height, width, 3};
        return b_.addTensor({"image", DataType::Float32, s});
    }
    int tensor(std::vector<int32_t> shape) { return b_.addTensor({numbered("t", count_++), DataType::Float32, std::move(shape)}); }
    int constant(std::vector<int32_t> shape, float spread) {
        size_t count = 1;
        for (int32_t d : shape) count *= static_cast<size_t>(d);
        std::normal_distribution<float> value(0.0f, spread);
        std::vector<float> values(count);
        for (float& v : values) v = value(random_);
        return b_.addFloatConstant(numbered("c", count_++), std::move(shape), values);
    }
    static OptionsWriter reducer(bool keep) {
        return [keep](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ReducerOptions, schema::CreateReducerOptions(fbb, keep).o};
        };
    }
    int convolution(int x, std::vector<int32_t>& s, int outputs, int kernel, int stride,
                    schema::ActivationFunctionType activation = schema::ActivationFunctionType_NONE) {
        const int in = s[3];
        const int w = constant({outputs, kernel, kernel, in}, std::sqrt(2.0f / static_cast<float>(kernel * kernel * in)));
        const int bias = constant({outputs}, 0.1f);
        s = {1, (s[1] + stride - 1) / stride, (s[2] + stride - 1) / stride, outputs};
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_CONV_2D, {}, {x, w, bias}, {y}, [stride, activation](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                          schema::CreateConv2DOptions(fbb, schema::Padding_SAME, stride, stride, activation).o};
                  }});
        return y;
    }
    int depthwise(int x, std::vector<int32_t>& s, int kernel, int stride,
                  schema::ActivationFunctionType activation = schema::ActivationFunctionType_NONE) {
        const int channels = s[3];
        const int w = constant({1, kernel, kernel, channels}, std::sqrt(2.0f / static_cast<float>(kernel * kernel)));
        const int bias = constant({channels}, 0.1f);
        s = {1, (s[1] + stride - 1) / stride, (s[2] + stride - 1) / stride, channels};
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {x, w, bias}, {y}, [stride, activation](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{
                          schema::BuiltinOptions_DepthwiseConv2DOptions,
                          schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_SAME, stride, stride, 1, activation).o};
                  }});
        return y;
    }
    int unary(schema::BuiltinOperator code, int x, const std::vector<int32_t>& s) {
        const int y = tensor(s);
        b_.addOp({code, {}, {x}, {y}});
        return y;
    }
    int binary(schema::BuiltinOperator code, int x, int other, const std::vector<int32_t>& s,
               schema::ActivationFunctionType activation = schema::ActivationFunctionType_NONE) {
        const int y = tensor(s);
        OptionsWriter options;  // none for SQUARED_DIFFERENCE
        if (code == schema::BuiltinOperator_ADD)
            options = [activation](flatbuffers::FlatBufferBuilder& fbb) {
                return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb, activation).o};
            };
        else if (code == schema::BuiltinOperator_SUB)
            options = [activation](flatbuffers::FlatBufferBuilder& fbb) {
                return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SubOptions, schema::CreateSubOptions(fbb, activation).o};
            };
        else if (code == schema::BuiltinOperator_MUL)
            options = [activation](flatbuffers::FlatBufferBuilder& fbb) {
                return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MulOptions, schema::CreateMulOptions(fbb, activation).o};
            };
        b_.addOp({code, {}, {x, other}, {y}, options});
        return y;
    }
    static OptionsWriter concatenation(int axis) {
        return [axis](flatbuffers::FlatBufferBuilder& fbb) {
            return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions, schema::CreateConcatenationOptions(fbb, axis).o};
        };
    }
    // `parts` joined along channels; `channels` their channel counts, s the
    // shape of each but the last axis, which becomes their sum.
    int joinChannels(const std::vector<int>& parts, const std::vector<int>& channels, std::vector<int32_t>& s) {
        s[3] = 0;
        for (int c : channels) s[3] += c;
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_CONCATENATION, {}, parts, {y}, concatenation(3)});
        return y;
    }
    int pool(schema::BuiltinOperator code, int x, std::vector<int32_t>& s, int filter, int stride) {
        s = {1, (s[1] + stride - 1) / stride, (s[2] + stride - 1) / stride, s[3]};
        const int y = tensor(s);
        b_.addOp({code, {}, {x}, {y}, poolOptions(filter, stride)});
        return y;
    }
    // A 2x nearest-neighbour upscale.
    int upsample(int x, std::vector<int32_t>& s) {
        s = {1, s[1] * 2, s[2] * 2, s[3]};
        const int size = b_.addConstant(numbered("size", count_++), DataType::Int32, {2}, bytesOf<int32_t>({s[1], s[2]}));
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, {}, {x, size}, {y}});
        return y;
    }
    // Global average pooling, a 1000-way FULLY_CONNECTED and SOFTMAX: the
    // classifier head; returns the probabilities.
    int classifier(int x, int channels) {
        const int axes = b_.addConstant("axes", DataType::Int32, {2}, bytesOf<int32_t>({1, 2}));
        const int pooled = tensor({1, channels});
        b_.addOp({schema::BuiltinOperator_MEAN, {}, {x, axes}, {pooled}, reducer(false)});
        const int logits = tensor({1, 1000});
        b_.addOp({schema::BuiltinOperator_FULLY_CONNECTED, {}, {pooled, constant({1000, channels}, 0.03f), constant({1000}, 0.1f)}, {logits}});
        const int probabilities = tensor({1, 1000});
        b_.addOp({schema::BuiltinOperator_SOFTMAX, {}, {logits}, {probabilities}, [](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SoftmaxOptions, schema::CreateSoftmaxOptions(fbb, 1.0f).o};
                  }});
        return probabilities;
    }

    ModelBuilder b_;
    std::mt19937 random_{7};
    int count_ = 0;
};

}  // namespace litestudio::probe

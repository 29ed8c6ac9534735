// 8-bit backbones for bench/probe_models: MobileNetV2 and ResNet-50 in
// int8 (per channel) and uint8 (per tensor), Inception v3 in uint8 and
// EfficientNet-Lite0 in int8, as the converters write them.
#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "bench/probe_networks.h"

namespace litestudio::probe {

namespace {

// A quantized network written layer by layer, random weights. Int8 as
// today's converter writes it (weights with a scale per output channel) or
// uint8 as the older one did (one scale per tensor, Coral's models); int32
// biases; float in and out with QUANTIZE and DEQUANTIZE at the edges, the
// converter's default interface (and LiteRT.js takes no 8-bit input).
class QuantizedNetwork {
protected:
    // Scale and zero point, the zero point as int8 would store it.
    struct Activation {
        float scale;
        int64_t zeroPoint;
    };
    static constexpr Activation kRelu6{6.0f / 255.0f, -128};

    explicit QuantizedNetwork(DataType type) : type_(type) {}

    TensorSpec activation(const std::string& name, std::vector<int32_t> shape, Activation a) const {
        TensorSpec t{name, type_, std::move(shape)};
        t.scales = {a.scale}, t.zeroPoints = {type_ == DataType::UInt8 ? a.zeroPoint + 128 : a.zeroPoint};
        return t;
    }
    int quantizedInput(std::vector<int32_t> shape, Activation& a) {
        b_.addSubgraph();
        input_ = b_.addTensor({"image", DataType::Float32, shape});
        a = {1.0f / 128.0f, 0};
        const int quantized = b_.addTensor(activation("image_quantized", std::move(shape), a));
        b_.addOp({schema::BuiltinOperator_QUANTIZE, {}, {input_}, {quantized}});
        return quantized;
    }
    // Global average pooling, a 1000-way FULLY_CONNECTED, DEQUANTIZE.
    ModelBuilder classifier(int x, const Activation& a, int channels) {
        const int axes = b_.addConstant("axes", DataType::Int32, {2}, bytesOf<int32_t>({1, 2}));
        const int pooled = b_.addTensor(activation("pooled", {1, channels}, a));
        b_.addOp({schema::BuiltinOperator_MEAN, {}, {x, axes}, {pooled}, [](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ReducerOptions, schema::CreateReducerOptions(fbb, false).o};
                  }});
        std::vector<float> scales;
        const int w = weights({1000, channels}, 0, channels, scales);
        const int b = bias(scales, a.scale);
        const int logits = b_.addTensor(activation("logits", {1, 1000}, {0.1f, 0}));
        b_.addOp({schema::BuiltinOperator_FULLY_CONNECTED, {}, {pooled, w, b}, {logits}});
        const int output = b_.addTensor({"logits_float", DataType::Float32, {1, 1000}});
        b_.addOp({schema::BuiltinOperator_DEQUANTIZE, {}, {logits}, {output}});
        b_.setInputs({input_});
        b_.setOutputs({output});
        return std::move(b_);
    }
    // Weights with `dimension` the output channels, He-scaled, quantized to
    // [-127, 127] (uint8: shifted by 128); returns the tensor and its
    // scales, one per output channel either way.
    int weights(std::vector<int32_t> shape, int dimension, int fanIn, std::vector<float>& scales) {
        size_t count = 1;
        for (int32_t d : shape) count *= static_cast<size_t>(d);
        const int channels = shape[static_cast<size_t>(dimension)];
        const float spread = std::sqrt(2.0f / static_cast<float>(fanIn));
        scales.assign(static_cast<size_t>(channels), 3.0f * spread / 127.0f);
        std::normal_distribution<float> value(0.0f, 42.0f);
        TensorSpec w{numbered("w", count_++), type_, std::move(shape)};
        w.data.resize(count);
        const int offset = type_ == DataType::UInt8 ? 128 : 0;
        for (uint8_t& byte : w.data) byte = static_cast<uint8_t>(std::clamp(std::lround(value(random_)), -127L, 127L) + offset);
        const size_t stored = type_ == DataType::UInt8 ? 1 : scales.size();
        w.scales.assign(scales.begin(), scales.begin() + static_cast<std::ptrdiff_t>(stored));
        w.zeroPoints.assign(stored, offset), w.quantizedDimension = type_ == DataType::UInt8 ? 0 : dimension;
        return b_.addTensor(std::move(w));
    }
    int bias(const std::vector<float>& weightScales, float inputScale) {
        std::vector<int32_t> values(weightScales.size());
        std::uniform_int_distribution<int32_t> value(-2000, 2000);
        for (int32_t& v : values) v = value(random_);
        TensorSpec t{numbered("b", count_++), DataType::Int32, {static_cast<int32_t>(values.size())}};
        t.data = bytesOf(values);
        const size_t stored = type_ == DataType::UInt8 ? 1 : weightScales.size();
        for (size_t c = 0; c < stored; ++c) t.scales.push_back(weightScales[c] * inputScale), t.zeroPoints.push_back(0);
        return b_.addTensor(std::move(t));
    }
    int convolution(int x, std::vector<int32_t>& s, Activation& a, int outputs, int kernel, int stride, bool relu) {
        return convolution(x, s, a, outputs, kernel, kernel, stride, relu);
    }
    int convolution(int x, std::vector<int32_t>& s, Activation& a, int outputs, int kernelH, int kernelW, int stride, bool relu) {
        const int in = s[3];
        std::vector<float> scales;
        const int w = weights({outputs, kernelH, kernelW, in}, 0, kernelH * kernelW * in, scales);
        const int b = bias(scales, a.scale);
        s = {1, (s[1] + stride - 1) / stride, (s[2] + stride - 1) / stride, outputs};
        a = relu ? kRelu6 : Activation{0.08f, 3};
        const int y = b_.addTensor(activation(numbered("t", count_++), s, a));
        const auto fused = relu ? reluKind_ : schema::ActivationFunctionType_NONE;
        b_.addOp({schema::BuiltinOperator_CONV_2D, {}, {x, w, b}, {y}, [stride, fused](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                          schema::CreateConv2DOptions(fbb, schema::Padding_SAME, stride, stride, fused).o};
                  }});
        return y;
    }
    int depthwise(int x, std::vector<int32_t>& s, Activation& a, int stride, int kernel = 3) {
        const int channels = s[3];
        std::vector<float> scales;
        const int w = weights({1, kernel, kernel, channels}, 3, kernel * kernel, scales);
        const int b = bias(scales, a.scale);
        s = {1, (s[1] + stride - 1) / stride, (s[2] + stride - 1) / stride, channels};
        a = kRelu6;
        const int y = b_.addTensor(activation(numbered("t", count_++), s, a));
        b_.addOp({schema::BuiltinOperator_DEPTHWISE_CONV_2D, {}, {x, w, b}, {y}, [stride](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{
                          schema::BuiltinOptions_DepthwiseConv2DOptions,
                          schema::CreateDepthwiseConv2DOptions(fbb, schema::Padding_SAME, stride, stride, 1, schema::ActivationFunctionType_RELU6).o};
                  }});
        return y;
    }
    // A 3x3 pool, its quantization that of its input.
    int pool(schema::BuiltinOperator code, int x, std::vector<int32_t>& s, const Activation& a, int stride) {
        s = {1, (s[1] + stride - 1) / stride, (s[2] + stride - 1) / stride, s[3]};
        const int y = b_.addTensor(activation(numbered("t", count_++), s, a));
        b_.addOp({code, {}, {x}, {y}, poolOptions(3, stride)});
        return y;
    }
    // Branches of one quantization side by side in channels.
    int concatenate(const std::vector<std::pair<int, std::vector<int32_t>>>& branches, std::vector<int32_t>& s, const Activation& a) {
        std::vector<int> inputs;
        s = branches.front().second, s[3] = 0;
        for (const auto& [tensor, shape] : branches) inputs.push_back(tensor), s[3] += shape[3];
        const int y = b_.addTensor(activation(numbered("t", count_++), s, a));
        b_.addOp({schema::BuiltinOperator_CONCATENATION, {}, inputs, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions, schema::CreateConcatenationOptions(fbb, 3).o};
                  }});
        return y;
    }
    // Blocks of 1x1 expansion (RELU6), depthwise (RELU6) and 1x1
    // projection, the input added back where the shape allows.
    int invertedResidualStages(int x, std::vector<int32_t>& s, Activation& a, std::span<const InvertedResidualStage> stages) {
        for (const InvertedResidualStage& stage : stages)
            for (int i = 0; i < stage.repeats; ++i) {
                const int stride = i == 0 ? stage.stride : 1, in = s[3], blockInput = x;
                const Activation blockActivation = a;
                int h = x;
                if (stage.expansion != 1) h = convolution(h, s, a, in * stage.expansion, 1, 1, true);
                h = depthwise(h, s, a, stride, stage.kernel);
                h = convolution(h, s, a, stage.channels, 1, 1, false);
                if (stride == 1 && in == stage.channels) {
                    a = {std::max(a.scale, blockActivation.scale) * 1.5f, 0};
                    h = add(h, blockInput, s, a, schema::ActivationFunctionType_NONE);
                }
                x = h;
            }
        return x;
    }
    // x + y into a new activation of `sum`'s quantization.
    int add(int x, int y, const std::vector<int32_t>& s, Activation sum, schema::ActivationFunctionType fused) {
        const int added = b_.addTensor(activation(numbered("t", count_++), s, sum));
        b_.addOp({schema::BuiltinOperator_ADD, {}, {x, y}, {added}, [fused](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb, fused).o};
                  }});
        return added;
    }

    const DataType type_;
    schema::ActivationFunctionType reluKind_ = schema::ActivationFunctionType_RELU6;
    ModelBuilder b_;
    std::mt19937 random_{11};
    int count_ = 0;
    int input_ = -1;
};

// MobileNetV2 1.0 224: inverted residual blocks, RELU6 fused; the 8-bit
// path of the 1x1, depthwise and stem kernels.
class QuantizedMobileNetV2 : QuantizedNetwork {
public:
    explicit QuantizedMobileNetV2(DataType type) : QuantizedNetwork(type) {}
    ModelBuilder build() {
        std::vector<int32_t> s{1, 224, 224, 3};
        Activation a{};
        int x = convolution(quantizedInput(s, a), s, a, 32, 3, 2, true);
        const InvertedResidualStage stages[] = {{1, 3, 1, 16, 1},  {6, 3, 2, 24, 2},  {6, 3, 2, 32, 3}, {6, 3, 2, 64, 4},
                                                {6, 3, 1, 96, 3},  {6, 3, 2, 160, 3}, {6, 3, 1, 320, 1}};
        x = invertedResidualStages(x, s, a, stages);
        x = convolution(x, s, a, 1280, 1, 1, true);
        return classifier(x, a, 1280);
    }
};

// ResNet-50 v1.5 quantized: the dense 3x3 and 1x1 8-bit convolutions of
// the classic backbones (Coral's ResNet-50 and Inception are uint8).
class QuantizedResNet50 : QuantizedNetwork {
public:
    explicit QuantizedResNet50(DataType type) : QuantizedNetwork(type) { reluKind_ = schema::ActivationFunctionType_RELU; }
    ModelBuilder build() {
        std::vector<int32_t> s{1, 224, 224, 3};
        int x = convolution(quantizedInput(s, a_), s, a_, 64, 7, 2, true);
        s = {1, 56, 56, 64};
        const int pooled = b_.addTensor(activation("stem_pooled", s, a_));
        b_.addOp({schema::BuiltinOperator_MAX_POOL_2D, {}, {x}, {pooled}, poolOptions(3, 2)});
        x = resNet50Stages(*this, pooled, s);
        return classifier(x, a_, s[3]);
    }
    int bottleneck(int x, std::vector<int32_t>& s, int width, int stride, bool projected) {
        std::vector<int32_t> shortcutShape = s;
        Activation shortcutActivation = a_;
        const int shortcut = projected ? convolution(x, shortcutShape, shortcutActivation, width * 4, 1, stride, false) : x;
        int h = convolution(x, s, a_, width, 1, 1, true);
        h = convolution(h, s, a_, width, 3, stride, true);
        h = convolution(h, s, a_, width * 4, 1, 1, false);
        a_ = {12.0f / 255.0f, -128};
        return add(h, shortcut, s, a_, schema::ActivationFunctionType_RELU);
    }

private:
    Activation a_{};
};

// Inception v3 at 299x299 in uint8, as Coral ships it: 1x7 and 7x1
// factorised convolutions, 5x5s, 3x3 average and max pooling and the
// CONCATENATION of branches (SAME padding throughout, so the planes are
// 38, 19 and 10 wide rather than 35, 17 and 8).
class QuantizedInceptionV3 : QuantizedNetwork {
public:
    QuantizedInceptionV3() : QuantizedNetwork(DataType::UInt8) { reluKind_ = schema::ActivationFunctionType_RELU6; }
    ModelBuilder build() {
        std::vector<int32_t> s{1, 299, 299, 3};
        Activation a{};
        int x = convolution(quantizedInput(s, a), s, a, 32, 3, 2, true);
        x = convolution(x, s, a, 32, 3, 1, true);
        x = convolution(x, s, a, 64, 3, 1, true);
        x = pool(schema::BuiltinOperator_MAX_POOL_2D, x, s, a, 2);
        x = convolution(x, s, a, 80, 1, 1, true);
        x = convolution(x, s, a, 192, 3, 1, true);
        x = pool(schema::BuiltinOperator_MAX_POOL_2D, x, s, a, 2);
        for (int poolFeatures : {32, 64, 64}) x = mixedA(x, s, poolFeatures);
        x = reductionA(x, s);
        for (int c7 : {128, 160, 160, 192}) x = mixedB(x, s, c7);
        x = reductionB(x, s);
        for (int i = 0; i < 2; ++i) x = mixedC(x, s);
        return classifier(x, kRelu6, s[3]);
    }

private:
    using Branch = std::pair<int, std::vector<int32_t>>;
    // A chain of convolutions from x: {outputs, kernel h, kernel w, stride} each.
    Branch chain(int x, const std::vector<int32_t>& s, std::initializer_list<std::array<int, 4>> layers) {
        std::vector<int32_t> shape = s;
        Activation a = kRelu6;
        for (const auto& layer : layers) x = convolution(x, shape, a, layer[0], layer[1], layer[2], layer[3], true);
        return {x, shape};
    }
    Branch pooled(schema::BuiltinOperator code, int x, const std::vector<int32_t>& s, int stride) {
        std::vector<int32_t> shape = s;
        return {pool(code, x, shape, kRelu6, stride), shape};
    }
    int mixedA(int x, std::vector<int32_t>& s, int poolFeatures) {
        const Branch average = pooled(schema::BuiltinOperator_AVERAGE_POOL_2D, x, s, 1);
        return concatenate({chain(x, s, {{64, 1, 1, 1}}), chain(x, s, {{48, 1, 1, 1}, {64, 5, 5, 1}}),
                            chain(x, s, {{64, 1, 1, 1}, {96, 3, 3, 1}, {96, 3, 3, 1}}), chain(average.first, average.second, {{poolFeatures, 1, 1, 1}})},
                           s, kRelu6);
    }
    int reductionA(int x, std::vector<int32_t>& s) {
        return concatenate({chain(x, s, {{384, 3, 3, 2}}), chain(x, s, {{64, 1, 1, 1}, {96, 3, 3, 1}, {96, 3, 3, 2}}),
                            pooled(schema::BuiltinOperator_MAX_POOL_2D, x, s, 2)},
                           s, kRelu6);
    }
    int mixedB(int x, std::vector<int32_t>& s, int c7) {
        const Branch average = pooled(schema::BuiltinOperator_AVERAGE_POOL_2D, x, s, 1);
        return concatenate({chain(x, s, {{192, 1, 1, 1}}), chain(x, s, {{c7, 1, 1, 1}, {c7, 1, 7, 1}, {192, 7, 1, 1}}),
                            chain(x, s, {{c7, 1, 1, 1}, {c7, 7, 1, 1}, {c7, 1, 7, 1}, {c7, 7, 1, 1}, {192, 1, 7, 1}}),
                            chain(average.first, average.second, {{192, 1, 1, 1}})},
                           s, kRelu6);
    }
    int reductionB(int x, std::vector<int32_t>& s) {
        return concatenate({chain(x, s, {{192, 1, 1, 1}, {320, 3, 3, 2}}), chain(x, s, {{192, 1, 1, 1}, {192, 1, 7, 1}, {192, 7, 1, 1}, {192, 3, 3, 2}}),
                            pooled(schema::BuiltinOperator_MAX_POOL_2D, x, s, 2)},
                           s, kRelu6);
    }
    int mixedC(int x, std::vector<int32_t>& s) {
        const Branch wide = chain(x, s, {{384, 1, 1, 1}}), deep = chain(x, s, {{448, 1, 1, 1}, {384, 3, 3, 1}});
        const Branch average = pooled(schema::BuiltinOperator_AVERAGE_POOL_2D, x, s, 1);
        return concatenate({chain(x, s, {{320, 1, 1, 1}}), chain(wide.first, wide.second, {{384, 1, 3, 1}}), chain(wide.first, wide.second, {{384, 3, 1, 1}}),
                            chain(deep.first, deep.second, {{384, 1, 3, 1}}), chain(deep.first, deep.second, {{384, 3, 1, 1}}),
                            chain(average.first, average.second, {{192, 1, 1, 1}})},
                           s, kRelu6);
    }
};

// EfficientNet-Lite0 in int8, as the Model Maker exports it: EfficientNet-B0's
// blocks with RELU6 and no squeeze-and-excitation, 5x5 depthwise in int8.
class QuantizedEfficientNetLite : QuantizedNetwork {
public:
    QuantizedEfficientNetLite() : QuantizedNetwork(DataType::Int8) {}
    ModelBuilder build() {
        std::vector<int32_t> s{1, 224, 224, 3};
        Activation a{};
        int x = convolution(quantizedInput(s, a), s, a, 32, 3, 2, true);
        x = invertedResidualStages(x, s, a, kEfficientNetB0Stages);
        x = convolution(x, s, a, 1280, 1, 1, true);
        return classifier(x, a, 1280);
    }
};

}  // namespace

ModelBuilder mobileNetV2Quantized(DataType type) { return QuantizedMobileNetV2(type).build(); }
ModelBuilder resNet50Quantized(DataType type) { return QuantizedResNet50(type).build(); }
ModelBuilder inceptionV3Uint8() { return QuantizedInceptionV3().build(); }
ModelBuilder efficientNetLite0Int8() { return QuantizedEfficientNetLite().build(); }

}  // namespace litestudio::probe

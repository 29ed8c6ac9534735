// Writes probe models for bench/compare_litert.sh into a directory: one op
// each of kinds the shared set lacks (8-bit pooling and transposed
// convolution of Inception and U-Net, float TANH, LEAKY_RELU, LRN,
// SPACE_TO_DEPTH and SPACE_TO_BATCH_ND of 32 or 64 and of 8 channels,
// BATCH_TO_SPACE_ND, a 2x nearest-neighbour upscale, a detection head's
// CONCATENATION of short rows) at a real model's sizes; an
// EfficientNet-B0-shaped float model (its blocks, swish as LOGISTIC + MUL
// and squeeze-and-excitation as converters write them) and a
// ResNet-50-shaped one (dense 3x3 and 1x1 convolutions), a
// MobileNetV3-Large-shaped one (HARD_SWISH, hard-sigmoid gates), and
// quantized MobileNetV2 and ResNet-50 shapes (int8 per channel, uint8 per
// tensor), with random weights. The weights are random and the outputs
// meaningless; the point is which kernels run and how fast, side by side
// with LiteRT.js.
//
//   probe_models OUT_DIR

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

#include "core/format/model_builder.h"
#include "tflite_schema_generated.h"

using namespace litestudio;

namespace {

// prefix + n (appended: GCC 12 warns falsely on "literal" + std::string).
std::string numbered(const char* prefix, int n) {
    std::string name(prefix);
    name += std::to_string(n);
    return name;
}

TensorSpec spec(const std::string& name, DataType type, std::vector<int32_t> shape, float scale = 0.05f, int64_t zeroPoint = 117) {
    TensorSpec s{name, type, std::move(shape)};
    if (type != DataType::Float32) s.scales = {scale}, s.zeroPoints = {type == DataType::Int8 ? zeroPoint - 128 : zeroPoint};
    return s;
}

bool save(const ModelBuilder& builder, const std::filesystem::path& path) {
    const std::vector<uint8_t> bytes = builder.finish();
    FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) return false;
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
    return std::fclose(file) == 0 && written;
}

// One op from input tensor `in` to `out`, with constant int32 operands after it.
ModelBuilder oneOp(schema::BuiltinOperator code, TensorSpec in, TensorSpec out, const std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>>& constants,
                   OptionsWriter options = nullptr) {
    ModelBuilder b;
    b.addSubgraph();
    int x = b.addTensor(std::move(in));
    std::vector<int> inputs{x};
    for (size_t i = 0; i < constants.size(); ++i)
        inputs.push_back(b.addConstant(numbered("operand", static_cast<int>(i)), DataType::Int32, constants[i].first, bytesOf(constants[i].second)));
    int y = b.addTensor(std::move(out));
    b.addOp({code, {}, inputs, {y}, std::move(options)});
    b.setInputs({x});
    b.setOutputs({y});
    return b;
}

OptionsWriter poolOptions(int filter, int stride) {
    return [=](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Pool2DOptions, schema::CreatePool2DOptions(fbb, schema::Padding_SAME, stride, stride, filter, filter).o};
    };
}

// A uint8 U-Net decoder's 4x4 stride-2 upsampling, 32x32x64 -> 64x64x32.
ModelBuilder quantizedTransposeConvolution() {
    ModelBuilder b;
    b.addSubgraph();
    int shape = b.addConstant("shape", DataType::Int32, {4}, bytesOf<int32_t>({1, 64, 64, 32}));
    TensorSpec weights = spec("w", DataType::UInt8, {32, 4, 4, 64}, 0.01f, 128);
    std::mt19937 random(1);
    weights.data.resize(32 * 4 * 4 * 64);
    for (uint8_t& w : weights.data) w = static_cast<uint8_t>(118 + random() % 21);
    int w = b.addTensor(weights);
    int x = b.addTensor(spec("x", DataType::UInt8, {1, 32, 32, 64}));
    int y = b.addTensor(spec("y", DataType::UInt8, {1, 64, 64, 32}, 0.1f));
    b.addOp({schema::BuiltinOperator_TRANSPOSE_CONV, {}, {shape, w, x}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_TransposeConvOptions,
                                                     schema::CreateTransposeConvOptions(fbb, schema::Padding_SAME, 2, 2).o};
             }});
    b.setInputs({x});
    b.setOutputs({y});
    return b;
}

// A YOLO-style detection head's last CONCATENATION: 8400 anchors' boxes,
// objectness and 12 class scores side by side (rows of 4, 1 and 12 floats).
ModelBuilder detectionHeadConcatenation() {
    ModelBuilder b;
    b.addSubgraph();
    int boxes = b.addTensor({"boxes", DataType::Float32, {1, 8400, 4}});
    int objectness = b.addTensor({"objectness", DataType::Float32, {1, 8400, 1}});
    int classes = b.addTensor({"classes", DataType::Float32, {1, 8400, 12}});
    int y = b.addTensor({"y", DataType::Float32, {1, 8400, 17}});
    b.addOp({schema::BuiltinOperator_CONCATENATION, {}, {boxes, objectness, classes}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions, schema::CreateConcatenationOptions(fbb, 2).o};
             }});
    b.setInputs({boxes, objectness, classes});
    b.setOutputs({y});
    return b;
}

// A float32 network written layer by layer, random weights (He-scaled).
class NetworkBuilder {
protected:
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
        OptionsWriter options;
        if (code == schema::BuiltinOperator_ADD)
            options = [activation](flatbuffers::FlatBufferBuilder& fbb) {
                return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb, activation).o};
            };
        else
            options = [activation](flatbuffers::FlatBufferBuilder& fbb) {
                return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MulOptions, schema::CreateMulOptions(fbb, activation).o};
            };
        b_.addOp({code, {}, {x, other}, {y}, options});
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

// ResNet-50 v1.5's stages after its stem: bottleneck blocks, the stride on
// the 3x3, a projection shortcut first in each stage. `network` writes a
// block: bottleneck(x, shape, width, stride, projected).
template <typename Network>
int resNet50Stages(Network& network, int x, std::vector<int32_t>& s) {
    const int widths[] = {64, 128, 256, 512}, repeats[] = {3, 4, 6, 3};
    for (int stage = 0; stage < 4; ++stage)
        for (int i = 0; i < repeats[stage]; ++i) x = network.bottleneck(x, s, widths[stage], i == 0 && stage > 0 ? 2 : 1, i == 0);
    return x;
}

// ResNet-50 v1.5 in float32 (ReLU fused into the convolutions and the
// ADDs): the dense 3x3 and 1x1 float convolutions of the classic backbones.
class ResNet50 : NetworkBuilder {
public:
    ModelBuilder build() {
        b_.addSubgraph();
        std::vector<int32_t> s{1, 224, 224, 3};
        const int input = b_.addTensor({"image", DataType::Float32, s});
        int x = convolution(input, s, 64, 7, 2, schema::ActivationFunctionType_RELU);
        s = {1, 56, 56, 64};
        const int pooled = tensor(s);
        b_.addOp({schema::BuiltinOperator_MAX_POOL_2D, {}, {x}, {pooled}, poolOptions(3, 2)});
        x = resNet50Stages(*this, pooled, s);
        b_.setInputs({input});
        b_.setOutputs({classifier(x, s[3])});
        return std::move(b_);
    }
    int bottleneck(int x, std::vector<int32_t>& s, int width, int stride, bool projected) {
        std::vector<int32_t> shortcutShape = s;
        const int shortcut = projected ? convolution(x, shortcutShape, width * 4, 1, stride) : x;
        int h = convolution(x, s, width, 1, 1, schema::ActivationFunctionType_RELU);
        h = convolution(h, s, width, 3, stride, schema::ActivationFunctionType_RELU);
        h = convolution(h, s, width * 4, 1, 1);
        return binary(schema::BuiltinOperator_ADD, h, shortcut, s, schema::ActivationFunctionType_RELU);
    }
};

// EfficientNet-B0's layout.
class EfficientNet : NetworkBuilder {
public:
    ModelBuilder build() {
        b_.addSubgraph();
        std::vector<int32_t> s{1, 224, 224, 3};
        const int input = b_.addTensor({"image", DataType::Float32, s});
        int x = swish(convolution(input, s, 32, 3, 2), s);
        struct Stage {
            int expansion, kernel, stride, channels, repeats;
        };
        const Stage stages[] = {{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3}, {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
        for (const Stage& stage : stages)
            for (int i = 0; i < stage.repeats; ++i) {
                const int stride = i == 0 ? stage.stride : 1, in = s[3], blockInput = x;
                int h = x;
                if (stage.expansion != 1) h = swish(convolution(h, s, in * stage.expansion, 1, 1), s);
                h = swish(depthwise(h, s, stage.kernel, stride), s);
                h = squeezeExcite(h, s, std::max(1, in / 4));
                h = convolution(h, s, stage.channels, 1, 1);
                if (stride == 1 && in == stage.channels) {
                    const int sum = tensor(s);
                    b_.addOp({schema::BuiltinOperator_ADD, {}, {h, blockInput}, {sum}});
                    h = sum;
                }
                x = h;
            }
        x = swish(convolution(x, s, 1280, 1, 1), s);
        b_.setInputs({input});
        b_.setOutputs({classifier(x, 1280)});
        return std::move(b_);
    }

private:
    int swish(int x, const std::vector<int32_t>& s) {
        const int gate = tensor(s);
        b_.addOp({schema::BuiltinOperator_LOGISTIC, {}, {x}, {gate}});
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_MUL, {}, {x, gate}, {y}});
        return y;
    }
    int squeezeExcite(int x, const std::vector<int32_t>& s, int squeezed) {
        const int axes = b_.addConstant(numbered("axes", count_++), DataType::Int32, {2}, bytesOf<int32_t>({1, 2}));
        std::vector<int32_t> pooledShape{1, 1, 1, s[3]};
        const int pooled = tensor(pooledShape);
        b_.addOp({schema::BuiltinOperator_MEAN, {}, {x, axes}, {pooled}, reducer(true)});
        const int reduced = swish(convolution(pooled, pooledShape, squeezed, 1, 1), pooledShape);
        const int expanded = convolution(reduced, pooledShape, s[3], 1, 1);
        const int gate = tensor(pooledShape);
        b_.addOp({schema::BuiltinOperator_LOGISTIC, {}, {expanded}, {gate}});
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_MUL, {}, {x, gate}, {y}});
        return y;
    }

};

// MobileNetV3-Large's layout as Keras converts it: HARD_SWISH ops, and
// squeeze-and-excitation gated by a hard sigmoid written as ADD 3, RELU6,
// MUL 1/6, then MUL.
class MobileNetV3 : NetworkBuilder {
public:
    ModelBuilder build() {
        b_.addSubgraph();
        std::vector<int32_t> s{1, 224, 224, 3};
        const int input = b_.addTensor({"image", DataType::Float32, s});
        int x = unary(schema::BuiltinOperator_HARD_SWISH, convolution(input, s, 16, 3, 2), s);
        struct Block {
            int kernel, expanded, channels;
            bool excite, hardSwish;
            int stride;
        };
        const Block blocks[] = {{3, 16, 16, false, false, 1},   {3, 64, 24, false, false, 2},  {3, 72, 24, false, false, 1},
                                {5, 72, 40, true, false, 2},    {5, 120, 40, true, false, 1},  {5, 120, 40, true, false, 1},
                                {3, 240, 80, false, true, 2},   {3, 200, 80, false, true, 1},  {3, 184, 80, false, true, 1},
                                {3, 184, 80, false, true, 1},   {3, 480, 112, true, true, 1},  {3, 672, 112, true, true, 1},
                                {5, 672, 160, true, true, 2},   {5, 960, 160, true, true, 1},  {5, 960, 160, true, true, 1}};
        const int three = b_.addFloatConstant("three", {1}, {3.0f}), sixth = b_.addFloatConstant("sixth", {1}, {1.0f / 6.0f});
        for (const Block& block : blocks) {
            const int in = s[3], blockInput = x;
            auto activate = [&](int h, bool fusedRelu) {
                return block.hardSwish ? unary(schema::BuiltinOperator_HARD_SWISH, h, s) : (fusedRelu ? h : unary(schema::BuiltinOperator_RELU, h, s));
            };
            const auto relu = block.hardSwish ? schema::ActivationFunctionType_NONE : schema::ActivationFunctionType_RELU;
            int h = x;
            if (block.expanded != in) h = activate(convolution(h, s, block.expanded, 1, 1, relu), true);
            h = activate(depthwise(h, s, block.kernel, block.stride, relu), true);
            if (block.excite) {
                const int axes = b_.addConstant(numbered("axes", count_++), DataType::Int32, {2}, bytesOf<int32_t>({1, 2}));
                std::vector<int32_t> pooledShape{1, 1, 1, s[3]};
                const int pooled = tensor(pooledShape);
                b_.addOp({schema::BuiltinOperator_MEAN, {}, {h, axes}, {pooled}, reducer(true)});
                int gate = convolution(pooled, pooledShape, std::max(8, s[3] / 4), 1, 1, schema::ActivationFunctionType_RELU);
                gate = convolution(gate, pooledShape, s[3], 1, 1);
                gate = binary(schema::BuiltinOperator_ADD, gate, three, pooledShape, schema::ActivationFunctionType_RELU6);
                gate = binary(schema::BuiltinOperator_MUL, gate, sixth, pooledShape);
                h = binary(schema::BuiltinOperator_MUL, h, gate, s);
            }
            h = convolution(h, s, block.channels, 1, 1);
            if (block.stride == 1 && in == block.channels) h = binary(schema::BuiltinOperator_ADD, h, blockInput, s);
            x = h;
        }
        x = unary(schema::BuiltinOperator_HARD_SWISH, convolution(x, s, 960, 1, 1), s);
        b_.setInputs({input});
        b_.setOutputs({classifier(x, 960)});
        return std::move(b_);
    }
};

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
        const int in = s[3];
        std::vector<float> scales;
        const int w = weights({outputs, kernel, kernel, in}, 0, kernel * kernel * in, scales);
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
    int depthwise(int x, std::vector<int32_t>& s, Activation& a, int stride) {
        const int channels = s[3];
        std::vector<float> scales;
        const int w = weights({1, 3, 3, channels}, 3, 9, scales);
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
        struct Stage {
            int expansion, channels, repeats, stride;
        };
        const Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
        for (const Stage& stage : stages)
            for (int i = 0; i < stage.repeats; ++i) {
                const int stride = i == 0 ? stage.stride : 1, in = s[3], blockInput = x;
                const Activation blockActivation = a;
                int h = x;
                if (stage.expansion != 1) h = convolution(h, s, a, in * stage.expansion, 1, 1, true);
                h = depthwise(h, s, a, stride);
                h = convolution(h, s, a, stage.channels, 1, 1, false);
                if (stride == 1 && in == stage.channels) {
                    a = {std::max(a.scale, blockActivation.scale) * 1.5f, 0};
                    h = add(h, blockInput, s, a, schema::ActivationFunctionType_NONE);
                }
                x = h;
            }
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

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: probe_models OUT_DIR\n";
        return 2;
    }
    const std::filesystem::path out = argv[1];
    std::error_code error;
    std::filesystem::create_directories(out, error);
    const std::vector<int32_t> image{1, 56, 56, 64};
    const std::vector<std::pair<std::string, ModelBuilder>> models = {
        {"inception_average_pool_u8", oneOp(schema::BuiltinOperator_AVERAGE_POOL_2D, spec("x", DataType::UInt8, {1, 35, 35, 384}),
                                            spec("y", DataType::UInt8, {1, 35, 35, 384}), {}, poolOptions(3, 1))},
        {"inception_max_pool_u8", oneOp(schema::BuiltinOperator_MAX_POOL_2D, spec("x", DataType::UInt8, {1, 28, 28, 192}),
                                        spec("y", DataType::UInt8, {1, 28, 28, 192}), {}, poolOptions(3, 1))},
        {"unet_transpose_conv_u8", quantizedTransposeConvolution()},
        {"tanh_f32", oneOp(schema::BuiltinOperator_TANH, {"x", DataType::Float32, {1, 64, 64, 64}}, {"y", DataType::Float32, {1, 64, 64, 64}}, {})},
        {"leaky_relu_f32", oneOp(schema::BuiltinOperator_LEAKY_RELU, {"x", DataType::Float32, image}, {"y", DataType::Float32, image}, {},
                                 [](flatbuffers::FlatBufferBuilder& fbb) {
                                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_LeakyReluOptions, schema::CreateLeakyReluOptions(fbb, 0.1f).o};
                                 })},
        {"local_response_normalization_f32",
         oneOp(schema::BuiltinOperator_LOCAL_RESPONSE_NORMALIZATION, {"x", DataType::Float32, image}, {"y", DataType::Float32, image}, {},
               [](flatbuffers::FlatBufferBuilder& fbb) {
                   return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_LocalResponseNormalizationOptions,
                                                       schema::CreateLocalResponseNormalizationOptions(fbb, 2, 1.0f, 1e-4f, 0.75f).o};
               })},
        {"space_to_depth_f32", oneOp(schema::BuiltinOperator_SPACE_TO_DEPTH, {"x", DataType::Float32, {1, 112, 112, 32}},
                                     {"y", DataType::Float32, {1, 56, 56, 128}}, {},
                                     [](flatbuffers::FlatBufferBuilder& fbb) {
                                         return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SpaceToDepthOptions, schema::CreateSpaceToDepthOptions(fbb, 2).o};
                                     })},
        {"space_to_depth_narrow_f32", oneOp(schema::BuiltinOperator_SPACE_TO_DEPTH, {"x", DataType::Float32, {1, 224, 224, 8}},
                                            {"y", DataType::Float32, {1, 112, 112, 32}}, {},
                                            [](flatbuffers::FlatBufferBuilder& fbb) {
                                                return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SpaceToDepthOptions,
                                                                                    schema::CreateSpaceToDepthOptions(fbb, 2).o};
                                            })},
        {"resize_nearest_f32", oneOp(schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, {"x", DataType::Float32, {1, 160, 160, 16}},
                                     {"y", DataType::Float32, {1, 320, 320, 16}}, {{{2}, {320, 320}}})},
        {"detection_head_concatenation_f32", detectionHeadConcatenation()},
        {"space_to_batch_narrow_f32", oneOp(schema::BuiltinOperator_SPACE_TO_BATCH_ND, {"x", DataType::Float32, {1, 128, 128, 8}},
                                            {"y", DataType::Float32, {4, 65, 65, 8}}, {{{2}, {2, 2}}, {{2, 2}, {2, 0, 0, 2}}})},
        {"space_to_batch_f32", oneOp(schema::BuiltinOperator_SPACE_TO_BATCH_ND, {"x", DataType::Float32, {1, 64, 64, 64}},
                                     {"y", DataType::Float32, {4, 33, 33, 64}}, {{{2}, {2, 2}}, {{2, 2}, {2, 0, 0, 2}}})},
        {"batch_to_space_f32", oneOp(schema::BuiltinOperator_BATCH_TO_SPACE_ND, {"x", DataType::Float32, {4, 32, 32, 64}},
                                     {"y", DataType::Float32, {1, 63, 61, 64}}, {{{2}, {2, 2}}, {{2, 2}, {1, 0, 0, 3}}})},
        {"efficientnet_b0_shaped_f32", EfficientNet().build()},
        {"resnet50_shaped_f32", ResNet50().build()},
        {"mobilenet_v3_large_shaped_f32", MobileNetV3().build()},
        {"mobilenet_v2_shaped_int8", QuantizedMobileNetV2(DataType::Int8).build()},
        {"resnet50_shaped_int8", QuantizedResNet50(DataType::Int8).build()},
        {"resnet50_shaped_u8", QuantizedResNet50(DataType::UInt8).build()},
    };
    for (const auto& [name, builder] : models) {
        const std::filesystem::path path = out / (name + ".tflite");
        if (!save(builder, path)) {
            std::cerr << "error: cannot write " << path << "\n";
            return 1;
        }
        std::cout << path.string() << "\n";
    }
    return 0;
}

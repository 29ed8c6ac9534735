// float32 backbones for bench/probe_models: ResNet-50 (dense 3x3 and 1x1
// convolutions), EfficientNet-B0 (swish as LOGISTIC + MUL, squeeze-and-
// excitation), MobileNetV3-Large (HARD_SWISH, hard-sigmoid gates) and
// YOLOv8n (C2f's SPLIT and CONCATENATION, SPPF, nearest upsampling).
#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "bench/probe_float_builder.h"
#include "bench/probe_networks.h"

namespace litestudio::probe {

namespace {

// ResNet-50 v1.5 in float32 (ReLU fused into the convolutions and the
// ADDs): the dense 3x3 and 1x1 float convolutions of the classic backbones.
class ResNet50 : NetworkBuilder {
public:
    ModelBuilder build() {
        std::vector<int32_t> s;
        const int input = imageInput(s, 224, 224);
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
        std::vector<int32_t> s;
        const int input = imageInput(s, 224, 224);
        int x = swish(convolution(input, s, 32, 3, 2), s);
        for (const InvertedResidualStage& stage : kEfficientNetB0Stages)
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
        std::vector<int32_t> s;
        const int input = imageInput(s, 224, 224);
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

// YOLOv8n's layout in float32 at 320x320, as exported to TFLite from
// Keras-side NHWC: SiLU as LOGISTIC + MUL, C2f blocks (SPLIT, bottlenecks
// of dense 3x3s, CONCATENATION), SPPF's three 5x5 MAX_POOLs, 2x nearest
// upsampling and the three-level detection head's 3x3 convolutions.
class YoloV8 : NetworkBuilder {
public:
    ModelBuilder build() {
        std::vector<int32_t> s;
        const int input = imageInput(s, 320, 320);
        int x = convSilu(input, s, 16, 3, 2);
        x = convSilu(x, s, 32, 3, 2);
        x = c2f(x, s, 32, 1, true);
        x = convSilu(x, s, 64, 3, 2);
        std::vector<int32_t> s3 = s;
        const int p3 = c2f(x, s3, 64, 2, true);
        s = s3;
        x = convSilu(p3, s, 128, 3, 2);
        std::vector<int32_t> s4 = s;
        const int p4 = c2f(x, s4, 128, 2, true);
        s = s4;
        x = convSilu(p4, s, 256, 3, 2);
        x = c2f(x, s, 256, 1, true);
        std::vector<int32_t> s5 = s;
        const int p5 = sppf(x, s5);
        // Top-down, then bottom-up.
        std::vector<int32_t> t = s5;
        int h4 = c2f(concatenate({upsample(p5, t), p4}, t, s4[3]), t, 128, 1, false);
        std::vector<int32_t> th4 = t;
        int h3 = c2f(concatenate({upsample(h4, t), p3}, t, s3[3]), t, 64, 1, false);
        std::vector<int32_t> th3 = t;
        int d4 = c2f(concatenate({convSilu(h3, t, 64, 3, 2), h4}, t, th4[3]), t, 128, 1, false);
        std::vector<int32_t> td4 = t;
        int d5 = c2f(concatenate({convSilu(d4, t, 128, 3, 2), p5}, t, s5[3]), t, 256, 1, false);
        std::vector<int32_t> td5 = t;
        std::vector<int> levels{detect(h3, th3), detect(d4, td4), detect(d5, td5)};
        int anchors = 0;
        for (const auto& shape : {th3, td4, td5}) anchors += shape[1] * shape[2];
        const int y = tensor({1, anchors, 144});
        b_.addOp({schema::BuiltinOperator_CONCATENATION, {}, levels, {y}, concatenation(1)});
        b_.setInputs({input});
        b_.setOutputs({y});
        return std::move(b_);
    }

private:
    int silu(int x, const std::vector<int32_t>& s) { return binary(schema::BuiltinOperator_MUL, x, unary(schema::BuiltinOperator_LOGISTIC, x, s), s); }
    int convSilu(int x, std::vector<int32_t>& s, int outputs, int kernel, int stride) { return silu(convolution(x, s, outputs, kernel, stride), s); }
    // Channels of `x` (shape s) then of `other`, which has `otherChannels`.
    int concatenate(const std::vector<int>& parts, std::vector<int32_t>& s, int otherChannels) {
        s[3] += otherChannels;
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_CONCATENATION, {}, parts, {y}, concatenation(3)});
        return y;
    }
    int c2f(int x, std::vector<int32_t>& s, int outputs, int bottlenecks, bool shortcut) {
        x = convSilu(x, s, outputs, 1, 1);
        const int half = outputs / 2;
        std::vector<int32_t> h{1, s[1], s[2], half};
        const int axis = b_.addConstant(numbered("axis", count_++), DataType::Int32, {}, bytesOf<int32_t>({3}));
        std::vector<int> parts{tensor(h), tensor(h)};
        b_.addOp({schema::BuiltinOperator_SPLIT, {}, {axis, x}, parts, [](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SplitOptions, schema::CreateSplitOptions(fbb, 2).o};
                  }});
        for (int i = 0; i < bottlenecks; ++i) {
            std::vector<int32_t> t = h;
            int y = convSilu(convSilu(parts.back(), t, half, 3, 1), t, half, 3, 1);
            if (shortcut) y = binary(schema::BuiltinOperator_ADD, y, parts.back(), h);
            parts.push_back(y);
        }
        s[3] = half * static_cast<int>(parts.size());
        const int joined = tensor(s);
        b_.addOp({schema::BuiltinOperator_CONCATENATION, {}, parts, {joined}, concatenation(3)});
        return convSilu(joined, s, outputs, 1, 1);
    }
    int sppf(int x, std::vector<int32_t>& s) {
        const int outputs = s[3];
        x = convSilu(x, s, outputs / 2, 1, 1);
        std::vector<int> parts{x};
        for (int i = 0; i < 3; ++i) {
            const int y = tensor(s);
            b_.addOp({schema::BuiltinOperator_MAX_POOL_2D, {}, {parts.back()}, {y}, poolOptions(5, 1)});
            parts.push_back(y);
        }
        s[3] *= 4;
        const int joined = tensor(s);
        b_.addOp({schema::BuiltinOperator_CONCATENATION, {}, parts, {joined}, concatenation(3)});
        return convSilu(joined, s, outputs, 1, 1);
    }
    // Boxes (4 x 16 distribution bins) and 80 class scores per anchor: [1, H*W, 144].
    int detect(int x, const std::vector<int32_t>& s) {
        std::vector<int32_t> boxShape = s, classShape = s;
        const int boxes = convolution(convSilu(convSilu(x, boxShape, 64, 3, 1), boxShape, 64, 3, 1), boxShape, 64, 1, 1);
        const int classes = convolution(convSilu(convSilu(x, classShape, 80, 3, 1), classShape, 80, 3, 1), classShape, 80, 1, 1);
        std::vector<int32_t> joinedShape = boxShape;
        const int joined = concatenate({boxes, classes}, joinedShape, 80);
        const int shape = b_.addConstant(numbered("shape", count_++), DataType::Int32, {3}, bytesOf<int32_t>({1, s[1] * s[2], 144}));
        const int y = tensor({1, s[1] * s[2], 144});
        b_.addOp({schema::BuiltinOperator_RESHAPE, {}, {joined, shape}, {y}});
        return y;
    }
};

// A fast style-transfer network (Johnson et al., as Magenta's and the
// TF Hub models lay it out) in float32 at 256x256: reflection padding as
// MIRROR_PAD before VALID convolutions, 9x9 convolutions at the ends,
// instance normalisation as the converter writes tf.nn.moments (MEAN,
// SQUARED_DIFFERENCE, MEAN, ADD, RSQRT, MUL, SUB), five residual blocks at
// 64x64x128 and nearest-neighbour upsampling back.
class StyleTransfer : NetworkBuilder {
public:
    ModelBuilder build() {
        std::vector<int32_t> s;
        const int input = imageInput(s, 256, 256);
        int x = layer(input, s, 32, 9, 1, true);
        x = layer(x, s, 64, 3, 2, true);
        x = layer(x, s, 128, 3, 2, true);
        for (int i = 0; i < 5; ++i) {
            std::vector<int32_t> t = s;
            const int h = layer(layer(x, t, 128, 3, 1, true), t, 128, 3, 1, false);
            x = binary(schema::BuiltinOperator_ADD, h, x, s);
        }
        for (int channels : {64, 32}) x = layer(upsample(x, s), s, channels, 3, 1, true);
        const int y = unary(schema::BuiltinOperator_LOGISTIC, layer(x, s, 3, 9, 1, false), s);
        b_.setInputs({input});
        b_.setOutputs({y});
        return std::move(b_);
    }

private:
    // MIRROR_PAD (REFLECT) by half the kernel, a VALID convolution, instance
    // normalisation, RELU when asked.
    int layer(int x, std::vector<int32_t>& s, int outputs, int kernel, int stride, bool relu) {
        const int half = kernel / 2;
        const int paddings = b_.addConstant(numbered("paddings", count_++), DataType::Int32, {4, 2},
                                            bytesOf<int32_t>({0, 0, half, half, half, half, 0, 0}));
        std::vector<int32_t> padded{1, s[1] + 2 * half, s[2] + 2 * half, s[3]};
        const int p = tensor(padded);
        b_.addOp({schema::BuiltinOperator_MIRROR_PAD, {}, {x, paddings}, {p}, [](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MirrorPadOptions, schema::CreateMirrorPadOptions(fbb, schema::MirrorPadMode_REFLECT).o};
                  }});
        const int w = constant({outputs, kernel, kernel, s[3]}, std::sqrt(2.0f / static_cast<float>(kernel * kernel * s[3])));
        const int bias = constant({outputs}, 0.1f);
        s = {1, (padded[1] - kernel) / stride + 1, (padded[2] - kernel) / stride + 1, outputs};
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_CONV_2D, {}, {p, w, bias}, {y}, [stride](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                          schema::CreateConv2DOptions(fbb, schema::Padding_VALID, stride, stride).o};
                  }});
        const int normalized = instanceNorm(y, s);
        return relu ? unary(schema::BuiltinOperator_RELU, normalized, s) : normalized;
    }
    int instanceNorm(int x, const std::vector<int32_t>& s) {
        const std::vector<int32_t> pooled{1, 1, 1, s[3]};
        auto mean = [&](int of) {
            const int axes = b_.addConstant(numbered("axes", count_++), DataType::Int32, {2}, bytesOf<int32_t>({1, 2}));
            const int y = tensor(pooled);
            b_.addOp({schema::BuiltinOperator_MEAN, {}, {of, axes}, {y}, reducer(true)});
            return y;
        };
        const int mu = mean(x);
        const int variance = mean(binary(schema::BuiltinOperator_SQUARED_DIFFERENCE, x, mu, s));
        const int epsilon = b_.addFloatConstant(numbered("epsilon", count_++), {1}, {1e-3f});
        const int inverse = unary(schema::BuiltinOperator_RSQRT, binary(schema::BuiltinOperator_ADD, variance, epsilon, pooled), pooled);
        const int scale = binary(schema::BuiltinOperator_MUL, inverse, constant({s[3]}, 0.2f), pooled);
        const int shift = binary(schema::BuiltinOperator_SUB, constant({s[3]}, 0.1f), binary(schema::BuiltinOperator_MUL, mu, scale, pooled), pooled);
        return binary(schema::BuiltinOperator_ADD, binary(schema::BuiltinOperator_MUL, x, scale, s), shift, s);
    }
};

}  // namespace

ModelBuilder resNet50Float() { return ResNet50().build(); }
ModelBuilder efficientNetB0Float() { return EfficientNet().build(); }
ModelBuilder mobileNetV3LargeFloat() { return MobileNetV3().build(); }
ModelBuilder yoloV8nFloat() { return YoloV8().build(); }
ModelBuilder styleTransferFloat() { return StyleTransfer().build(); }

}  // namespace litestudio::probe

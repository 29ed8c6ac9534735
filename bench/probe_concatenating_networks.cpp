// float32 backbones for bench/probe_models built on CONCATENATION:
// SqueezeNet 1.1 (fire modules: a 1x1 squeeze, 1x1 and 3x3 expansions
// joined) and DenseNet-121 (every layer's 32 new channels joined to all
// before them, each layer opened by a batch normalisation that no
// convolution can take, as MUL and ADD per channel).
#include <string>
#include <vector>

#include "bench/probe_float_builder.h"
#include "bench/probe_networks.h"

namespace litestudio::probe {

namespace {

// SqueezeNet 1.1 at 224x224, RELU fused into every convolution; the
// classifier is a 1x1 to 1000 channels, a global MEAN and SOFTMAX.
class SqueezeNet : NetworkBuilder {
public:
    ModelBuilder build() {
        std::vector<int32_t> s;
        const int input = imageInput(s, 224, 224);
        int x = convolution(input, s, 64, 3, 2, schema::ActivationFunctionType_RELU);
        x = pool(schema::BuiltinOperator_MAX_POOL_2D, x, s, 3, 2);
        x = fire(fire(x, s, 16, 64), s, 16, 64);
        x = pool(schema::BuiltinOperator_MAX_POOL_2D, x, s, 3, 2);
        x = fire(fire(x, s, 32, 128), s, 32, 128);
        x = pool(schema::BuiltinOperator_MAX_POOL_2D, x, s, 3, 2);
        x = fire(fire(x, s, 48, 192), s, 48, 192);
        x = fire(fire(x, s, 64, 256), s, 64, 256);
        x = convolution(x, s, 1000, 1, 1, schema::ActivationFunctionType_RELU);
        const int axes = b_.addConstant("axes", DataType::Int32, {2}, bytesOf<int32_t>({1, 2}));
        const int pooled = tensor({1, 1000});
        b_.addOp({schema::BuiltinOperator_MEAN, {}, {x, axes}, {pooled}, reducer(false)});
        const int probabilities = tensor({1, 1000});
        b_.addOp({schema::BuiltinOperator_SOFTMAX, {}, {pooled}, {probabilities}, [](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SoftmaxOptions, schema::CreateSoftmaxOptions(fbb, 1.0f).o};
                  }});
        b_.setInputs({input});
        b_.setOutputs({probabilities});
        return std::move(b_);
    }

private:
    int fire(int x, std::vector<int32_t>& s, int squeezed, int expanded) {
        const auto relu = schema::ActivationFunctionType_RELU;
        const int squeeze = convolution(x, s, squeezed, 1, 1, relu);
        std::vector<int32_t> t = s;
        const int wide = convolution(squeeze, t, expanded, 3, 1, relu);
        const int narrow = convolution(squeeze, s, expanded, 1, 1, relu);
        return joinChannels({narrow, wide}, {expanded, expanded}, s);
    }
};

// DenseNet-121 at 224x224: a 7x7 stem and 3x3 MAX_POOL, four dense blocks
// of 6, 12, 24 and 16 layers (growth 32: MUL and ADD per channel, RELU, a
// 1x1 to 128 with RELU, a 3x3 to 32, joined to the block's tensor) with
// transitions between them (normalisation, RELU, a 1x1 halving the
// channels, 2x2 AVERAGE_POOL), then normalisation, RELU and the classifier.
class DenseNet : NetworkBuilder {
public:
    ModelBuilder build() {
        std::vector<int32_t> s;
        const int input = imageInput(s, 224, 224);
        int x = convolution(input, s, 64, 7, 2, schema::ActivationFunctionType_RELU);
        x = pool(schema::BuiltinOperator_MAX_POOL_2D, x, s, 3, 2);
        const int layers[] = {6, 12, 24, 16};
        for (int block = 0; block < 4; ++block) {
            for (int layer = 0; layer < layers[block]; ++layer) {
                std::vector<int32_t> t = s;
                int h = convolution(normalizedRelu(x, t), t, 128, 1, 1, schema::ActivationFunctionType_RELU);
                h = convolution(h, t, 32, 3, 1);
                x = joinChannels({x, h}, {s[3], 32}, s);
            }
            if (block < 3) {
                x = convolution(normalizedRelu(x, s), s, s[3] / 2, 1, 1);
                x = pool(schema::BuiltinOperator_AVERAGE_POOL_2D, x, s, 2, 2);
            }
        }
        x = normalizedRelu(x, s);
        b_.setInputs({input});
        b_.setOutputs({classifier(x, s[3])});
        return std::move(b_);
    }

private:
    // Inference batch normalisation folded to a scale and a shift per
    // channel, then RELU.
    int normalizedRelu(int x, const std::vector<int32_t>& s) {
        const int scaled = binary(schema::BuiltinOperator_MUL, x, constant({s[3]}, 0.3f), s);
        return binary(schema::BuiltinOperator_ADD, scaled, constant({s[3]}, 0.1f), s, schema::ActivationFunctionType_RELU);
    }
};

}  // namespace

ModelBuilder squeezeNetFloat() { return SqueezeNet().build(); }
ModelBuilder denseNet121Float() { return DenseNet().build(); }

}  // namespace litestudio::probe

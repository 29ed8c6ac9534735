// float32 backbones for bench/probe_models whose output is an image: a
// U-Net as the TensorFlow segmentation tutorials write it (3x3 transposed
// convolutions at stride 2, skip CONCATENATIONs) and an EDSR-style
// super-resolution network (residual 3x3 blocks, DEPTH_TO_SPACE).
#include <string>
#include <vector>

#include "bench/probe_float_builder.h"
#include "bench/probe_networks.h"

namespace litestudio::probe {

namespace {

// A U-Net over a 256x256 RGB image: per level two 3x3 convolutions (RELU)
// then a 2x2 MAX_POOL on the way down (16 to 128 channels, 256 at the
// bottom); on the way up a 3x3 TRANSPOSE_CONV at stride 2 (with a bias,
// RELU after), the skip joined after it, two 3x3 convolutions; a 1x1 to
// three classes.
class UNet : NetworkBuilder {
public:
    ModelBuilder build() {
        std::vector<int32_t> s;
        const int input = imageInput(s, 256, 256);
        const auto relu = schema::ActivationFunctionType_RELU;
        std::vector<int> skips;
        std::vector<std::vector<int32_t>> skipShapes;
        int x = input;
        for (int channels : {16, 32, 64, 128}) {
            x = convolution(convolution(x, s, channels, 3, 1, relu), s, channels, 3, 1, relu);
            skips.push_back(x);
            skipShapes.push_back(s);
            x = pool(schema::BuiltinOperator_MAX_POOL_2D, x, s, 2, 2);
        }
        x = convolution(convolution(x, s, 256, 3, 1, relu), s, 256, 3, 1, relu);
        for (int level = 3; level >= 0; --level) {
            const int channels = skipShapes[static_cast<size_t>(level)][3];
            x = unary(schema::BuiltinOperator_RELU, transposeConvolution(x, s, channels), s);
            x = joinChannels({x, skips[static_cast<size_t>(level)]}, {channels, channels}, s);
            x = convolution(convolution(x, s, channels, 3, 1, relu), s, channels, 3, 1, relu);
        }
        const int y = convolution(x, s, 3, 1, 1);
        b_.setInputs({input});
        b_.setOutputs({y});
        return std::move(b_);
    }

private:
    // 3x3 at stride 2, SAME: twice the height and width.
    int transposeConvolution(int x, std::vector<int32_t>& s, int outputs) {
        const int in = s[3];
        const int w = constant({outputs, 3, 3, in}, std::sqrt(2.0f / static_cast<float>(9 * in)));
        const int bias = constant({outputs}, 0.1f);
        s = {1, s[1] * 2, s[2] * 2, outputs};
        const int shape = b_.addConstant(numbered("shape", count_++), DataType::Int32, {4}, bytesOf<int32_t>({s[0], s[1], s[2], s[3]}));
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_TRANSPOSE_CONV, {}, {shape, w, x, bias}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_TransposeConvOptions,
                                                          schema::CreateTransposeConvOptions(fbb, schema::Padding_SAME, 2, 2).o};
                  }});
        return y;
    }
};

// EDSR-style 2x super-resolution of a 96x96 RGB image at 32 channels: a
// 3x3 in, eight residual blocks (3x3, RELU, 3x3, ADD), a 3x3 and the long
// skip ADD, a 3x3 to 12 channels and DEPTH_TO_SPACE to 192x192x3.
class SuperResolution : NetworkBuilder {
public:
    ModelBuilder build() {
        std::vector<int32_t> s;
        const int input = imageInput(s, 96, 96);
        const int head = convolution(input, s, 32, 3, 1);
        int x = head;
        for (int block = 0; block < 8; ++block) {
            const int h = convolution(convolution(x, s, 32, 3, 1, schema::ActivationFunctionType_RELU), s, 32, 3, 1);
            x = binary(schema::BuiltinOperator_ADD, h, x, s);
        }
        x = binary(schema::BuiltinOperator_ADD, convolution(x, s, 32, 3, 1), head, s);
        x = convolution(x, s, 12, 3, 1);
        s = {1, s[1] * 2, s[2] * 2, 3};
        const int y = tensor(s);
        b_.addOp({schema::BuiltinOperator_DEPTH_TO_SPACE, {}, {x}, {y}, [](flatbuffers::FlatBufferBuilder& fbb) {
                      return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_DepthToSpaceOptions, schema::CreateDepthToSpaceOptions(fbb, 2).o};
                  }});
        b_.setInputs({input});
        b_.setOutputs({y});
        return std::move(b_);
    }
};

}  // namespace

ModelBuilder uNetFloat() { return UNet().build(); }
ModelBuilder superResolutionFloat() { return SuperResolution().build(); }

}  // namespace litestudio::probe

#pragma once
// Whole backbones for bench/probe_models, written layer by layer with
// random weights: which kernels a real network of that family runs, and how
// fast, side by side with LiteRT.js. The outputs are meaningless.

#include <string>
#include <vector>

#include "core/format/model_builder.h"
#include "tflite_schema_generated.h"

namespace litestudio::probe {

// prefix + n (appended: GCC 12 warns falsely on "literal" + std::string).
inline std::string numbered(const char* prefix, int n) {
    std::string name(prefix);
    name += std::to_string(n);
    return name;
}

// A square pool of `filter` with SAME padding.
inline OptionsWriter poolOptions(int filter, int stride) {
    return [=](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Pool2DOptions, schema::CreatePool2DOptions(fbb, schema::Padding_SAME, stride, stride, filter, filter).o};
    };
}

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

// A stage of inverted residual blocks (MobileNetV2, EfficientNet): the
// expansion factor, the depthwise kernel, the first block's stride, the
// output channels and how many blocks.
struct InvertedResidualStage {
    int expansion, kernel, stride, channels, repeats;
};

// EfficientNet-B0's seven stages (EfficientNet-Lite0 keeps them).
inline constexpr InvertedResidualStage kEfficientNetB0Stages[] = {{1, 3, 1, 16, 1},  {6, 3, 2, 24, 2},  {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
                                                                 {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};

// float32 (probe_float_networks.cpp).
ModelBuilder resNet50Float();
ModelBuilder efficientNetB0Float();
ModelBuilder mobileNetV3LargeFloat();
ModelBuilder yoloV8nFloat();
ModelBuilder styleTransferFloat();
ModelBuilder uNetFloat();             // probe_pixel_networks.cpp
ModelBuilder superResolutionFloat();
ModelBuilder squeezeNetFloat();       // probe_concatenating_networks.cpp
ModelBuilder denseNet121Float();

// 8-bit, float in and out (probe_quantized_networks.cpp). `type` is Int8
// (a scale per output channel) or UInt8 (one per tensor).
ModelBuilder mobileNetV2Quantized(DataType type);
ModelBuilder resNet50Quantized(DataType type);
ModelBuilder inceptionV3Uint8();
ModelBuilder efficientNetLite0Int8();

}  // namespace litestudio::probe

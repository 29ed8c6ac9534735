// Writes probe models for bench/compare_litert.sh into a directory: one op
// each of kinds the shared set lacks (8-bit pooling and transposed
// convolution of Inception and U-Net, float TANH, LEAKY_RELU, LRN,
// SPACE_TO_DEPTH and SPACE_TO_BATCH_ND of 32 or 64 and of 8 channels,
// BATCH_TO_SPACE_ND, a 2x nearest-neighbour upscale, a detection head's
// CONCATENATION of short rows) at a real model's sizes, and whole
// backbones of the families a user brings (bench/probe_networks.h): float
// ResNet-50, EfficientNet-B0, MobileNetV3-Large and YOLOv8n; 8-bit
// MobileNetV2, ResNet-50, Inception v3 and EfficientNet-Lite0. The
// weights are random and the outputs meaningless; the point is which
// kernels run and how fast, side by side with LiteRT.js.
//
//   probe_models OUT_DIR

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

#include "bench/probe_networks.h"
#include "core/format/model_builder.h"
#include "tflite_schema_generated.h"

using namespace litestudio;
using probe::numbered;
using probe::poolOptions;

namespace {


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
        {"efficientnet_b0_shaped_f32", probe::efficientNetB0Float()},
        {"resnet50_shaped_f32", probe::resNet50Float()},
        {"mobilenet_v3_large_shaped_f32", probe::mobileNetV3LargeFloat()},
        {"yolov8n_shaped_f32", probe::yoloV8nFloat()},
        {"style_transfer_shaped_f32", probe::styleTransferFloat()},
        {"unet_shaped_f32", probe::uNetFloat()},
        {"super_resolution_shaped_f32", probe::superResolutionFloat()},
        {"squeezenet_shaped_f32", probe::squeezeNetFloat()},
        {"densenet121_shaped_f32", probe::denseNet121Float()},
        {"mobilenet_v2_shaped_int8", probe::mobileNetV2Quantized(DataType::Int8)},
        {"resnet50_shaped_int8", probe::resNet50Quantized(DataType::Int8)},
        {"resnet50_shaped_u8", probe::resNet50Quantized(DataType::UInt8)},
        {"inception_v3_shaped_u8", probe::inceptionV3Uint8()},
        {"efficientnet_lite0_shaped_int8", probe::efficientNetLite0Int8()},
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

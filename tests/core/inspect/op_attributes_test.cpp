// Op options read through the schema's reflection tables, and weight
// statistics for the properties panel.

#include "core/inspect/op_attributes.h"
#include "core/inspect/tensor_statistics.h"

#include <gtest/gtest.h>

#include "core/format/model_file.h"
#include "tests/support/test_paths.h"

using namespace litestudio;

namespace {

std::string attribute(const std::vector<OpAttribute>& attributes, const std::string& name) {
    for (const OpAttribute& a : attributes)
        if (a.name == name) return a.value;
    return "(absent)";
}

}  // namespace

TEST(OpAttributes, ConvolutionOptionsAndKeyAttributes) {
    auto file = openModelFile(litestudio::testing::sharedModel("mediapipe/pose_detection.tflite").string());
    ASSERT_TRUE(file) << file.errorMessage();
    const Model& model = *file->model;
    const Subgraph& subgraph = model.subgraphs[0];
    const Op* stridedConv = nullptr;
    for (const Op& op : subgraph.ops)
        if (model.opCode(op).displayName() == "CONV_2D") {
            stridedConv = &op;
            break;
        }
    ASSERT_TRUE(stridedConv);
    auto attributes = opAttributes(model, *stridedConv);
    for (const auto& a : attributes) std::printf("  %s = %s\n", a.name.c_str(), a.value.c_str());
    EXPECT_EQ(attribute(attributes, "padding"), "VALID");  // a PAD op before it does the padding
    EXPECT_EQ(attribute(attributes, "stride_w"), "2");
    EXPECT_EQ(attribute(attributes, "fused_activation_function"), "RELU6");
    EXPECT_EQ(attribute(attributes, "dilation_w_factor"), "1");  // left out of the file: the schema default
    std::string key = opKeyAttributes(model, subgraph, *stridedConv);
    std::printf("key attributes: %s\n", key.c_str());
    EXPECT_EQ(key, "3x3 /2 relu6");
}

TEST(TensorStatistics, DequantizesPerChannelAndCountsZeros) {
    // int8 [2,3] with per-channel scales along axis 0: rows scaled by 0.5 and 2.
    static const int8_t values[] = {-2, 0, 4, 1, 0, -3};
    Tensor tensor;
    tensor.name = "weights";
    tensor.type = DataType::Int8;
    tensor.shape = {2, 3};
    tensor.data = {reinterpret_cast<const uint8_t*>(values), sizeof values};
    tensor.quantization.scheme = Quantization::Scheme::PerChannel;
    tensor.quantization.scales = {0.5f, 2.0f};
    tensor.quantization.zeroPoints = {0, 0};
    tensor.quantization.axis = 0;
    auto stats = constantStatistics(tensor, 4);
    ASSERT_TRUE(stats) << stats.errorMessage();
    // Dequantized: -1 0 2 | 2 0 -6
    EXPECT_TRUE(stats->dequantized);
    EXPECT_DOUBLE_EQ(stats->min, -6);
    EXPECT_DOUBLE_EQ(stats->max, 2);
    EXPECT_DOUBLE_EQ(stats->mean, -0.5);
    EXPECT_EQ(stats->zeros, 2);
    // Bins of width 2 from -6: [-6,-4) [-4,-2) [-2,0) [0,2]
    EXPECT_EQ(stats->histogram, (std::vector<int64_t>{1, 0, 1, 4}));
    std::printf("min %g max %g mean %g std %g\n", stats->min, stats->max, stats->mean, stats->std);
    EXPECT_NEAR(stats->std, 2.69258, 1e-5);  // sqrt(45/6 - 0.25)
}

TEST(TensorStatistics, RefusesActivationsAndShortData) {
    Tensor activation;
    activation.name = "x";
    activation.shape = {4};
    EXPECT_EQ(constantStatistics(activation).errorMessage(), "tensor 'x' has no constant data");
    static const float two[] = {1, 2};
    Tensor shortData;
    shortData.name = "w";
    shortData.shape = {4};
    shortData.data = {reinterpret_cast<const uint8_t*>(two), sizeof two};
    EXPECT_EQ(constantStatistics(shortData).errorMessage(), "tensor 'w': 8 bytes do not hold shape [4]");
}

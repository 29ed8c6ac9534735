// Every real model in ../shared/models loads to a summary or fails with one
// clear error; known answers are checked where we know them.

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "core/format/model_file.h"
#include "core/inspect/model_summary.h"
#include "core/inspect/summary_json.h"
#include "core/inspect/summary_text.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

using testing::sharedDir;
using testing::sharedModel;

// Files that must be rejected, with a fragment of the reason.
const std::map<std::string, std::string> kExpectedErrors = {
    {"litert-testdata/java_src_testdata_invalid_model.bin", "not a TFLite model"},
    {"litert-testdata/testdata_test_model_broken.bin", "not a TFLite model"},
    {"litert-testdata/testdata_segment_sum_invalid_buffer.bin",
     "op 0 (SEGMENT_SUM) input 1 reads tensor 2 'pyx/y', which has no data"},
    {"litert-testdata/testdata_0_subgraphs.bin", "the model has no subgraphs"},
    {"litert-testdata/testdata_no_subgraphs.bin", "the model has no subgraphs"},
    {"litert-testdata/converter_quantization_lite_testdata_transpose.bin", "unsupported TFLite schema version 2"},
    {"litert-testdata/experimental_acceleration_compatibility_gpu_compatibility.bin", "not a TFLite model"},
    // Weight files and raw NPU bytecode that sit beside models, not models.
    {"litert-testdata/litert_js_packages_core_testdata_complexExtWeight_per_channel_weights.bin", "not a TFLite model"},
    {"litert-testdata/litert_js_packages_core_testdata_complexExtWeight_weights.bin", "not a TFLite model"},
    {"litert-testdata/litert_js_packages_core_testdata_extWeight_weights.bin", "not a TFLite model"},
    {"litert-testdata/simple_add_uint16_qualcomm.bin", "not a TFLite model"},
    {"litert-testdata/simple_model_google_tensor.bin", "not a TFLite model"},
    {"litert-testdata/simple_model_mtk.bin", "not a TFLite model"},
    {"litert-testdata/simple_model_qualcomm.bin", "not a TFLite model"},
    // Inputs that no op writes: LiteRT would read uninitialised memory.
    {"litert-testdata/blockwise_quantized.tflite", "input 1 reads tensor 2 'quantized_tensor', which has no data"},
    // Its op 0 adds into its own input (and op 1 reads a tensor nothing writes).
    {"litert-testdata/testdata_add_shared_tensors.bin", "op 0 (ADD) writes tensor 1 'input', which it also reads"},
};

std::vector<std::string> allSharedModels() {
    std::vector<std::string> names;
    std::filesystem::path root = sharedDir() / "models";
    if (!std::filesystem::exists(root)) return names;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
        if (entry.is_regular_file()) names.push_back(std::filesystem::relative(entry.path(), root).string());
    std::sort(names.begin(), names.end());
    return names;
}

TEST(SharedModels, EveryFileGivesASummaryOrOneClearError) {
    std::vector<std::string> names = allSharedModels();
    ASSERT_GE(names.size(), 200u) << "expected the 212+ models of " << sharedDir() / "models";
    int loaded = 0, rejected = 0;
    for (const std::string& name : names) {
        auto file = openModelFile((sharedDir() / "models" / name).string());
        auto expected = kExpectedErrors.find(name);
        if (expected != kExpectedErrors.end()) {
            ASSERT_FALSE(file) << name << " loaded but should fail with '" << expected->second << "'";
            EXPECT_NE(file.errorMessage().find(expected->second), std::string::npos)
                << name << ": '" << file.errorMessage() << "' lacks '" << expected->second << "'";
            EXPECT_EQ(file.errorMessage().find('\n'), std::string::npos) << "error is not one line";
            std::cout << "  rejected " << name << ": " << file.errorMessage().substr(file.errorMessage().find(": ") + 2)
                      << "\n";
            ++rejected;
            continue;
        }
        ASSERT_TRUE(file) << name << ": " << file.errorMessage();
        FileSummary summary = summarizeFile(*file);
        ASSERT_TRUE(summary.model) << name;
        EXPECT_FALSE(summary.model->subgraphs.empty()) << name;
        EXPECT_FALSE(fileSummaryToText(summary).empty());
        std::string json = fileSummaryToJson(summary).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        EXPECT_NE(json.find("\"op_histogram\""), std::string::npos) << name;
        ++loaded;
    }
    std::cout << "  " << loaded << " files summarised, " << rejected << " rejected with the expected error\n";
    EXPECT_EQ(rejected, static_cast<int>(kExpectedErrors.size()));
}

ModelSummary summaryOf(const std::string& name) {
    auto file = openModelFile(sharedModel(name).string());
    EXPECT_TRUE(file) << file.errorMessage();
    if (!file) return {};
    return summarizeFile(*file).model.value_or(ModelSummary{});
}

std::string describe(const std::vector<TensorSummary>& tensors) {
    std::string text;
    for (const TensorSummary& tensor : tensors)
        text += tensor.name + ":" + std::string(dataTypeName(tensor.type)) + shapeToString(tensor.shape) + " ";
    return text;
}

TEST(SharedModels, MultiSignatureKeysAndShapes) {
    ModelSummary js = summaryOf("litert-testdata/litert_js_packages_core_testdata_multi_signature_model.tflite");
    ASSERT_EQ(js.signatures.size(), 3u);
    const char* keys[] = {"add", "mul", "sub"};
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(js.signatures[i].key, keys[i]);
        EXPECT_EQ(js.signatures[i].subgraph, i);
        EXPECT_EQ(describe(js.signatures[i].inputs), "a:float32[10,10] b:float32[10,10] ");
        EXPECT_EQ(describe(js.signatures[i].outputs), "output:float32[10,10] ");
    }

    ModelSummary java = summaryOf("litert-testdata/java_src_testdata_multi_signature_def.bin");
    ASSERT_EQ(java.signatures.size(), 2u);
    EXPECT_EQ(java.signatures[0].key, "add");
    EXPECT_EQ(describe(java.signatures[0].inputs), "a:float32[] b:float32[] ");
    EXPECT_EQ(java.signatures[1].key, "sub");
    EXPECT_EQ(java.signatures[1].subgraph, 1);
    EXPECT_EQ(describe(java.signatures[1].outputs), "sub_result:float32[] ");

    // Dynamic dimensions come from the shape signature.
    ModelSummary dynamic = summaryOf("litert-testdata/testdata_multi_signatures.bin");
    ASSERT_EQ(dynamic.signatures.size(), 2u);
    EXPECT_EQ(describe(dynamic.signatures[1].inputs), "x:float32[-1] ");
}

TEST(SharedModels, SignatureOrderDiffersFromSubgraphOrder) {
    ModelSummary summary = summaryOf("litert-testdata/reverse_signature_model.tflite");
    ASSERT_EQ(summary.signatures.size(), 1u);
    EXPECT_EQ(describe(summary.signatures[0].inputs), "x:float32[1,8] y:float32[1,8] ");
    EXPECT_EQ(describe(summary.signatures[0].outputs), "prod:float32[1,8] sum:float32[1,8] ");
    EXPECT_EQ(summary.subgraphs[0].inputs[0].name, "serving_default_y:0");
    EXPECT_EQ(summary.subgraphs[0].inputs[1].name, "serving_default_x:0");
}

struct DispatchCase {
    const char* file;
    const char* vendor;
    const char* soc;
    const char* name;
    uint64_t bytecodeSize;
};

TEST(SharedModels, NpuDispatchOpsOfPrecompiledModels) {
    const DispatchCase cases[] = {
        {"simple_model_qualcomm_sm8650_precompiled.tflite", "Qualcomm", "SM8650", "qnn_partition_0", 29528},
        {"simple_add_op_qc_v75_precompiled.tflite", "Qualcomm", "V75", "qnn_partition_0", 29368},
        {"simple_add_op_google_tensor_p25_precompiled.tflite", "GoogleTensor", "P25", "Partition_0", 73152},
        {"simple_model_npu_mediatek_mt6989_precompiled.tflite", "MediaTek", "mt6989", "Partition_0", 5788},
        {"simple_model_npu_google_tensor_precompiled.tflite", "", "", "", 12288},
        {"shared_input_cpu_npu_google_tensor_precompiled.tflite", "", "", "", 12288},
        {"precompiled_mediatek_model.tflite", "", "", "", 6956},  // the legacy fixed-field layout
    };
    for (const DispatchCase& c : cases) {
        ModelSummary summary = summaryOf(std::string("litert-testdata/") + c.file);
        EXPECT_EQ(summary.npuTarget.vendor, c.vendor) << c.file;
        EXPECT_EQ(summary.npuTarget.soc, c.soc) << c.file;
        ASSERT_EQ(summary.dispatchOps.size(), 1u) << c.file;
        const DispatchOpInfo& op = summary.dispatchOps[0];
        EXPECT_EQ(op.name, c.name) << c.file;
        EXPECT_EQ(op.bytecodeSize, c.bytecodeSize) << c.file;
        EXPECT_TRUE(op.bytecodeInFile) << c.file;
        EXPECT_TRUE(op.problem.empty()) << c.file << ": " << op.problem;
        std::cout << "  " << c.file << ": " << op.name << " " << op.bytecodeSize << " bytes at " << op.bytecodeOffset
                  << " for " << summary.npuTarget.vendor << " " << summary.npuTarget.soc << "\n";
    }
}

TEST(SharedModels, MobileNetV2QuantSummary) {
    ModelSummary summary = summaryOf("coral/mobilenet_v2_1.0_224_quant.tflite");
    EXPECT_EQ(summary.opCount, 66);
    ASSERT_FALSE(summary.opHistogram.empty());
    EXPECT_EQ(summary.opHistogram[0].name, "CONV_2D");
    EXPECT_EQ(summary.opHistogram[0].count, 36);
    ASSERT_EQ(summary.subgraphs.size(), 1u);
    EXPECT_EQ(describe(summary.subgraphs[0].inputs), "input:uint8[1,224,224,3] ");
    EXPECT_EQ(summary.subgraphs[0].inputs[0].quantization, "uint8 per-tensor");
    EXPECT_EQ(summary.parameters[0].type, DataType::UInt8);
    EXPECT_EQ(summary.metadata.minRuntimeVersion, "1.5.0");
    EXPECT_EQ(summary.metadata.name, "ImageClassifier");
    ASSERT_EQ(summary.metadata.associatedFiles.size(), 1u);
    const AssociatedFileInfo& labels = summary.metadata.associatedFiles[0];
    EXPECT_EQ(labels.name, "imagenet_labels.txt");
    EXPECT_EQ(labels.type, "TENSOR_AXIS_LABELS");
    EXPECT_TRUE(labels.packed);
    EXPECT_EQ(labels.lineCount, 1001);
}

TEST(SharedModels, BlockwiseInt4AndFloat16Weights) {
    ModelSummary summary = summaryOf("litert-testdata/qwen_fc_blockwise_quantized.tflite");
    bool blockwise = false;
    for (const NamedCount& entry : summary.quantization) blockwise |= entry.name == "int4 blockwise (block 32)";
    EXPECT_TRUE(blockwise);
    ASSERT_GE(summary.parameters.size(), 1u);
    EXPECT_EQ(summary.parameters[0].type, DataType::Int4);
    EXPECT_EQ(summary.parameters[0].bytes, 512u * 1024u);

    ModelSummary face = summaryOf("mediapipe/face_detection_short_range.tflite");
    EXPECT_EQ(face.parameters[0].type, DataType::Float16);
    EXPECT_EQ(face.opHistogram[0].name, "DEQUANTIZE");
}

TEST(SharedModels, ControlFlowSubgraphsAndFlexOps) {
    ModelSummary loop = summaryOf("litert-testdata/testdata_multi_subgraphs_while.bin");
    ASSERT_EQ(loop.subgraphs.size(), 3u);
    EXPECT_EQ(loop.subgraphs[2].name, "while_body");

    ModelSummary flex = summaryOf("litert-testdata/testdata_double_flex.bin");
    EXPECT_FALSE(flex.flexOps.empty());
    std::cout << "  flex ops:";
    for (const std::string& op : flex.flexOps) std::cout << " " << op;
    std::cout << "\n";
}

}  // namespace
}  // namespace litestudio

namespace litestudio {
namespace {

// Every input the fuzz corpus keeps (seeds and past findings) loads or fails
// cleanly; under the sanitizer build this replays old crashes.
TEST(FuzzCorpus, EveryKeptInputLoadsOrFailsCleanly) {
    std::filesystem::path corpus = testing::sourceDir() / "tests/fuzz/corpus/model_file";
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
        auto bytes = std::make_shared<std::vector<uint8_t>>(testing::readFileBytes(entry.path()));
        auto file = openModelBytes(entry.path().filename().string(), bytes, *bytes);
        if (file) {
            FileSummary summary = summarizeFile(*file);
            (void)fileSummaryToText(summary);
        }
        std::cout << "  " << entry.path().filename().string() << ": "
                  << (file ? "loaded" : file.errorMessage().substr(0, 160)) << "\n";
        ++files;
    }
    EXPECT_GE(files, 4);
}

}  // namespace
}  // namespace litestudio

// The summary of the sample classifier, whose contents we wrote ourselves.

#include "core/inspect/model_summary.h"

#include <gtest/gtest.h>

#include "core/inspect/summary_json.h"
#include "core/inspect/summary_text.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

FileSummary sampleSummary() {
    auto file = openModelFile((testing::sourceDir() / "resources/samples/sample_classifier.tflite").string());
    EXPECT_TRUE(file) << file.errorMessage();
    return summarizeFile(*file);
}

TEST(ModelSummary, SampleClassifier) {
    FileSummary summary = sampleSummary();
    ASSERT_TRUE(summary.model);
    const ModelSummary& model = *summary.model;
    EXPECT_EQ(model.opCount, 7);
    ASSERT_EQ(model.opHistogram.size(), 6u);
    EXPECT_EQ(model.opHistogram[0].name, "CONV_2D");
    EXPECT_EQ(model.opHistogram[0].count, 2);
    // 8*27+8 + 72+8 + 128+16 + 160+10 float weights, plus the 2-element shape.
    EXPECT_EQ(model.parameterCount, 618u + 2u);
    ASSERT_EQ(model.parameters.size(), 2u);
    EXPECT_EQ(model.parameters[0].type, DataType::Float32);
    EXPECT_EQ(model.parameters[0].bytes, 618u * 4u);
    EXPECT_EQ(model.metadata.minRuntimeVersion, "2.3.0");
    EXPECT_EQ(model.metadata.author, "LiteStudio");
    ASSERT_EQ(model.signatures.size(), 1u);
    EXPECT_EQ(model.signatures[0].inputs[0].name, "image");
    EXPECT_EQ(model.signatures[0].inputs[0].shape, (std::vector<int32_t>{1, 32, 32, 3}));
}

TEST(ModelSummary, JsonCarriesTheDocumentedFields) {
    nlohmann::json json = fileSummaryToJson(sampleSummary());
    std::cout << "  " << json.dump().substr(0, 200) << "...\n";
    EXPECT_EQ(json["format_version"], kInspectJsonVersion);
    EXPECT_EQ(json["kind"], "tflite");
    EXPECT_EQ(json["file_bytes"], testing::readFileBytes(testing::sourceDir() /
                                                         "resources/samples/sample_classifier.tflite").size());
    const auto& model = json["model"];
    EXPECT_EQ(model["signatures"][0]["key"], "serving_default");
    EXPECT_EQ(model["signatures"][0]["outputs"][0]["shape"], nlohmann::json::array({1, 10}));
    EXPECT_EQ(model["op_histogram"]["SOFTMAX"], 1);
    EXPECT_EQ(model["parameters"]["by_dtype"]["float32"]["count"], 618);
    EXPECT_EQ(model["metadata"]["min_runtime_version"], "2.3.0");
    EXPECT_TRUE(model["npu"]["dispatch_ops"].empty());
}

TEST(ModelSummary, TextNamesEverySection) {
    std::string text = fileSummaryToText(sampleSummary());
    for (const char* heading : {"Signatures (1)", "Ops (7 in 6 types)", "Parameters    620 in 2.42 KiB", "Metadata",
                                "Min runtime version         2.3.0"})
        EXPECT_NE(text.find(heading), std::string::npos) << "missing '" << heading << "' in\n" << text;
}

TEST(ModelSummary, Formatting) {
    EXPECT_EQ(formatBytes(512), "512 B");
    EXPECT_EQ(formatBytes(1536), "1.50 KiB");
    EXPECT_EQ(formatBytes(3610798), "3.44 MiB");
    EXPECT_EQ(formatCount(999), "999");
    EXPECT_EQ(formatCount(3490000), "3.49M");
    EXPECT_EQ(shapeToString({1, -1, 3}), "[1,-1,3]");
}

}  // namespace
}  // namespace litestudio

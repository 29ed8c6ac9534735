// .litertlm and .task bundles: written here, read back, and damaged.

#include <gtest/gtest.h>
#include <zip.h>

#include "core/format/litertlm_writer.h"
#include "core/format/model_file.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

using testing::readFileBytes;

std::vector<uint8_t> sampleModel() {
    return readFileBytes(testing::sourceDir() / "resources/samples/sample_classifier.tflite");
}

std::vector<uint8_t> sampleBundle() {
    std::string tokenizer = "not really a sentencepiece model";
    return writeLitertlmBundle(
        {{"Authors", "LiteStudio tests"}},
        {{LitertlmSectionType::SentencePieceTokenizer, {tokenizer.begin(), tokenizer.end()}, {}},
         {LitertlmSectionType::TFLiteModel, sampleModel(), {{"model_type", "prefill_decode"}}},
         {LitertlmSectionType::LlmMetadataProto, {1, 2, 3}, {}}});
}

Expected<ModelFile> open(const std::vector<uint8_t>& bytes) {
    auto owned = std::make_shared<std::vector<uint8_t>>(bytes);
    return openModelBytes("bundle", owned, *owned);
}

TEST(LitertlmBundle, ListsSectionsAndLoadsTheModelInPlace) {
    std::vector<uint8_t> bytes = sampleBundle();
    auto owned = std::make_shared<std::vector<uint8_t>>(bytes);
    auto file = openModelBytes("bundle.litertlm", owned, *owned);
    ASSERT_TRUE(file) << file.errorMessage();
    EXPECT_EQ(file->kind, FileKind::LitertlmBundle);
    ASSERT_TRUE(file->bundle);
    const Bundle& bundle = *file->bundle;
    EXPECT_EQ(bundle.version, "1.4.0");
    ASSERT_EQ(bundle.properties.size(), 1u);
    EXPECT_EQ(bundle.properties[0].second, "LiteStudio tests");
    ASSERT_EQ(bundle.sections.size(), 3u);
    EXPECT_EQ(bundle.sections[0].type, "SP_Tokenizer");
    EXPECT_EQ(bundle.sections[1].type, "TFLiteModel");
    EXPECT_EQ(bundle.sections[2].type, "LlmMetadataProto");
    for (const BundleSection& section : bundle.sections)
        EXPECT_EQ(section.offset % kLitertlmSectionAlignment, 0u) << section.name;
    ASSERT_TRUE(bundle.sections[1].model) << bundle.sections[1].modelError;
    EXPECT_EQ(bundle.sections[1].properties[0].second, "prefill_decode");
    // The model reads its weights from the bundle's own bytes.
    const Model& model = *bundle.sections[1].model;
    EXPECT_EQ(model.bytes().data(), owned->data() + bundle.sections[1].offset);
    EXPECT_EQ(model.subgraphs[0].ops.size(), 7u);
}

TEST(LitertlmBundle, TruncationIsAClearError) {
    std::vector<uint8_t> bytes = sampleBundle();
    for (size_t length : {size_t(8), size_t(20), size_t(40), size_t(200), bytes.size() - 100}) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(length));
        auto file = open(cut);
        ASSERT_FALSE(file) << "a " << length << "-byte prefix loaded";
        std::cout << "  " << length << " bytes: " << file.errorMessage() << "\n";
    }
}

TEST(LitertlmBundle, RejectsUnknownMajorVersion) {
    std::vector<uint8_t> bytes = sampleBundle();
    bytes[8] = 7;
    auto file = open(bytes);
    ASSERT_FALSE(file);
    EXPECT_NE(file.errorMessage().find("format version 7.4.0 is not supported"), std::string::npos)
        << file.errorMessage();
}

TEST(LitertlmBundle, DamagedModelSectionIsReportedNotFatal) {
    std::vector<uint8_t> bytes = sampleBundle();
    auto file = open(bytes);
    ASSERT_TRUE(file);
    uint64_t modelStart = file->bundle->sections[1].offset;
    std::fill(bytes.begin() + static_cast<long>(modelStart), bytes.begin() + static_cast<long>(modelStart) + 64, 0xff);
    auto damaged = open(bytes);
    ASSERT_TRUE(damaged) << damaged.errorMessage();
    const BundleSection& section = damaged->bundle->sections[1];
    EXPECT_FALSE(section.model);
    EXPECT_NE(section.modelError.find("bundle:section 1"), std::string::npos) << section.modelError;
}

std::vector<uint8_t> taskBundle(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& entries) {
    std::filesystem::path path = testing::scratchDir("task") / "bundle.task";
    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    EXPECT_NE(archive, nullptr);
    for (const auto& [name, data] : entries) {
        zip_source_t* source = zip_source_buffer(archive, data.data(), data.size(), 0);
        zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE);
        EXPECT_GE(index, 0);
        zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
    }
    EXPECT_EQ(zip_close(archive), 0);
    return readFileBytes(path);
}

TEST(TaskBundle, ListsEntriesAndInspectsTheModel) {
    std::vector<uint8_t> model = sampleModel();
    std::vector<uint8_t> tokenizer(100, 7), metadata(10, 1);
    auto file = open(taskBundle({{"TF_LITE_PREFILL_DECODE", model}, {"TOKENIZER_MODEL", tokenizer}, {"METADATA", metadata}}));
    ASSERT_TRUE(file) << file.errorMessage();
    EXPECT_EQ(file->kind, FileKind::TaskBundle);
    const Bundle& bundle = *file->bundle;
    ASSERT_EQ(bundle.sections.size(), 3u);
    EXPECT_EQ(bundle.sections[0].name, "TF_LITE_PREFILL_DECODE");
    EXPECT_EQ(bundle.sections[0].type, "TFLiteModel");
    ASSERT_TRUE(bundle.sections[0].model) << bundle.sections[0].modelError;
    EXPECT_EQ(bundle.sections[0].model->signatures[0].key, "serving_default");
    EXPECT_EQ(bundle.sections[1].type, "SP_Tokenizer");
    EXPECT_EQ(bundle.sections[1].size, 100u);
    EXPECT_EQ(bundle.sections[2].type, "LlmMetadataProto");
}

TEST(TaskBundle, TruncatedArchiveIsAClearError) {
    std::vector<uint8_t> bytes = taskBundle({{"TF_LITE_PREFILL_DECODE", sampleModel()}});
    bytes.resize(bytes.size() / 2);
    auto file = open(bytes);
    ASSERT_FALSE(file);
    std::cout << "  " << file.errorMessage() << "\n";
    EXPECT_NE(file.errorMessage().find("zip"), std::string::npos);
}

}  // namespace
}  // namespace litestudio

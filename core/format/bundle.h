#pragma once
// LLM bundles: LiteRT-LM's .litertlm container and MediaPipe's .task zip.
// Both are a list of named sections; TFLite sections are loaded as models.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/graph/model.h"
#include "core/support/status.h"

namespace litestudio {

struct BundleSection {
    std::string name;     // .task: the zip entry name; .litertlm: "section N"
    std::string type;     // "TFLiteModel", "SP_Tokenizer", ... ; for .task, what the entry holds
    uint64_t offset = 0;  // where the section starts in the file (.litertlm only)
    uint64_t size = 0;
    std::vector<std::pair<std::string, std::string>> properties;
    std::shared_ptr<Model> model;  // set when the section is a TFLite model that loaded
    std::string modelError;        // set when it is one that did not
};

struct Bundle {
    std::string format;   // "litertlm" or "task"
    std::string version;  // container version where it has one
    std::vector<std::pair<std::string, std::string>> properties;
    std::vector<BundleSection> sections;
};

bool hasLitertlmMagic(std::span<const uint8_t> bytes);
bool hasZipMagic(std::span<const uint8_t> bytes);

Expected<Bundle> readLitertlmBundle(const std::string& label, std::shared_ptr<const void> storage,
                                    std::span<const uint8_t> bytes);
Expected<Bundle> readTaskBundle(const std::string& label, std::span<const uint8_t> bytes);

}  // namespace litestudio

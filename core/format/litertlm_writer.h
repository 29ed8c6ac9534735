#pragma once
// Writes LiteRT-LM bundles (.litertlm) in the published layout: 32-byte
// fixed header, the metadata flatbuffer, then each section's data starting
// on a 16 KiB boundary.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace litestudio {

// Section types, numbered as the format numbers them.
enum class LitertlmSectionType : uint8_t {
    GenericBinaryData = 1,
    TFLiteModel = 3,
    SentencePieceTokenizer = 4,
    LlmMetadataProto = 5,
    HuggingFaceTokenizerZlib = 6,
    TFLiteWeights = 7,
};

struct LitertlmSection {
    LitertlmSectionType type = LitertlmSectionType::GenericBinaryData;
    std::vector<uint8_t> data;
    std::vector<std::pair<std::string, std::string>> items;  // string-valued properties
};

constexpr uint64_t kLitertlmSectionAlignment = 16 * 1024;

std::vector<uint8_t> writeLitertlmBundle(const std::vector<std::pair<std::string, std::string>>& systemMetadata,
                                         const std::vector<LitertlmSection>& sections);

}  // namespace litestudio

#include <cstring>

#include "core/format/bundle.h"
#include "core/format/tflite_reader.h"
#include "litertlm_header_schema_generated.h"

namespace litestudio {

namespace {

constexpr size_t kFixedHeaderBytes = 32;  // magic, 3 version words, padding, header end
constexpr uint32_t kSupportedMajorVersion = 1;

template <typename T>
T readLittleEndian(std::span<const uint8_t> bytes, size_t at) {
    T value;
    std::memcpy(&value, bytes.data() + at, sizeof(T));
    return value;
}

std::string valueText(const litertlm::KeyValuePair& pair) {
    switch (pair.value_type()) {
    case litertlm::VData_UInt8: return std::to_string(pair.value_as_UInt8()->value());
    case litertlm::VData_Int8: return std::to_string(pair.value_as_Int8()->value());
    case litertlm::VData_UInt16: return std::to_string(pair.value_as_UInt16()->value());
    case litertlm::VData_Int16: return std::to_string(pair.value_as_Int16()->value());
    case litertlm::VData_UInt32: return std::to_string(pair.value_as_UInt32()->value());
    case litertlm::VData_Int32: return std::to_string(pair.value_as_Int32()->value());
    case litertlm::VData_Float32: return std::to_string(pair.value_as_Float32()->value());
    case litertlm::VData_Bool: return pair.value_as_Bool()->value() ? "true" : "false";
    case litertlm::VData_StringValue:
        return pair.value_as_StringValue()->value() ? pair.value_as_StringValue()->value()->str() : "";
    case litertlm::VData_UInt64: return std::to_string(pair.value_as_UInt64()->value());
    case litertlm::VData_Int64: return std::to_string(pair.value_as_Int64()->value());
    case litertlm::VData_Double: return std::to_string(pair.value_as_Double()->value());
    default: return "(unknown value type)";
    }
}

std::vector<std::pair<std::string, std::string>> readPairs(
    const flatbuffers::Vector<flatbuffers::Offset<litertlm::KeyValuePair>>* pairs) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!pairs) return out;
    for (const litertlm::KeyValuePair* pair : *pairs) out.emplace_back(pair->key()->str(), valueText(*pair));
    return out;
}

}  // namespace

bool hasLitertlmMagic(std::span<const uint8_t> bytes) {
    return bytes.size() >= 8 && std::memcmp(bytes.data(), "LITERTLM", 8) == 0;
}

Expected<Bundle> readLitertlmBundle(const std::string& label, std::shared_ptr<const void> storage,
                                    std::span<const uint8_t> bytes) {
    auto fail = [&](const std::string& what) { return Status::error(label + ": " + what); };
    if (!hasLitertlmMagic(bytes)) return fail("not a LiteRT-LM bundle (no LITERTLM magic)");
    if (bytes.size() < kFixedHeaderBytes)
        return fail("LiteRT-LM header is truncated: the file has " + std::to_string(bytes.size()) + " bytes");
    uint32_t major = readLittleEndian<uint32_t>(bytes, 8);
    uint32_t minor = readLittleEndian<uint32_t>(bytes, 12);
    uint32_t patch = readLittleEndian<uint32_t>(bytes, 16);
    uint64_t headerEnd = readLittleEndian<uint64_t>(bytes, 24);
    Bundle bundle;
    bundle.format = "litertlm";
    bundle.version = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    if (major != kSupportedMajorVersion)
        return fail("LiteRT-LM format version " + bundle.version + " is not supported (expected major version " +
                    std::to_string(kSupportedMajorVersion) + ")");
    if (headerEnd < kFixedHeaderBytes || headerEnd > bytes.size())
        return fail("LiteRT-LM header ends at byte " + std::to_string(headerEnd) + ", outside the file (" +
                    std::to_string(bytes.size()) + " bytes); the file is truncated");
    std::span<const uint8_t> header = bytes.subspan(kFixedHeaderBytes, headerEnd - kFixedHeaderBytes);
    flatbuffers::Verifier verifier(header.data(), header.size());
    if (!verifier.VerifyBuffer<litertlm::LiteRTLMMetaData>(nullptr))
        return fail("LiteRT-LM header metadata is corrupt");
    const auto* metadata = flatbuffers::GetRoot<litertlm::LiteRTLMMetaData>(header.data());
    if (metadata->system_metadata()) bundle.properties = readPairs(metadata->system_metadata()->entries());
    if (!metadata->section_metadata()) return fail("LiteRT-LM header lists no sections");
    const auto* objects = metadata->section_metadata()->objects();
    for (uint32_t i = 0; i < objects->size(); ++i) {
        const litertlm::SectionObject* object = objects->Get(i);
        BundleSection section;
        section.name = "section " + std::to_string(i);
        const char* typeName = litertlm::EnumNameAnySectionDataType(object->data_type());
        section.type = typeName && *typeName ? typeName : "type " + std::to_string(object->data_type());
        uint64_t begin = object->begin_offset(), end = object->end_offset();
        if (begin > end || end > bytes.size() || begin < headerEnd)
            return fail(section.name + " (" + section.type + ") spans bytes [" + std::to_string(begin) + ", " +
                        std::to_string(end) + "), outside the file's " + std::to_string(bytes.size()) +
                        " bytes after the header; the file is truncated or corrupt");
        section.offset = begin;
        section.size = end - begin;
        section.properties = readPairs(object->items());
        if (object->data_type() == litertlm::AnySectionDataType_TFLiteModel) {
            // Sections are mapped in place: the model's weights stay in the file mapping.
            auto model = readTfliteModel(label + ":" + section.name, storage, bytes.subspan(begin, end - begin));
            if (model) section.model = std::move(*model);
            else section.modelError = model.errorMessage();
        }
        bundle.sections.push_back(std::move(section));
    }
    return bundle;
}

}  // namespace litestudio

#include "core/format/litertlm_writer.h"

#include <cstring>

#include "litertlm_header_schema_generated.h"

namespace litestudio {

namespace {

constexpr uint32_t kMajorVersion = 1, kMinorVersion = 4, kPatchVersion = 0;
constexpr size_t kFixedHeaderBytes = 32;

uint64_t alignUp(uint64_t value) {
    return (value + kLitertlmSectionAlignment - 1) / kLitertlmSectionAlignment * kLitertlmSectionAlignment;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<litertlm::KeyValuePair>>> writePairs(
    flatbuffers::FlatBufferBuilder& fbb, const Pairs& pairs) {
    std::vector<flatbuffers::Offset<litertlm::KeyValuePair>> out;
    for (const auto& [key, value] : pairs) {
        auto keyOffset = fbb.CreateString(key);
        auto valueText = fbb.CreateString(value);
        auto valueOffset = litertlm::CreateStringValue(fbb, valueText);
        out.push_back(litertlm::CreateKeyValuePair(fbb, keyOffset, litertlm::VData_StringValue, valueOffset.Union()));
    }
    return fbb.CreateVector(out);
}

// Section offsets are fixed-width fields, so the header's size does not
// depend on their values; `begins` may be placeholders on the first pass.
std::vector<uint8_t> writeHeader(const Pairs& systemMetadata, const std::vector<LitertlmSection>& sections,
                                 const std::vector<uint64_t>& begins) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<litertlm::SectionObject>> objects;
    for (size_t i = 0; i < sections.size(); ++i) {
        auto items = writePairs(fbb, sections[i].items);
        objects.push_back(litertlm::CreateSectionObject(fbb, items, begins[i], begins[i] + sections[i].data.size(),
                                                        static_cast<litertlm::AnySectionDataType>(sections[i].type)));
    }
    auto objectVector = fbb.CreateVector(objects);
    auto sectionMetadata = litertlm::CreateSectionMetadata(fbb, objectVector);
    auto systemPairs = writePairs(fbb, systemMetadata);
    auto system = litertlm::CreateSystemMetadata(fbb, systemPairs);
    fbb.Finish(litertlm::CreateLiteRTLMMetaData(fbb, system, sectionMetadata));
    return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

void putLittleEndian(std::vector<uint8_t>& out, size_t at, const void* value, size_t bytes) {
    std::memcpy(out.data() + at, value, bytes);
}

}  // namespace

std::vector<uint8_t> writeLitertlmBundle(const Pairs& systemMetadata, const std::vector<LitertlmSection>& sections) {
    std::vector<uint64_t> begins(sections.size(), 1);
    size_t headerBytes = writeHeader(systemMetadata, sections, begins).size();
    uint64_t next = alignUp(kFixedHeaderBytes + headerBytes);
    for (size_t i = 0; i < sections.size(); ++i) {
        begins[i] = next;
        next = alignUp(next + sections[i].data.size());
    }
    std::vector<uint8_t> header = writeHeader(systemMetadata, sections, begins);

    std::vector<uint8_t> out(kFixedHeaderBytes + header.size(), 0);
    std::memcpy(out.data(), "LITERTLM", 8);
    putLittleEndian(out, 8, &kMajorVersion, 4);
    putLittleEndian(out, 12, &kMinorVersion, 4);
    putLittleEndian(out, 16, &kPatchVersion, 4);
    uint64_t headerEnd = kFixedHeaderBytes + header.size();
    putLittleEndian(out, 24, &headerEnd, 8);
    std::memcpy(out.data() + kFixedHeaderBytes, header.data(), header.size());
    for (size_t i = 0; i < sections.size(); ++i) {
        out.resize(begins[i], 0);
        out.insert(out.end(), sections[i].data.begin(), sections[i].data.end());
    }
    return out;
}

}  // namespace litestudio

#include <cstring>

#include "core/format/bundle.h"
#include "core/format/tflite_reader.h"
#include "core/format/zip_archive.h"

namespace litestudio {

namespace {
// No single entry of a real bundle comes near this; it stops a zip bomb
// from exhausting memory.
constexpr uint64_t kMaxEntryBytes = 8ull << 30;
}  // namespace

bool hasZipMagic(std::span<const uint8_t> bytes) {
    return bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0;
}

Expected<Bundle> readTaskBundle(const std::string& label, std::span<const uint8_t> bytes) {
    auto archive = ZipArchive::open(bytes);
    if (!archive) return archive.status().withContext(label);
    Bundle bundle;
    bundle.format = "task";
    const auto& entries = (*archive)->entries();
    for (size_t i = 0; i < entries.size(); ++i) {
        const ZipEntry& entry = entries[i];
        BundleSection section;
        section.name = entry.name;
        section.size = entry.size;
        section.properties.emplace_back("compression", entry.stored ? "stored" : "deflated");
        section.properties.emplace_back("compressed_bytes", std::to_string(entry.compressedSize));
        // Only models are read whole; other entries are listed by their header.
        auto prefix = (*archive)->readPrefix(i, 8);
        auto data = prefix && hasTfliteIdentifier(*prefix) ? (*archive)->read(i, kMaxEntryBytes) : prefix;
        if (!data) {
            section.type = "unreadable";
            section.modelError = data.errorMessage();
            bundle.sections.push_back(std::move(section));
            continue;
        }
        if (hasTfliteIdentifier(*data)) {
            section.type = "TFLiteModel";
            // libzip gives no way to map an entry in place; the model owns its copy.
            auto owned = std::make_shared<std::vector<uint8_t>>(std::move(*data));
            std::span<const uint8_t> ownedBytes(*owned);
            auto model = readTfliteModel(label + ":" + entry.name, owned, ownedBytes);
            if (model) section.model = std::move(*model);
            else section.modelError = model.errorMessage();
        } else if (entry.name.find("TOKENIZER") != std::string::npos) {
            section.type = "SP_Tokenizer";
        } else if (entry.name.find("METADATA") != std::string::npos) {
            section.type = "LlmMetadataProto";
        } else {
            section.type = "GenericBinaryData";
        }
        bundle.sections.push_back(std::move(section));
    }
    if (bundle.sections.empty()) return Status::error(label + ": the .task archive has no entries");
    return bundle;
}

}  // namespace litestudio

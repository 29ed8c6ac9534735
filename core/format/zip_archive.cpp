#include "core/format/zip_archive.h"

#include <zip.h>

namespace litestudio {

Expected<std::unique_ptr<ZipArchive>> ZipArchive::open(std::span<const uint8_t> bytes) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (!source) {
        std::string message = zip_error_strerror(&error);
        zip_error_fini(&error);
        return Status::error("cannot read zip archive: " + message);
    }
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (!archive) {
        std::string message = zip_error_strerror(&error);
        zip_error_fini(&error);
        zip_source_free(source);
        return Status::error("not a readable zip archive: " + message);
    }
    zip_error_fini(&error);
    std::unique_ptr<ZipArchive> result(new ZipArchive());
    result->archive_ = archive;
    result->archiveBytes_ = bytes.size();
    zip_int64_t count = zip_get_num_entries(archive, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
        zip_stat_t stat;
        zip_stat_init(&stat);
        if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat) != 0)
            return Status::error("zip entry " + std::to_string(i) + " is unreadable");
        ZipEntry entry;
        entry.name = (stat.valid & ZIP_STAT_NAME) && stat.name ? stat.name : "entry " + std::to_string(i);
        entry.size = (stat.valid & ZIP_STAT_SIZE) ? stat.size : 0;
        entry.compressedSize = (stat.valid & ZIP_STAT_COMP_SIZE) ? stat.comp_size : 0;
        entry.stored = (stat.valid & ZIP_STAT_COMP_METHOD) && stat.comp_method == ZIP_CM_STORE;
        result->entries_.push_back(std::move(entry));
    }
    return result;
}

ZipArchive::~ZipArchive() {
    if (archive_) zip_discard(archive_);
}

namespace {
constexpr uint64_t kMaxDeflateRatio = 1032;
}  // namespace

Expected<std::vector<uint8_t>> ZipArchive::read(size_t index, uint64_t maxBytes) const {
    const ZipEntry& entry = entries_.at(index);
    if (entry.size > maxBytes)
        return Status::error("zip entry '" + entry.name + "' is " + std::to_string(entry.size) +
                             " bytes, more than the " + std::to_string(maxBytes) + " allowed");
    uint64_t plausible = entry.stored ? entry.compressedSize : entry.compressedSize * kMaxDeflateRatio + 1024;
    if (entry.compressedSize > archiveBytes_ || entry.size > plausible)
        return Status::error("zip entry '" + entry.name + "' claims " + std::to_string(entry.size) + " bytes from " +
                             std::to_string(entry.compressedSize) + " compressed bytes in a " +
                             std::to_string(archiveBytes_) + "-byte archive; the archive is corrupt");
    return readBytes(index, entry.size);
}

Expected<std::vector<uint8_t>> ZipArchive::readPrefix(size_t index, size_t bytes) const {
    return readBytes(index, std::min<uint64_t>(bytes, entries_.at(index).size));
}

Expected<std::vector<uint8_t>> ZipArchive::readBytes(size_t index, uint64_t count) const {
    const ZipEntry& entry = entries_.at(index);
    zip_file_t* file = zip_fopen_index(archive_, index, 0);
    if (!file) return Status::error("cannot open zip entry '" + entry.name + "': " + zip_strerror(archive_));
    std::vector<uint8_t> data(static_cast<size_t>(count));
    zip_int64_t got = data.empty() ? 0 : zip_fread(file, data.data(), data.size());
    std::string message;
    if (got < 0) message = "is damaged: " + std::string(zip_file_strerror(file));
    else if (static_cast<uint64_t>(got) != count)
        message = "is truncated: " + std::to_string(got) + " of " + std::to_string(count) + " bytes";
    zip_fclose(file);
    if (!message.empty()) return Status::error("zip entry '" + entry.name + "' " + message);
    return data;
}

}  // namespace litestudio

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

Expected<std::vector<uint8_t>> ZipArchive::read(size_t index, uint64_t maxBytes) const {
    const ZipEntry& entry = entries_.at(index);
    if (entry.size > maxBytes)
        return Status::error("zip entry '" + entry.name + "' is " + std::to_string(entry.size) +
                             " bytes, more than the " + std::to_string(maxBytes) + " allowed");
    zip_file_t* file = zip_fopen_index(archive_, index, 0);
    if (!file) return Status::error("cannot open zip entry '" + entry.name + "': " + zip_strerror(archive_));
    std::vector<uint8_t> data(static_cast<size_t>(entry.size));
    zip_int64_t got = data.empty() ? 0 : zip_fread(file, data.data(), data.size());
    bool failed = got < 0 || static_cast<uint64_t>(got) != entry.size;
    std::string message = failed ? std::string(zip_file_strerror(file)) : std::string();
    zip_fclose(file);
    if (failed) return Status::error("zip entry '" + entry.name + "' is damaged: " + message);
    return data;
}

}  // namespace litestudio

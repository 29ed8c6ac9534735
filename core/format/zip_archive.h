#pragma once
// Read-only view of a zip archive held in memory (a .task bundle, or the
// associated files appended to a TFLite model with metadata), through libzip.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/support/status.h"

struct zip;

namespace litestudio {

struct ZipEntry {
    std::string name;
    uint64_t size = 0;
    uint64_t compressedSize = 0;
    bool stored = false;  // kept uncompressed
};

class ZipArchive {
public:
    // The bytes must outlive the archive.
    static Expected<std::unique_ptr<ZipArchive>> open(std::span<const uint8_t> bytes);
    ~ZipArchive();

    const std::vector<ZipEntry>& entries() const { return entries_; }
    // Reads one entry whole, or its first `maxBytes`. Sizes the entry claims
    // are checked against the archive (a stored entry cannot be larger than
    // its compressed bytes, deflate cannot expand more than 1032:1), so a
    // forged header cannot make us allocate gigabytes.
    Expected<std::vector<uint8_t>> read(size_t index, uint64_t maxBytes) const;
    Expected<std::vector<uint8_t>> readPrefix(size_t index, size_t bytes) const;

private:
    ZipArchive() = default;
    Expected<std::vector<uint8_t>> readBytes(size_t index, uint64_t count) const;
    ::zip* archive_ = nullptr;
    uint64_t archiveBytes_ = 0;
    std::vector<ZipEntry> entries_;
};

}  // namespace litestudio

#pragma once
// A read-only memory mapping of a whole file. Model weights are read in place
// from the mapping; nothing is copied.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/support/status.h"

namespace litestudio {

class MappedFile {
public:
    static Expected<std::shared_ptr<const MappedFile>> open(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const uint8_t> bytes() const { return {data_, size_}; }
    const std::string& path() const { return path_; }

private:
    MappedFile(std::string path, const uint8_t* data, size_t size)
        : path_(std::move(path)), data_(data), size_(size) {}
    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace litestudio

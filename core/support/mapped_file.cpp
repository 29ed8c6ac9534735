#include "core/support/mapped_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace litestudio {

Expected<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::error(path + ": cannot open: " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        int err = errno;
        ::close(fd);
        return Status::error(path + ": cannot stat: " + std::strerror(err));
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd);
        return Status::error(path + ": not a regular file");
    }
    size_t size = static_cast<size_t>(info.st_size);
    const uint8_t* data = nullptr;
    if (size > 0) {
        void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (mapping == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            return Status::error(path + ": cannot map into memory: " + std::strerror(err));
        }
        data = static_cast<const uint8_t*>(mapping);
    }
    ::close(fd);  // the mapping stays valid after the descriptor is closed
    return std::shared_ptr<const MappedFile>(new MappedFile(path, data, size));
}

MappedFile::~MappedFile() {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace litestudio

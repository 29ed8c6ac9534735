#include "core/support/atomic_file.h"

#include <cstdio>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace litestudio {

Status writeFileAtomically(const std::string& path, const void* data, size_t size) {
    // A name of its own for each write: two writers of one path (two
    // windows saving one report, tests run in parallel) must not truncate
    // or rename each other's temporary file. The last rename wins whole.
    std::string temporary = path + ".partial-XXXXXX";
    int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
    if (fd < 0) return Status::error(path + ": cannot write (the folder is missing or not writable)");
    ::fchmod(fd, 0644);  // mkstemp makes it private; the file the user keeps is not
    const auto* bytes = static_cast<const char*>(data);
    size_t written = 0;
    while (written < size) {
        ssize_t step = ::write(fd, bytes + written, size - written);
        if (step <= 0) break;
        written += static_cast<size_t>(step);
    }
    // fsync before rename: otherwise a power cut can leave the new name
    // pointing at blocks that were never written.
    bool ok = written == size && ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    if (!ok) {
        std::remove(temporary.c_str());
        return Status::error(path + ": cannot write (disk full or not writable)");
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        std::remove(temporary.c_str());
        return Status::error(path + ": cannot replace the file");
    }
    return Status::ok();
}

}  // namespace litestudio

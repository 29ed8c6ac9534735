#include "core/support/memory_limit.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace litestudio {

size_t physicalMemoryBytes() {
    long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || pageSize <= 0) return SIZE_MAX;
    return static_cast<size_t>(pages) * static_cast<size_t>(pageSize);
}

size_t saturatedBytes(double bytes) { return bytes >= double(SIZE_MAX / 2) ? SIZE_MAX / 2 : static_cast<size_t>(std::max(bytes, 0.0)); }

Status checkFitsInMemory(size_t bytes, const std::string& what) {
    size_t available = physicalMemoryBytes();
    if (bytes <= available) return Status::ok();
    char text[160];
    std::snprintf(text, sizeof text, " needs %.1f GiB, more than this machine's %.1f GiB of memory",
                  static_cast<double>(bytes) / (1u << 30), static_cast<double>(available) / (1u << 30));
    return Status::error(what + text);
}

}  // namespace litestudio

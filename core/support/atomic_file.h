#pragma once
// Files the user keeps (outputs, reports, settings) are written to a
// temporary name beside the target and renamed over it: a crash or a full
// disk leaves the old file or none, never a truncated one.

#include <cstddef>
#include <string>

#include "core/support/status.h"

namespace litestudio {

Status writeFileAtomically(const std::string& path, const void* data, size_t size);
inline Status writeFileAtomically(const std::string& path, const std::string& text) {
    return writeFileAtomically(path, text.data(), text.size());
}

}  // namespace litestudio

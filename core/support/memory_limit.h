#pragma once
// A hostile or mistaken model can ask for terabytes of activations. Asking
// the allocator would either fail late or, worse, succeed and get the
// process killed while the memory is touched; this refuses up front.

#include <cstddef>
#include <string>

#include "core/support/status.h"

namespace litestudio {

// Physical memory of this machine, in bytes.
size_t physicalMemoryBytes();
// An error naming `what` when `bytes` exceeds physical memory.
Status checkFitsInMemory(size_t bytes, const std::string& what);
// A size worked out in a double (where a hostile shape cannot overflow) as
// bytes for checkFitsInMemory: from SIZE_MAX / 2 on, more than any machine
// holds.
size_t saturatedBytes(double bytes);

}  // namespace litestudio

#pragma once
// Short copies for the data-movement kernels.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace litestudio::reference {

// memcpy for the short runs the data-movement kernels copy pixel by pixel.
// The library's memcpy, its size known only at run time, costs a call and
// a dispatch a run; runs of up to 64 bytes go as inlined 16- or 4-byte
// moves instead: SPACE_TO_BATCH_ND of 128x128x8 floats (32-byte pixels)
// 0.099 -> 0.060 ms, SPACE_TO_DEPTH of 224x224x8 (64-byte block rows)
// 0.13 -> 0.09-0.12. Longer runs stay with the library, whose 512-bit
// moves beat 16-byte ones there (BATCH_TO_SPACE_ND of 64 channels 0.050
// ms in 16-byte moves, 0.028-0.035 by memcpy).
inline void copyBytes(uint8_t* to, const uint8_t* from, size_t bytes) {
    if (bytes <= 64 && bytes % 16 == 0) {
        for (size_t i = 0; i < bytes; i += 16) std::memcpy(to + i, from + i, 16);
    } else if (bytes <= 64 && bytes % 4 == 0) {
        for (size_t i = 0; i < bytes; i += 4) std::memcpy(to + i, from + i, 4);
    } else {
        std::memcpy(to, from, bytes);
    }
}

}  // namespace litestudio::reference

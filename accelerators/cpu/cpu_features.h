#pragma once
// What the CPU we run on can do, asked once. Our own kernels are compiled
// per function with target attributes and chosen by these at run time.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace litestudio::cpu {

// LITESTUDIO_NO_AVX512=1 sets our AVX-512 kernels aside, as on a CPU without
// it: ops then go where they would there (XNNPACK, which still picks its own
// microkernels, or the reference). Tests and fuzzing reach those paths with
// it on a machine that has AVX-512, and a user can see what they cost.
inline bool avx512SetAside() {
    const char* value = std::getenv("LITESTUDIO_NO_AVX512");
    return value && *value && std::strcmp(value, "0") != 0;
}

// AVX-512 F + BW + VL: the base of every AVX-512 kernel here.
inline bool cpuHasAvx512() {
    static const bool available = !avx512SetAside() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                  __builtin_cpu_supports("avx512vl");
    return available;
}

// AVX-512 with VNNI (vpdpbusd: 64 byte products an instruction).
inline bool cpuHasAvx512Vnni() {
    static const bool available = cpuHasAvx512() && __builtin_cpu_supports("avx512vnni");
    return available;
}

// AVX-512 with VBMI (permutex2var_epi8: a 128-byte table looked up 64 bytes at a time).
inline bool cpuHasAvx512Vbmi() {
    static const bool available = cpuHasAvx512() && __builtin_cpu_supports("avx512vbmi");
    return available;
}

// Bytes of one core's L1 data cache, which sizes the blocks a kernel keeps
// there: 32 KiB on AMD Zen 4, 48 KiB on Zen 5 and recent Intel cores.
// LITESTUDIO_L1D_BYTES stands in for it, so that tests reach the blockings
// of other sizes; 32 KiB where neither says.
inline int64_t level1DataCacheBytes() {
    static const int64_t bytes = [] {
        if (const char* value = std::getenv("LITESTUDIO_L1D_BYTES"); value && std::atol(value) > 0) return int64_t(std::atol(value));
        const long reported = sysconf(_SC_LEVEL1_DCACHE_SIZE);
        return reported > 0 ? int64_t(reported) : int64_t(32 * 1024);
    }();
    return bytes;
}

}  // namespace litestudio::cpu

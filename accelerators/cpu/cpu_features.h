#pragma once
// What the CPU we run on can do, asked once. Our own kernels are compiled
// per function with target attributes and chosen by these at run time.

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

}  // namespace litestudio::cpu

#pragma once
// What a benchmark ran on, stored with every result so runs from different
// machines and days are compared knowingly.

#include <cstdint>
#include <string>

namespace litestudio {

struct MachineInfo {
    std::string cpu;     // model name, e.g. "AMD EPYC 7B13"
    int cores = 0;       // logical CPUs this process may use
    std::string os;      // e.g. "Debian GNU/Linux 12 (bookworm)"
    std::string kernel;  // e.g. "Linux 6.1.0-18-amd64 x86_64"
};

MachineInfo currentMachine();

// The most resident memory this process has held so far, in bytes.
uint64_t peakResidentBytes();

}  // namespace litestudio

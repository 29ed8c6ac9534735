#include "core/bench/machine_info.h"

#include <fstream>
#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <thread>

namespace litestudio {

namespace {

std::string valueAfterColon(const std::string& line) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) return {};
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? std::string() : line.substr(start);
}

std::string unquote(std::string text) {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
    return text;
}

}  // namespace

MachineInfo currentMachine() {
    MachineInfo info;
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0) {
            info.cpu = valueAfterColon(line);
            break;
        }
    if (info.cpu.empty()) info.cpu = "unknown CPU";
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) info.cores = CPU_COUNT(&set);
    if (info.cores <= 0) info.cores = static_cast<int>(std::thread::hardware_concurrency());
    std::ifstream release("/etc/os-release");
    for (std::string line; std::getline(release, line);)
        if (line.rfind("PRETTY_NAME=", 0) == 0) info.os = unquote(line.substr(12));
    struct utsname name {};
    if (uname(&name) == 0) {
        info.kernel = std::string(name.sysname) + " " + name.release + " " + name.machine;
        if (info.os.empty()) info.os = name.sysname;
    }
    return info;
}

uint64_t peakResidentBytes() {
    struct rusage usage {};
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
    return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace litestudio

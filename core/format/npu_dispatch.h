#pragma once
// Models precompiled for an NPU replace partitions of the graph with
// DISPATCH_OP custom ops whose bytecode is stored after the flatbuffer; a
// "LiteRtStamp" metadata entry records the SoC vendor and model it targets.

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph/model.h"

namespace litestudio {

struct NpuTarget {
    std::string vendor;  // "Qualcomm", "MediaTek", "GoogleTensor"
    std::string soc;     // "SM8750", "mt6989", "P25"
};

struct DispatchOpInfo {
    int subgraph = 0;
    int op = 0;
    std::string name;          // the partition's function name, if recorded
    uint64_t bytecodeOffset = 0;
    uint64_t bytecodeSize = 0;
    bool bytecodeInFile = false;  // the recorded range lies inside the file
    std::string problem;          // set when the options cannot be read
};

constexpr const char* kDispatchOpName = "DISPATCH_OP";

// Empty vendor and soc when the file records no target.
NpuTarget readNpuTarget(const Model& model);
std::vector<DispatchOpInfo> findDispatchOps(const Model& model);

}  // namespace litestudio

#include "core/format/npu_dispatch.h"

#include <algorithm>
#include <string_view>

#include "core/format/flexbuffer_numbers.h"
#include "flatbuffers/flexbuffers.h"

namespace litestudio {

namespace {

// The stamp is two fixed-width, NUL-padded fields.
constexpr size_t kStampFieldBytes = 125;

std::string fixedField(std::span<const uint8_t> data, size_t offset) {
    if (data.size() <= offset) return {};
    auto field = data.subspan(offset, std::min(kStampFieldBytes, data.size() - offset));
    std::string value(field.begin(), field.end());
    value.erase(std::find(value.begin(), value.end(), '\0'), value.end());
    return value;
}

void checkBytecodeRange(const Model& model, DispatchOpInfo& info) {
    uint64_t fileSize = model.bytes().size();
    info.bytecodeInFile = info.bytecodeSize > 0 && info.bytecodeOffset <= fileSize &&
                          info.bytecodeSize <= fileSize - info.bytecodeOffset;
}

// Decimal digits starting at `at`, skipping leading NULs; advances `at`.
uint64_t readDecimalField(std::span<const uint8_t> data, size_t& at) {
    while (at < data.size() && data[at] == 0) ++at;
    uint64_t value = 0;
    for (int digits = 0; at < data.size() && data[at] >= '0' && data[at] <= '9' && digits < 19; ++at, ++digits)
        value = value * 10 + (data[at] - '0');
    return value;
}

// The first LiteRT dispatch format: two fixed fields (function name, then
// the name of a metadata entry) instead of a flexbuffer; the entry holds
// "<npu_byte_code>" followed by the bytecode's offset and size in decimal.
bool readLegacyDispatchOptions(const Model& model, std::span<const uint8_t> options, DispatchOpInfo& info) {
    constexpr std::string_view kTag = "<npu_byte_code>";
    if (options.size() != 2 * kStampFieldBytes) return false;
    info.name = fixedField(options, 0);
    const MetadataEntry* entry = model.findMetadata(fixedField(options, kStampFieldBytes));
    if (!entry || entry->data.size() < kTag.size() ||
        std::string_view(reinterpret_cast<const char*>(entry->data.data()), kTag.size()) != kTag)
        return false;
    size_t at = kTag.size();
    info.bytecodeOffset = readDecimalField(entry->data, at);
    info.bytecodeSize = readDecimalField(entry->data, at);
    checkBytecodeRange(model, info);
    return true;
}

void readDispatchOptions(const Model& model, std::span<const uint8_t> options, DispatchOpInfo& info) {
    if (options.empty()) {
        info.problem = "no custom options";
        return;
    }
    if (!flexbuffers::VerifyBuffer(options.data(), options.size())) {
        if (!readLegacyDispatchOptions(model, options, info))
            info.problem = "custom options are neither a flexbuffer nor the legacy fixed-field layout";
        return;
    }
    flexbuffers::Reference root = flexbuffers::GetRoot(options.data(), options.size());
    if (!root.IsMap()) {
        info.problem = "custom options are not a flexbuffer map";
        return;
    }
    flexbuffers::Map map = root.AsMap();
    info.name = map["name"].AsString().str();
    // Out of range: past any file, which checkBytecodeRange refuses.
    info.bytecodeOffset = flexbufferUInt64(map["bytecode_offset"], UINT64_MAX);
    info.bytecodeSize = flexbufferUInt64(map["bytecode_size"], UINT64_MAX);
    checkBytecodeRange(model, info);
}

}  // namespace

NpuTarget readNpuTarget(const Model& model) {
    NpuTarget target;
    if (const MetadataEntry* stamp = model.findMetadata("LiteRtStamp")) {
        target.vendor = fixedField(stamp->data, 0);
        target.soc = fixedField(stamp->data, kStampFieldBytes);
    }
    return target;
}

std::vector<DispatchOpInfo> findDispatchOps(const Model& model) {
    std::vector<DispatchOpInfo> found;
    for (size_t s = 0; s < model.subgraphs.size(); ++s) {
        const Subgraph& subgraph = model.subgraphs[s];
        for (size_t o = 0; o < subgraph.ops.size(); ++o) {
            const Op& op = subgraph.ops[o];
            const OpCode& code = model.opCode(op);
            if (!code.isCustom() || code.customName != kDispatchOpName) continue;
            DispatchOpInfo info;
            info.subgraph = static_cast<int>(s);
            info.op = static_cast<int>(o);
            readDispatchOptions(model, op.customOptions, info);
            found.push_back(std::move(info));
        }
    }
    return found;
}

}  // namespace litestudio

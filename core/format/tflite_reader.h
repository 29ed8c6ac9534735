#pragma once
// Reads a TFLite flatbuffer into the graph IR: flatbuffers verification first
// (every offset inside the file), then conversion, then the semantic checks
// of ModelValidator. Never trusts the file: every failure is a Status that
// names what is wrong.

#include <memory>
#include <span>
#include <string>

#include "core/graph/model.h"
#include "core/support/status.h"

namespace litestudio {

// True when the bytes carry the "TFL3" file identifier.
bool hasTfliteIdentifier(std::span<const uint8_t> bytes);

// `label` names the model in messages (a path, or "bundle.task:TF_LITE_PREFILL_DECODE").
// `storage` keeps `bytes` alive for as long as the model lives.
Expected<std::shared_ptr<Model>> readTfliteModel(const std::string& label, std::shared_ptr<const void> storage,
                                                 std::span<const uint8_t> bytes);

}  // namespace litestudio

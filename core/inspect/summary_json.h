#pragma once
// The machine-readable form of `inspect` (litestudio-cli inspect --json).
// The format is versioned by "format_version"; fields are only ever added.

#include <nlohmann/json.hpp>

#include "core/inspect/model_summary.h"

namespace litestudio {

constexpr int kInspectJsonVersion = 1;

nlohmann::json modelSummaryToJson(const ModelSummary& summary);
nlohmann::json fileSummaryToJson(const FileSummary& summary);

}  // namespace litestudio

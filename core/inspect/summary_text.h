#pragma once
// The terminal form of `inspect`: aligned sections a person reads top-down.

#include <string>

#include "core/inspect/model_summary.h"

namespace litestudio {

std::string fileSummaryToText(const FileSummary& summary);
std::string formatBytes(uint64_t bytes);  // "1.2 MiB"
std::string formatCount(uint64_t count);  // "3.5M", "812"

}  // namespace litestudio

#pragma once
// The benchmark result as JSON, format_version 1 (README documents every
// field). The CLI's --json, the GUI's history and its exported reports all
// use it; `benchmarkReportFromJson` reads it back.

#include <nlohmann/json.hpp>

#include "core/bench/benchmark.h"

namespace litestudio {

constexpr int kBenchJsonFormatVersion = 1;

nlohmann::json benchmarkReportToJson(const BenchmarkReport& report);
Expected<BenchmarkReport> benchmarkReportFromJson(const nlohmann::json& json);

}  // namespace litestudio

#include "core/bench/bench_json.h"

namespace litestudio {

namespace {

nlohmann::json statisticsJson(const LatencyStatistics& s) {
    return {{"runs", s.runs},     {"avg_ms", s.averageMs}, {"std_ms", s.deviationMs}, {"min_ms", s.minMs},
            {"max_ms", s.maxMs},  {"p50_ms", s.p50Ms},     {"p90_ms", s.p90Ms},       {"p99_ms", s.p99Ms}};
}

LatencyStatistics statisticsFrom(const nlohmann::json& j) {
    LatencyStatistics s;
    s.runs = j.value("runs", 0);
    s.averageMs = j.value("avg_ms", 0.0);
    s.deviationMs = j.value("std_ms", 0.0);
    s.minMs = j.value("min_ms", 0.0);
    s.maxMs = j.value("max_ms", 0.0);
    s.p50Ms = j.value("p50_ms", 0.0);
    s.p90Ms = j.value("p90_ms", 0.0);
    s.p99Ms = j.value("p99_ms", 0.0);
    return s;
}

}  // namespace

nlohmann::json benchmarkReportToJson(const BenchmarkReport& r) {
    nlohmann::json ops = nlohmann::json::array();
    for (const OpTiming& op : r.ops)
        ops.push_back({{"index", op.index}, {"type", op.type}, {"name", op.name}, {"accelerator", op.accelerator},
                       {"avg_ms", op.averageMs}, {"share", op.share}, {"cumulative_share", op.cumulativeShare}});
    nlohmann::json types = nlohmann::json::array();
    for (const OpTypeTiming& type : r.opTypes)
        types.push_back({{"type", type.type}, {"count", type.count}, {"avg_ms", type.averageMs}, {"share", type.share}});
    return {
        {"format_version", kBenchJsonFormatVersion},
        {"kind", "litestudio.bench"},
        {"app", {{"name", "LiteStudio"}, {"version", r.appVersion}}},
        {"machine", {{"cpu", r.machine.cpu}, {"cores", r.machine.cores}, {"os", r.machine.os}, {"kernel", r.machine.kernel}}},
        {"model", {{"path", r.modelPath}, {"file_bytes", r.modelBytes}, {"signature", r.signature}}},
        {"config",
         {{"accelerator", r.accelerator},
          {"threads", r.threads},
          {"runs", r.runsRequested},
          {"min_seconds", r.minSeconds},
          {"warmup_runs", r.warmupRunsRequested},
          {"op_profile", r.opProfile}}},
        {"load_ms", r.loadMs},
        {"init_ms", r.initMs},
        {"first_run_ms", r.firstRunMs},
        {"warmup", statisticsJson(r.warmup)},
        {"steady_state", statisticsJson(r.steady)},
        {"latencies_ms", r.steadyLatenciesMs},
        {"peak_rss_bytes", r.peakResidentBytes},
        {"arena_bytes", r.arenaBytes},
        {"arena_lower_bound_bytes", r.arenaLowerBoundBytes},
        {"cancelled", r.cancelled},
        {"ops", ops},
        {"op_types", types},
    };
}

Expected<BenchmarkReport> benchmarkReportFromJson(const nlohmann::json& j) {
    if (!j.is_object() || j.value("kind", "") != "litestudio.bench")
        return Status::error("not a LiteStudio benchmark result (kind 'litestudio.bench' missing)");
    int version = j.value("format_version", 0);
    if (version != kBenchJsonFormatVersion)
        return Status::error("benchmark result format_version " + std::to_string(version) + " is not supported (this build reads " +
                             std::to_string(kBenchJsonFormatVersion) + ")");
    try {
        BenchmarkReport r;
        r.appVersion = j.at("app").value("version", "");
        const auto& machine = j.at("machine");
        r.machine = {machine.value("cpu", ""), machine.value("cores", 0), machine.value("os", ""), machine.value("kernel", "")};
        const auto& model = j.at("model");
        r.modelPath = model.value("path", "");
        r.modelBytes = model.value("file_bytes", uint64_t{0});
        r.signature = model.value("signature", "");
        const auto& config = j.at("config");
        r.accelerator = config.value("accelerator", "");
        r.threads = config.value("threads", 1);
        r.runsRequested = config.value("runs", 0);
        r.minSeconds = config.value("min_seconds", 0.0);
        r.warmupRunsRequested = config.value("warmup_runs", 0);
        r.opProfile = config.value("op_profile", false);
        r.loadMs = j.value("load_ms", 0.0);
        r.initMs = j.value("init_ms", 0.0);
        r.firstRunMs = j.value("first_run_ms", 0.0);
        r.warmup = statisticsFrom(j.at("warmup"));
        r.steady = statisticsFrom(j.at("steady_state"));
        r.steadyLatenciesMs = j.value("latencies_ms", std::vector<double>{});
        r.peakResidentBytes = j.value("peak_rss_bytes", uint64_t{0});
        r.arenaBytes = j.value("arena_bytes", uint64_t{0});
        r.arenaLowerBoundBytes = j.value("arena_lower_bound_bytes", uint64_t{0});
        r.cancelled = j.value("cancelled", false);
        for (const auto& op : j.value("ops", nlohmann::json::array()))
            r.ops.push_back({op.value("index", 0), op.value("type", ""), op.value("name", ""), op.value("accelerator", ""),
                             op.value("avg_ms", 0.0), op.value("share", 0.0), op.value("cumulative_share", 0.0)});
        for (const auto& type : j.value("op_types", nlohmann::json::array()))
            r.opTypes.push_back({type.value("type", ""), type.value("count", 0), type.value("avg_ms", 0.0), type.value("share", 0.0)});
        return r;
    } catch (const nlohmann::json::exception& error) {
        return Status::error(std::string("benchmark result is malformed: ") + error.what());
    }
}

}  // namespace litestudio

#include "core/bench/bench_report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "core/bench/bench_json.h"
#include "core/bench/svg_charts.h"
#include "core/support/atomic_file.h"

namespace litestudio {

namespace {

constexpr size_t kTopOps = 15;

std::string fixed(double value, int digits = 3) {
    char text[48];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return text;
}

std::string mebibytes(uint64_t bytes) { return fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 2) + " MiB"; }

double ratio(const ReportRun& run, const ReportRun& baseline) {
    double base = baseline.report.steady.averageMs;
    return base > 0 ? run.report.steady.averageMs / base : 0;
}

std::string modelName(const BenchmarkReport& report) { return std::filesystem::path(report.modelPath).filename().string(); }

std::string today() {
    std::time_t now = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    return text;
}

// The summary columns every format shares.
const std::vector<std::string> kColumns = {"run", "model", "accelerator", "threads", "runs", "init ms", "first ms",
                                           "avg ms", "std ms", "min ms", "max ms", "p50 ms", "p90 ms", "p99 ms",
                                           "peak RSS", "arena", "vs baseline"};

std::vector<std::string> summaryCells(const ReportRun& run, const ReportRun& baseline, bool rawBytes) {
    const BenchmarkReport& r = run.report;
    const LatencyStatistics& s = r.steady;
    return {run.name, modelName(r), r.accelerator, std::to_string(r.threads), std::to_string(s.runs), fixed(r.initMs),
            fixed(r.firstRunMs), fixed(s.averageMs), fixed(s.deviationMs), fixed(s.minMs), fixed(s.maxMs),
            fixed(s.p50Ms), fixed(s.p90Ms), fixed(s.p99Ms),
            rawBytes ? std::to_string(r.peakResidentBytes) : mebibytes(r.peakResidentBytes),
            rawBytes ? std::to_string(r.arenaBytes) : mebibytes(r.arenaBytes), fixed(ratio(run, baseline), 3) + (rawBytes ? "" : "x")};
}

std::string csvField(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::vector<std::vector<std::string>> parseCsvRecords(const std::string& text) {
    std::vector<std::vector<std::string>> records(1);
    std::string field;
    bool quoted = false, fieldStarted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
            else if (c == '"') quoted = false;
            else field += c;
        } else if (c == '"' && field.empty()) {
            quoted = fieldStarted = true;
        } else if (c == ',') {
            records.back().push_back(field), field.clear(), fieldStarted = false;
        } else if (c == '\n') {
            records.back().push_back(field), field.clear(), fieldStarted = false;
            records.emplace_back();
        } else if (c != '\r') {
            field += c, fieldStarted = true;
        }
    }
    if (fieldStarted || !field.empty()) records.back().push_back(field);
    if (records.back().empty()) records.pop_back();
    return records;
}

}  // namespace

std::optional<ReportFormat> reportFormatForPath(const std::string& path) {
    std::string extension = std::filesystem::path(path).extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
    if (extension == ".html" || extension == ".htm") return ReportFormat::Html;
    if (extension == ".md") return ReportFormat::Markdown;
    if (extension == ".csv") return ReportFormat::Csv;
    if (extension == ".json") return ReportFormat::Json;
    if (extension == ".pdf") return ReportFormat::Pdf;
    return std::nullopt;
}

std::string defaultRunName(const BenchmarkReport& report) {
    std::string model = std::filesystem::path(report.modelPath).stem().string();
    return model + " · " + report.accelerator + " · " + std::to_string(report.threads) +
           (report.threads == 1 ? " thread" : " threads");
}

std::string reportHtml(const std::vector<ReportRun>& runs, size_t baseline, HtmlLayout layout) {
    std::ostringstream html;
    html << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>LiteStudio benchmark report</title>\n"
            "<style>body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px;color:#1e1e1e}"
            "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
            "td:first-child,th:first-child{text-align:left}th{background:#f0f0f0}.dim{color:#777}</style></head><body>\n";
    html << "<h1>Benchmark report</h1>\n";
    if (runs.empty()) return html.str() + "<p>No runs.</p></body></html>\n";
    const ReportRun& base = runs[std::min(baseline, runs.size() - 1)];
    const BenchmarkReport& first = runs.front().report;
    html << "<p class=\"dim\">" << xmlEscaped(today()) << " · LiteStudio " << xmlEscaped(first.appVersion) << " · "
         << xmlEscaped(first.machine.cpu) << ", " << first.machine.cores << " cores · " << xmlEscaped(first.machine.os)
         << "</p>\n";
    html << "<h2>Summary</h2>\n<p>Ratios are to <b>" << xmlEscaped(base.name) << "</b>.</p>\n<table>";
    if (layout == HtmlLayout::Wide) {
        html << "<tr>";
        for (const std::string& column : kColumns) html << "<th>" << xmlEscaped(column) << "</th>";
        html << "</tr>\n";
        for (const ReportRun& run : runs) {
            html << "<tr>";
            for (const std::string& cell : summaryCells(run, base, false)) html << "<td>" << xmlEscaped(cell) << "</td>";
            html << "</tr>\n";
        }
    } else {
        std::vector<std::vector<std::string>> cells;
        for (const ReportRun& run : runs) cells.push_back(summaryCells(run, base, false));
        for (size_t c = 0; c < kColumns.size(); ++c) {
            html << "<tr><th>" << xmlEscaped(kColumns[c]) << "</th>";
            for (const auto& runCells : cells) html << "<td>" << xmlEscaped(runCells[c]) << "</td>";
            html << "</tr>\n";
        }
    }
    html << "</table>\n";
    if (runs.size() > 1) {
        std::vector<std::string> labels;
        std::vector<double> averages;
        for (const ReportRun& run : runs) labels.push_back(run.name), averages.push_back(run.report.steady.averageMs);
        html << barChartSvg("Average latency", labels, averages, "ms");
        std::vector<ChartSeries> series;
        for (const ReportRun& run : runs) series.push_back({run.name, run.report.steadyLatenciesMs});
        html << lineChartSvg("Latency per run", series);
    }
    for (const ReportRun& run : runs) {
        const BenchmarkReport& r = run.report;
        html << "<h2>" << xmlEscaped(run.name) << "</h2>\n<p class=\"dim\">" << xmlEscaped(r.modelPath) << " · "
             << xmlEscaped(r.signature) << (r.cancelled ? " · cancelled" : "") << "</p>\n";
        html << "<p>load " << fixed(r.loadMs) << " ms · init " << fixed(r.initMs) << " ms · first run " << fixed(r.firstRunMs)
             << " ms · warm-up " << r.warmup.runs << " runs, avg " << fixed(r.warmup.averageMs) << " ms · peak RSS "
             << mebibytes(r.peakResidentBytes) << " · arena " << mebibytes(r.arenaBytes) << "</p>\n";
        html << lineChartSvg("Latency per run", {{run.name, r.steadyLatenciesMs}});
        html << histogramSvg("Latency distribution", r.steadyLatenciesMs);
        if (!r.ops.empty()) {
            std::vector<OpTiming> slowest = r.ops;
            std::stable_sort(slowest.begin(), slowest.end(), [](const OpTiming& a, const OpTiming& b) { return a.averageMs > b.averageMs; });
            if (slowest.size() > kTopOps) slowest.resize(kTopOps);
            std::vector<std::string> labels;
            std::vector<double> times;
            for (const OpTiming& op : slowest) {
                std::string label = "#";  // built by appending: see shapeToString's note on GCC 12
                label += std::to_string(op.index);
                label += ' ';
                label += op.type;
                labels.push_back(std::move(label));
                times.push_back(op.averageMs);
            }
            html << barChartSvg("Slowest ops", labels, times, "ms");
            html << "<table><tr><th>op type</th><th>count</th><th>avg ms</th><th>share</th></tr>\n";
            for (const OpTypeTiming& type : r.opTypes)
                html << "<tr><td>" << xmlEscaped(type.type) << "</td><td>" << type.count << "</td><td>" << fixed(type.averageMs)
                     << "</td><td>" << fixed(100 * type.share, 1) << " %</td></tr>\n";
            html << "</table>\n";
        }
    }
    html << "</body></html>\n";
    return html.str();
}

std::string reportMarkdown(const std::vector<ReportRun>& runs, size_t baseline) {
    std::ostringstream md;
    md << "# Benchmark report\n\n";
    if (runs.empty()) return md.str() + "No runs.\n";
    const ReportRun& base = runs[std::min(baseline, runs.size() - 1)];
    const BenchmarkReport& first = runs.front().report;
    md << today() << " · LiteStudio " << first.appVersion << " · " << first.machine.cpu << ", " << first.machine.cores
       << " cores · " << first.machine.os << "\n\nRatios are to **" << base.name << "**.\n\n|";
    for (const std::string& column : kColumns) md << " " << column << " |";
    md << "\n|";
    for (size_t i = 0; i < kColumns.size(); ++i) md << (i < 3 ? "---|" : "---:|");
    md << "\n";
    for (const ReportRun& run : runs) {
        md << "|";
        for (std::string cell : summaryCells(run, base, false)) {
            std::replace(cell.begin(), cell.end(), '|', '/');
            md << " " << cell << " |";
        }
        md << "\n";
    }
    for (const ReportRun& run : runs) {
        if (run.report.opTypes.empty()) continue;
        md << "\n## " << run.name << ": time by op type\n\n| op type | count | avg ms | share |\n|---|---:|---:|---:|\n";
        for (const OpTypeTiming& type : run.report.opTypes)
            md << "| " << type.type << " | " << type.count << " | " << fixed(type.averageMs) << " | " << fixed(100 * type.share, 1)
               << " % |\n";
    }
    return md.str();
}

std::string reportCsv(const std::vector<ReportRun>& runs, size_t baseline) {
    std::string csv;
    const auto appendField = [&csv](size_t i, const std::string& field) {
        if (i) csv += ',';
        csv += csvField(field);
    };
    for (size_t i = 0; i < kColumns.size(); ++i) appendField(i, kColumns[i]);
    csv += "\n";
    if (runs.empty()) return csv;
    const ReportRun& base = runs[std::min(baseline, runs.size() - 1)];
    for (const ReportRun& run : runs) {
        auto cells = summaryCells(run, base, true);
        for (size_t i = 0; i < cells.size(); ++i) appendField(i, cells[i]);
        csv += "\n";
    }
    return csv;
}

Expected<std::vector<CsvRow>> parseReportCsv(const std::string& text) {
    auto records = parseCsvRecords(text);
    if (records.empty() || records.front() != kColumns) return Status::error("CSV report: the header is not LiteStudio's");
    std::vector<CsvRow> rows;
    for (size_t i = 1; i < records.size(); ++i) {
        const auto& f = records[i];
        if (f.size() != kColumns.size())
            return Status::error("CSV report: row " + std::to_string(i) + " has " + std::to_string(f.size()) + " fields, expected " +
                                 std::to_string(kColumns.size()));
        try {
            CsvRow row;
            row.name = f[0], row.model = f[1], row.accelerator = f[2];
            row.threads = std::stoi(f[3]), row.runs = std::stoi(f[4]);
            row.initMs = std::stod(f[5]), row.firstRunMs = std::stod(f[6]), row.averageMs = std::stod(f[7]);
            row.deviationMs = std::stod(f[8]), row.minMs = std::stod(f[9]), row.maxMs = std::stod(f[10]);
            row.p50Ms = std::stod(f[11]), row.p90Ms = std::stod(f[12]), row.p99Ms = std::stod(f[13]);
            row.peakResidentBytes = std::stoull(f[14]), row.arenaBytes = std::stoull(f[15]);
            row.ratioToBaseline = std::stod(f[16]);
            rows.push_back(std::move(row));
        } catch (const std::exception&) {
            return Status::error("CSV report: row " + std::to_string(i) + " has a field that is not a number");
        }
    }
    return rows;
}

std::string reportJson(const std::vector<ReportRun>& runs) {
    if (runs.size() == 1) return benchmarkReportToJson(runs.front().report).dump(2) + "\n";
    nlohmann::json all = {{"format_version", kBenchJsonFormatVersion}, {"runs", nlohmann::json::array()}};
    for (const ReportRun& run : runs) all["runs"].push_back({{"name", run.name}, {"result", benchmarkReportToJson(run.report)}});
    return all.dump(2) + "\n";
}

Expected<std::vector<ReportRun>> parseReportJson(const std::string& text) {
    nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return Status::error("JSON report: not a JSON object");
    std::vector<ReportRun> runs;
    if (!json.contains("runs")) {
        auto report = benchmarkReportFromJson(json);
        if (!report) return report.status();
        runs.push_back({defaultRunName(*report), *report});
        return runs;
    }
    for (const auto& entry : json["runs"]) {
        if (!entry.is_object() || !entry.contains("result")) return Status::error("JSON report: a run without \"result\"");
        auto report = benchmarkReportFromJson(entry["result"]);
        if (!report) return report.status();
        runs.push_back({entry.value("name", defaultRunName(*report)), *report});
    }
    return runs;
}

Status writeTextReport(const std::string& path, const std::vector<ReportRun>& runs, size_t baseline) {
    auto format = reportFormatForPath(path);
    if (!format) return Status::error(path + ": unknown report format (use .html, .md, .csv, .json or .pdf)");
    switch (*format) {
    case ReportFormat::Html: return writeFileAtomically(path, reportHtml(runs, baseline));
    case ReportFormat::Markdown: return writeFileAtomically(path, reportMarkdown(runs, baseline));
    case ReportFormat::Csv: return writeFileAtomically(path, reportCsv(runs, baseline));
    case ReportFormat::Json: return writeFileAtomically(path, reportJson(runs));
    case ReportFormat::Pdf: return Status::error(path + ": PDF reports are drawn by Qt (ui/reports)");
    }
    return Status::error(path + ": unknown report format");
}

}  // namespace litestudio

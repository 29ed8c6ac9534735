#pragma once
// Reports of one or more benchmark runs, compared against a baseline run:
// self-contained HTML (charts inline as SVG), Markdown, CSV and JSON. The
// CLI's --report and the studio's export write the same files; PDF is
// drawn from the HTML by Qt (ui/reports/pdf_report.h).

#include <optional>
#include <string>
#include <vector>

#include "core/bench/benchmark.h"
#include "core/support/status.h"

namespace litestudio {

enum class ReportFormat { Html, Markdown, Csv, Json, Pdf };

// By the file's extension: .html/.htm, .md, .csv, .json, .pdf.
std::optional<ReportFormat> reportFormatForPath(const std::string& path);

struct ReportRun {
    std::string name;  // "mobilenet_v2 · cpu · 1 thread", or what the user renamed it to
    BenchmarkReport report;
};

// The name a run gets before anyone renames it.
std::string defaultRunName(const BenchmarkReport& report);

enum class HtmlLayout { Wide, Narrow };  // Narrow: the summary with runs as columns, for A4 pages
std::string reportHtml(const std::vector<ReportRun>& runs, size_t baseline = 0, HtmlLayout layout = HtmlLayout::Wide);
std::string reportMarkdown(const std::vector<ReportRun>& runs, size_t baseline = 0);
std::string reportCsv(const std::vector<ReportRun>& runs, size_t baseline = 0);
// One run: its bench JSON. Several: {"format_version": 1, "runs": [{"name", "result"}...]}.
std::string reportJson(const std::vector<ReportRun>& runs);
Expected<std::vector<ReportRun>> parseReportJson(const std::string& text);

// One CSV row read back: the summary a spreadsheet gets.
struct CsvRow {
    std::string name, model, accelerator;
    int threads = 0, runs = 0;
    double initMs = 0, firstRunMs = 0, averageMs = 0, deviationMs = 0, minMs = 0, maxMs = 0, p50Ms = 0, p90Ms = 0,
           p99Ms = 0;
    uint64_t peakResidentBytes = 0, arenaBytes = 0;
    double ratioToBaseline = 0;
};
Expected<std::vector<CsvRow>> parseReportCsv(const std::string& text);

// Writes HTML, Markdown, CSV or JSON by the path's extension, atomically.
// PDF needs Qt: this returns an error for it.
Status writeTextReport(const std::string& path, const std::vector<ReportRun>& runs, size_t baseline = 0);

}  // namespace litestudio

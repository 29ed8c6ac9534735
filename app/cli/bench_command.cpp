#include "app/cli/bench_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "accelerators/cpu/xnnpack_accelerator.h"
#include "app/cli/command_line.h"
#include "app/version.h"
#include "core/bench/bench_json.h"
#include "core/bench/bench_report.h"
#include "ui/reports/pdf_report.h"

#include <QGuiApplication>
#include "core/support/atomic_file.h"

namespace litestudio::cli {

const char* const kBenchUsage =
    "usage: litestudio-cli bench MODEL [--accelerator cpu|reference] [--threads N] [--runs N | --min-seconds S]\n"
    "                            [--warmup N] [--signature KEY] [--op-profile] [--json FILE]\n"
    "                            [--report FILE.html|.pdf|.md|.csv|.json]\n"
    "  Measures load and init time, the first inference, warm-up and steady-state latency\n"
    "  (avg/std/min/max/p50/p90/p99), peak resident memory and arena bytes, as LiteRT's\n"
    "  benchmark_model does. Inputs are the golden cases' pseudo-random data.\n"
    "  --runs N          steady-state runs (default 50)\n"
    "  --min-seconds S   keep running until S seconds have passed (and --runs, if given, are done)\n"
    "  --warmup N        warm-up runs after the first inference (default 1)\n"
    "  --op-profile      time every op: table per op and per op type\n"
    "  --json FILE       write the result as bench JSON (format_version 1, see README)\n"
    "  --report FILE     write a report the studio's export also writes: self-contained HTML with\n"
    "                    charts, PDF, Markdown, CSV or bench JSON, by the extension\n";

namespace {

std::string fixed(double value, int digits = 3) {
    char text[64];
    std::snprintf(text, sizeof(text), "%.*f", digits, value);
    return text;
}

std::string mebibytes(uint64_t bytes) { return fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 2) + " MiB"; }

bool parseNumber(const std::string& text, double& value) {
    try {
        size_t used = 0;
        value = std::stod(text, &used);
        return used == text.size();
    } catch (...) {
        return false;
    }
}

void printReport(const BenchmarkReport& r, std::ostream& out) {
    out << "model        " << r.modelPath << "\nentry        " << r.signature << "\n";
    out << "accelerator  " << r.accelerator << ", " << r.threads << (r.threads == 1 ? " thread" : " threads") << "  on "
        << r.machine.cpu << " (" << r.machine.cores << " cores)\n";
    out << "load         " << fixed(r.loadMs) << " ms    init " << fixed(r.initMs) << " ms    first run "
        << fixed(r.firstRunMs) << " ms\n";
    out << "warm-up      " << r.warmup.runs << " runs, avg " << fixed(r.warmup.averageMs) << " ms\n";
    const LatencyStatistics& s = r.steady;
    out << "steady state " << s.runs << " runs" << (r.cancelled ? " (cancelled)" : "") << "\n";
    out << "             avg " << fixed(s.averageMs) << "  std " << fixed(s.deviationMs) << "  min " << fixed(s.minMs)
        << "  max " << fixed(s.maxMs) << " ms\n";
    out << "             p50 " << fixed(s.p50Ms) << "  p90 " << fixed(s.p90Ms) << "  p99 " << fixed(s.p99Ms) << " ms\n";
    out << "memory       peak RSS " << mebibytes(r.peakResidentBytes) << ", arena " << mebibytes(r.arenaBytes)
        << " (lower bound " << mebibytes(r.arenaLowerBoundBytes) << ")\n";
    if (r.ops.empty()) return;
    // The type column fits the longest name: fused ops read as their chain
    // ("CONV_2D+DEPTHWISE_CONV_2D+CONV_2D+ADD (fused)").
    int typeWidth = 26;
    for (const OpTypeTiming& type : r.opTypes) typeWidth = std::max(typeWidth, static_cast<int>(type.type.size()));
    const std::string typeHeading = "type" + std::string(static_cast<size_t>(typeWidth - 3), ' ');
    out << "\nops (execution order)\n";
    out << "  index  " << typeHeading << "accelerator  avg ms     share   cumul.  name\n";
    for (const OpTiming& op : r.ops) {
        char line[640];
        std::string name = op.name.size() > 60 ? op.name.substr(0, 57) + "..." : op.name;
        std::snprintf(line, sizeof(line), "  %5d  %-*s %-12s %-10s %5.1f%%  %5.1f%%  %s\n", op.index, typeWidth, op.type.c_str(),
                      op.accelerator.c_str(), fixed(op.averageMs).c_str(), op.share * 100, op.cumulativeShare * 100,
                      name.c_str());
        out << line;
    }
    out << "\nop types (slowest first)\n";
    out << "  " << typeHeading << "count  avg ms     share\n";
    for (const OpTypeTiming& type : r.opTypes) {
        char line[384];
        std::snprintf(line, sizeof(line), "  %-*s %5d  %-10s %5.1f%%\n", typeWidth, type.type.c_str(), type.count,
                      fixed(type.averageMs).c_str(), type.share * 100);
        out << line;
    }
}

}  // namespace

// PDF is drawn with QtGui, which needs an application object (for fonts)
// but no display.
Status writeReportFile(const std::string& path, const std::vector<ReportRun>& runs) {
    if (reportFormatForPath(path) != ReportFormat::Pdf) return writeTextReport(path, runs);
    std::unique_ptr<QGuiApplication> application;
    if (!QGuiApplication::instance()) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
        static int argc = 1;
        static char name[] = "litestudio-cli";
        static char* argv[] = {name, nullptr};
        application = std::make_unique<QGuiApplication>(argc, argv);
    }
    return ui::writePdfReport(QString::fromStdString(path), runs);
}

int runBench(const std::vector<std::string>& arguments) {
    auto parsed = parseArguments(arguments, {"--help", "--op-profile"},
                                 {"--accelerator", "--threads", "--runs", "--min-seconds", "--warmup", "--json", "--signature",
                                  "--report"});
    if (!parsed) return reportError("bench: " + parsed.errorMessage());
    if (parsed->has("--help")) {
        std::cout << kBenchUsage;
        return 0;
    }
    if (parsed->positional.size() != 1) return reportError("bench: expected one MODEL path (see --help)");
    BenchmarkOptions options;
    options.accelerator = parsed->options.count("--accelerator") ? parsed->options["--accelerator"] : "cpu";
    if (options.accelerator != "cpu" && options.accelerator != "reference")
        return reportError("bench: --accelerator takes cpu or reference, not '" + options.accelerator + "'");
    options.acceleratorChain = cpu::acceleratorChain(options.accelerator);
    options.opProfile = parsed->has("--op-profile");
    if (parsed->options.count("--signature")) options.signature = parsed->options["--signature"];
    auto integer = [&](const char* name, int minimum, int& target) {
        if (!parsed->options.count(name)) return true;
        double value = 0;
        if (!parseNumber(parsed->options[name], value) || value < minimum || value > 1e9 || value != std::floor(value)) return false;
        target = static_cast<int>(value);
        return true;
    };
    if (!integer("--threads", 1, options.threads)) return reportError("bench: --threads needs a whole number of at least 1");
    if (!integer("--warmup", 0, options.warmupRuns)) return reportError("bench: --warmup needs a whole number of at least 0");
    if (parsed->options.count("--min-seconds")) {
        if (!parseNumber(parsed->options["--min-seconds"], options.minSeconds) || options.minSeconds < 0)
            return reportError("bench: --min-seconds needs a number of seconds");
        if (!parsed->options.count("--runs")) options.runs = 1;
    }
    if (!integer("--runs", 1, options.runs)) return reportError("bench: --runs needs a whole number of at least 1");
    std::string reportPath = parsed->options.count("--report") ? parsed->options["--report"] : "";
    if (!reportPath.empty() && !reportFormatForPath(reportPath))
        return reportError("bench: --report " + reportPath + ": use .html, .pdf, .md, .csv or .json");

    Benchmark benchmark(cpu::createStandardEnvironment(), options, LITESTUDIO_VERSION);
    bool showedProgress = false;
    auto report = benchmark.run(parsed->positional[0], [&showedProgress](const RunSample& sample) {
        if (sample.phase == RunPhase::Steady && (sample.index + 1) % 10 == 0) {
            std::cerr << "\r" << (sample.index + 1) << " runs" << std::flush;
            showedProgress = true;
        }
    });
    if (showedProgress) std::cerr << "\r          \r";
    if (!report) return reportError(report.errorMessage());
    printReport(*report, std::cout);
    if (parsed->options.count("--json")) {
        std::string text = benchmarkReportToJson(*report).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        Status written = writeFileAtomically(parsed->options["--json"], text);
        if (!written) return reportError(written.message());
    }
    if (!reportPath.empty()) {
        Status written = writeReportFile(reportPath, {{defaultRunName(*report), *report}});
        if (!written) return reportError(written.message());
    }
    return 0;
}

}  // namespace litestudio::cli

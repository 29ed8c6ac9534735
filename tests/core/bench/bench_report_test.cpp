// Benchmark reports: HTML with inline SVG charts, Markdown, CSV and JSON
// that read back to the same numbers.

#include "core/bench/bench_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/bench/svg_charts.h"

using namespace litestudio;

namespace {

ReportRun makeRun(const std::string& name, double scale, int threads) {
    BenchmarkReport r;
    r.appVersion = "0.1.0";
    r.machine = {"Test CPU, 3.0 GHz", 2, "Debian GNU/Linux 12 (bookworm)", "Linux"};
    r.modelPath = "/models/mobilenet.tflite";
    r.signature = "serving_default";
    r.accelerator = "cpu";
    r.threads = threads;
    r.initMs = 12.5;
    r.firstRunMs = 9.25;
    r.steadyLatenciesMs = {4 * scale, 5 * scale, 6 * scale, 5 * scale};
    r.steady = computeStatistics(r.steadyLatenciesMs);
    r.peakResidentBytes = 50 * 1024 * 1024;
    r.arenaBytes = 3 * 1024 * 1024 + 17;
    r.ops = {{0, "CONV_2D", "conv", "cpu", 3 * scale, 0.6, 0.6}, {1, "ADD", "add", "cpu", 2 * scale, 0.4, 1.0}};
    r.opTypes = {{"CONV_2D", 1, 3 * scale, 0.6}, {"ADD", 1, 2 * scale, 0.4}};
    return {name, r};
}

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

}  // namespace

TEST(BenchReport, HtmlIsSelfContainedWithInlineSvgCharts) {
    std::vector<ReportRun> runs = {makeRun("one thread", 2.0, 1), makeRun("two threads <fast>", 1.0, 2)};
    std::string html = reportHtml(runs, 0);
    size_t charts = count(html, "<svg");
    std::printf("HTML: %zu bytes, %zu inline SVG charts\n", html.size(), charts);
    // Comparison bars + latency lines, then per run: lines, histogram, slowest ops.
    EXPECT_EQ(charts, 2u + 2u * 3u);
    EXPECT_EQ(count(html, "<script"), 0u);
    EXPECT_EQ(count(html, "src="), 0u);  // nothing loaded from elsewhere
    EXPECT_NE(html.find("two threads &lt;fast&gt;"), std::string::npos);
    EXPECT_NE(html.find("<td>0.500x</td>"), std::string::npos);  // 5 ms against 10 ms
    EXPECT_NE(html.find("Test CPU, 3.0 GHz"), std::string::npos);
}

TEST(BenchReport, CsvReadsBackToTheSameNumbers) {
    std::vector<ReportRun> runs = {makeRun("base, with a comma", 2.0, 1), makeRun("fast \"quoted\"", 1.0, 2)};
    std::string csv = reportCsv(runs, 0);
    std::printf("%s", csv.c_str());
    auto rows = parseReportCsv(csv);
    ASSERT_TRUE(rows) << rows.errorMessage();
    ASSERT_EQ(rows->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        const CsvRow& row = (*rows)[i];
        const BenchmarkReport& r = runs[i].report;
        EXPECT_EQ(row.name, runs[i].name);
        EXPECT_EQ(row.model, "mobilenet.tflite");
        EXPECT_EQ(row.threads, r.threads);
        EXPECT_EQ(row.runs, 4);
        EXPECT_NEAR(row.averageMs, r.steady.averageMs, 5e-4);
        EXPECT_NEAR(row.p99Ms, r.steady.p99Ms, 5e-4);
        EXPECT_EQ(row.peakResidentBytes, r.peakResidentBytes);
        EXPECT_EQ(row.arenaBytes, r.arenaBytes);
    }
    EXPECT_NEAR((*rows)[1].ratioToBaseline, 0.5, 1e-9);
    EXPECT_FALSE(parseReportCsv("a,b\n1,2\n"));
}

TEST(BenchReport, JsonReadsBackOneAndSeveralRuns) {
    std::vector<ReportRun> runs = {makeRun("a", 2.0, 1), makeRun("b", 1.0, 2)};
    auto one = parseReportJson(reportJson({runs[0]}));
    ASSERT_TRUE(one) << one.errorMessage();
    ASSERT_EQ(one->size(), 1u);
    EXPECT_EQ((*one)[0].report.steadyLatenciesMs, runs[0].report.steadyLatenciesMs);
    auto both = parseReportJson(reportJson(runs));
    ASSERT_TRUE(both) << both.errorMessage();
    ASSERT_EQ(both->size(), 2u);
    EXPECT_EQ((*both)[1].name, "b");
    EXPECT_EQ((*both)[1].report.threads, 2);
    EXPECT_EQ((*both)[1].report.ops.size(), 2u);
    EXPECT_DOUBLE_EQ((*both)[1].report.steady.p90Ms, runs[1].report.steady.p90Ms);
    EXPECT_FALSE(parseReportJson("[1,2]"));
}

TEST(BenchReport, MarkdownHasTheSummaryTable) {
    std::string md = reportMarkdown({makeRun("a|b", 2.0, 1)}, 0);
    std::printf("%s", md.c_str());
    EXPECT_NE(md.find("| run | model | accelerator |"), std::string::npos);
    EXPECT_NE(md.find("| a/b | mobilenet.tflite | cpu | 1 | 4 |"), std::string::npos);
    EXPECT_NE(md.find("## a|b: time by op type"), std::string::npos);
}

TEST(BenchReport, WritesByExtensionAtomically) {
    auto dir = std::filesystem::temp_directory_path() / "litestudio_report_test";
    std::filesystem::create_directories(dir);
    std::vector<ReportRun> runs = {makeRun("a", 1.0, 1)};
    for (const char* name : {"r.html", "r.md", "r.csv", "r.json"}) {
        Status status = writeTextReport((dir / name).string(), runs);
        EXPECT_TRUE(status.isOk()) << name << ": " << status.message();
        EXPECT_GT(std::filesystem::file_size(dir / name), 100u) << name;
    }
    EXPECT_EQ(writeTextReport((dir / "r.txt").string(), runs).message(),
              (dir / "r.txt").string() + ": unknown report format (use .html, .md, .csv, .json or .pdf)");
    Status missing = writeTextReport((dir / "no/such/dir/r.html").string(), runs);
    EXPECT_FALSE(missing.isOk());
    std::printf("missing directory: %s\n", missing.message().c_str());
    std::filesystem::remove_all(dir);
}

TEST(SvgCharts, EscapeTextAndScaleBars) {
    std::string svg = barChartSvg("Ops & more", {"a<b", "c"}, {2.0, 1.0}, "ms");
    EXPECT_NE(svg.find("Ops &amp; more"), std::string::npos);
    EXPECT_NE(svg.find("a&lt;b"), std::string::npos);
    // The longest bar spans the plot (640 - 220 labels - 90 values - 16 margin); the other is half of it.
    EXPECT_NE(svg.find("width=\"314.0\""), std::string::npos);
    EXPECT_NE(svg.find("width=\"157.0\""), std::string::npos);
}

// Tensor names are UTF-8: a shortened label must not end inside a character.
TEST(SvgCharts, ShortensLabelsAtWholeCharacters) {
    std::string name;
    for (int i = 0; i < 40; ++i) name += "\xce\xb1";  // α, two bytes each
    const std::string svg = barChartSvg("Ops", {name}, {1.0}, "ms");
    const size_t begin = svg.find("text-anchor=\"end\">") + std::string("text-anchor=\"end\">").size();
    const std::string label = svg.substr(begin, svg.find("</text>", begin) - begin);
    std::printf("label of %zu bytes: %s\n", label.size(), label.c_str());
    // 16 whole alphas (32 bytes, the 17th would pass 33), then the ellipsis.
    std::string expected;
    for (int i = 0; i < 16; ++i) expected += "\xce\xb1";
    EXPECT_EQ(label, expected + "\xe2\x80\xa6");
}

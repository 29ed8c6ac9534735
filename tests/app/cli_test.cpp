// litestudio-cli as a user runs it: exit codes, stdout, and the one-line
// "error:" on stderr.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bench/bench_report.h"
#include <sys/wait.h>

#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

struct CliResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

CliResult runCli(const std::string& arguments) {
    static int calls = 0;
    std::filesystem::path dir = testing::scratchDir("cli-" + std::to_string(calls++));
    std::string command = std::string(LITESTUDIO_CLI) + " " + arguments + " >" + (dir / "out").string() + " 2>" +
                          (dir / "err").string();
    int status = std::system(command.c_str());
    CliResult result;
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = slurp(dir / "out");
    result.err = slurp(dir / "err");
    std::cout << "  $ litestudio-cli " << arguments << "  -> exit " << result.exitCode << "\n";
    return result;
}

std::string sample() { return (testing::sourceDir() / "resources/samples/sample_classifier.tflite").string(); }

TEST(Cli, HelpListsSubcommands) {
    CliResult result = runCli("--help");
    EXPECT_EQ(result.exitCode, 0);
    EXPECT_NE(result.out.find("inspect MODEL"), std::string::npos) << result.out;
}

TEST(Cli, Version) {
    CliResult result = runCli("--version");
    EXPECT_EQ(result.exitCode, 0);
    EXPECT_EQ(result.out.rfind("litestudio-cli ", 0), 0u) << result.out;
}

TEST(Cli, InspectPrintsASummary) {
    CliResult result = runCli("inspect " + sample());
    EXPECT_EQ(result.exitCode, 0) << result.err;
    EXPECT_NE(result.out.find("serving_default"), std::string::npos);
    EXPECT_TRUE(result.err.empty()) << result.err;
}

TEST(Cli, InspectJsonParses) {
    CliResult result = runCli("inspect --json " + sample());
    ASSERT_EQ(result.exitCode, 0) << result.err;
    nlohmann::json json = nlohmann::json::parse(result.out);
    EXPECT_EQ(json["model"]["op_count"], 7);
}

void expectOneErrorLine(const CliResult& result, const std::string& fragment) {
    EXPECT_EQ(result.exitCode, 2);
    EXPECT_TRUE(result.out.empty()) << result.out;
    EXPECT_EQ(result.err.rfind("error: ", 0), 0u) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_NE(result.err.find(fragment), std::string::npos) << result.err;
}

TEST(Cli, MissingFileIsOneErrorLine) {
    expectOneErrorLine(runCli("inspect /nonexistent/model.tflite"), "cannot open: No such file or directory");
}

TEST(Cli, BrokenModelIsOneErrorLine) {
    expectOneErrorLine(runCli("inspect " + testing::sharedModel("litert-testdata/testdata_0_subgraphs.bin").string()),
                       "the model has no subgraphs");
}

TEST(Cli, DirectoryIsOneErrorLine) { expectOneErrorLine(runCli("inspect /tmp"), "not a regular file"); }

TEST(Cli, UsageErrors) {
    expectOneErrorLine(runCli("inspect"), "expected one MODEL path");
    expectOneErrorLine(runCli("inspect --bogus " + sample()), "unknown option --bogus");
    expectOneErrorLine(runCli("frobnicate"), "unknown command 'frobnicate'");
}

}  // namespace
}  // namespace litestudio

namespace litestudio {
namespace {

TEST(Cli, RunWritesGoldenFormatOutputs) {
    std::filesystem::path golden = testing::sharedDir() / "golden/litert-testdata/testdata_add.bin";
    std::filesystem::path out = testing::scratchDir("cli-run-out");
    CliResult result = runCli("run " + testing::sharedModel("litert-testdata/testdata_add.bin").string() + " --inputs " +
                              golden.string() + " --outputs " + out.string());
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(testing::readFileBytes(out / "output_0.bin"), testing::readFileBytes(golden / "output_0.bin"));
    nlohmann::json meta = nlohmann::json::parse(slurp(out / "meta.json"));
    EXPECT_EQ(meta["outputs"][0]["dtype"], "float32");
    EXPECT_TRUE(meta.contains("ms_per_run"));
}

TEST(Cli, RunListsEveryUnsupportedOp) {
    std::filesystem::path golden = testing::sharedDir() / "golden/litert-testdata/testdata_add.bin";
    expectOneErrorLine(
        runCli("run " + testing::sharedModel("litert-testdata/converter_quantization_lite_testdata_mixed.bin").string() +
               " --inputs " + golden.string() + " --outputs " + testing::scratchDir("cli-x").string()),
        "unsupported ops: CustomTestOp (subgraph 0 op 1, subgraph 0 op 2)");
}

TEST(Cli, RunRejectsWrongInputSizes) {
    std::filesystem::path inputs = testing::scratchDir("cli-bad-inputs");
    testing::writeFileBytes(inputs / "input_0.bin", {1, 2, 3});
    expectOneErrorLine(runCli("run " + testing::sharedModel("litert-testdata/testdata_add.bin").string() + " --inputs " +
                              inputs.string() + " --outputs " + testing::scratchDir("cli-y").string()),
                       "input_0.bin: input");
}

}  // namespace
}  // namespace litestudio

namespace litestudio {
namespace {

std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST(Cli, ClassifyGraceHopper) {
    CliResult result = runCli("classify " + testing::sharedModel("coral/mobilenet_v2_1.0_224_quant.tflite").string() + " " +
                              (testing::sharedDir() / "images/grace_hopper.bmp").string());
    ASSERT_EQ(result.exitCode, 0) << result.err;
    std::cout << result.out;
    EXPECT_NE(firstLine(result.out).find(" military uniform"), std::string::npos);
}

TEST(Cli, ClassifyCatWithLabelFile) {
    CliResult result = runCli("classify " + testing::sharedModel("coral/mobilenet_v2_1.0_224_quant.tflite").string() + " " +
                              (testing::sharedDir() / "images/cat.bmp").string() + " --top 5 --labels " +
                              (testing::sharedDir() / "images/imagenet_labels.txt").string());
    ASSERT_EQ(result.exitCode, 0) << result.err;
    std::cout << result.out;
    EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 5);
    EXPECT_NE(result.out.find(" Egyptian cat\n"), std::string::npos);
}

TEST(Cli, ClassifyRejectsNonImages) {
    expectOneErrorLine(runCli("classify " + testing::sharedModel("coral/mobilenet_v2_1.0_224_quant.tflite").string() + " " +
                              (testing::sharedDir() / "images/imagenet_labels.txt").string()),
                       "cannot read the image");
}

}  // namespace
}  // namespace litestudio

namespace litestudio {
namespace {

TEST(CliBench, PrintsATableAndWritesBenchJson) {
    std::filesystem::path json = testing::scratchDir("cli-bench") / "bench.json";
    CliResult result = runCli("bench " + sample() + " --runs 5 --warmup 2 --op-profile --json " + json.string());
    ASSERT_EQ(result.exitCode, 0) << result.err;
    for (const char* text : {"steady state 5 runs", "p50", "peak RSS", "op types", "CONV_2D"})
        EXPECT_NE(result.out.find(text), std::string::npos) << text << " missing from:\n" << result.out;
    nlohmann::json parsed = nlohmann::json::parse(slurp(json));
    EXPECT_EQ(parsed["format_version"], 1);
    EXPECT_EQ(parsed["steady_state"]["runs"], 5);
    EXPECT_EQ(parsed["warmup"]["runs"], 2);
    EXPECT_EQ(parsed["config"]["accelerator"], "cpu");
    EXPECT_FALSE(parsed["ops"].empty());
    EXPECT_GT(parsed["init_ms"].get<double>(), 0.0);
}

TEST(CliBench, BadOptionsAreOneErrorLine) {
    expectOneErrorLine(runCli("bench " + sample() + " --runs 0"), "--runs needs a whole number");
    expectOneErrorLine(runCli("bench " + sample() + " --accelerator gpu"), "--accelerator takes cpu or reference");
    expectOneErrorLine(runCli("bench /nonexistent/model.tflite"), "cannot open");
}

}  // namespace
TEST(Cli, BenchWritesReportsByExtension) {
    auto dir = testing::scratchDir("cli-reports");
    for (const char* name : {"r.html", "r.csv", "r.pdf"}) {
        std::filesystem::remove(dir / name);
        CliResult result = runCli("bench " + sample() + " --runs 5 --op-profile --report " + (dir / name).string());
        ASSERT_EQ(result.exitCode, 0) << name << ": " << result.err;
        EXPECT_GT(std::filesystem::file_size(dir / name), 200u) << name;
    }
    std::string html = slurp(dir / "r.html");
    EXPECT_NE(html.find("<svg"), std::string::npos);
    auto rows = parseReportCsv(slurp(dir / "r.csv"));
    ASSERT_TRUE(rows) << rows.errorMessage();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].runs, 5);
    std::string pdf = slurp(dir / "r.pdf");
    EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u);
    std::printf("reports: html %zu, csv %zu, pdf %zu bytes\n", html.size(), slurp(dir / "r.csv").size(), pdf.size());
    expectOneErrorLine(runCli("bench " + sample() + " --report " + (dir / "r.txt").string()),
                       "use .html, .pdf, .md, .csv or .json");
}

TEST(Cli, MakeModelChatAndLlmBench) {
    auto dir = testing::scratchDir("cli-llm");
    std::string bundle = (dir / "tiny.litertlm").string();
    CliResult made = runCli("make-model gemma " + bundle + " --preset tiny");
    ASSERT_EQ(made.exitCode, 0) << made.err;
    auto chat = [&](const std::string& seed) {
        CliResult result = runCli("chat " + bundle + " --prompt 'Hello!' --max-tokens 12 --seed " + seed);
        EXPECT_EQ(result.exitCode, 0) << result.err;
        EXPECT_NE(result.err.find("prompt tokens"), std::string::npos) << result.err;
        return result.out;
    };
    std::string first = chat("3"), again = chat("3"), other = chat("4");
    EXPECT_EQ(first, again);  // the same seed gives the same text
    EXPECT_NE(first, other);
    std::string json = (dir / "llm.json").string();
    CliResult bench = runCli("llm-bench " + bundle + " --prefill 40 --decode 16 --repetitions 2 --json " + json);
    ASSERT_EQ(bench.exitCode, 0) << bench.err;
    nlohmann::json result = nlohmann::json::parse(slurp(json));
    EXPECT_EQ(result["prefill_tokens"], 40);
    EXPECT_EQ(result["decode_tokens"], 16);
    EXPECT_EQ(result["repetitions"], 2);  // each from an empty cache: the same token counts
    EXPECT_GT(result["decode_tokens_per_s"].get<double>(), 0);
    EXPECT_GT(result["time_to_first_token_ms"].get<double>(), 0);
    expectOneErrorLine(runCli("make-model gemma " + (dir / "x.litertlm").string() + " --preset huge"),
                       "unknown preset 'huge'");
    expectOneErrorLine(runCli("chat " + sample() + " --prompt hi"), "not an LLM bundle");
    expectOneErrorLine(runCli("llm-bench " + bundle + " --prefill 0 --decode 1"), "--prefill N and --decode N are needed");
    expectOneErrorLine(runCli("llm-bench " + bundle + " --prefill 4 --decode 1 --repetitions 0"),
                       "--repetitions needs a whole number from 1 to 1000");
}

}  // namespace litestudio

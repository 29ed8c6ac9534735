// The benchmark engine on real models: counts, callbacks, cancellation, the
// op profile, and the JSON round trip.

#include <thread>

#include <gtest/gtest.h>

#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/bench/bench_json.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

BenchmarkOptions quickOptions(int runs) {
    BenchmarkOptions options;
    options.runs = runs;
    options.warmupRuns = 2;
    return options;
}

TEST(Benchmark, CountsRunsAndReportsEveryFigure) {
    Benchmark benchmark(cpu::createStandardEnvironment(), quickOptions(7), "test");
    std::vector<RunSample> samples;
    auto report = benchmark.run(testing::sharedModel("coral/mobilenet_v1_0.25_128_quant.tflite").string(),
                                [&](const RunSample& sample) { samples.push_back(sample); });
    ASSERT_TRUE(report) << report.errorMessage();
    std::cout << "  load " << report->loadMs << " ms, init " << report->initMs << " ms, first " << report->firstRunMs
              << " ms, steady avg " << report->steady.averageMs << " ms, peak RSS " << report->peakResidentBytes << "\n";
    EXPECT_EQ(samples.size(), 1u + 2u + 7u);  // first, warm-up, steady
    EXPECT_EQ(samples.front().phase, RunPhase::First);
    EXPECT_EQ(samples.back().phase, RunPhase::Steady);
    EXPECT_EQ(report->warmup.runs, 2);
    EXPECT_EQ(report->steady.runs, 7);
    EXPECT_EQ(report->steadyLatenciesMs.size(), 7u);
    EXPECT_GT(report->loadMs, 0);
    EXPECT_GT(report->initMs, 0);
    EXPECT_GT(report->firstRunMs, 0);
    EXPECT_LE(report->steady.minMs, report->steady.p50Ms);
    EXPECT_LE(report->steady.p50Ms, report->steady.maxMs);
    EXPECT_GT(report->peakResidentBytes, 1u << 20);
    EXPECT_GE(report->arenaBytes, report->arenaLowerBoundBytes);
    EXPECT_GT(report->arenaLowerBoundBytes, 0u);
    EXPECT_FALSE(report->machine.cpu.empty());
    EXPECT_GT(report->machine.cores, 0);
    EXPECT_FALSE(report->cancelled);
    EXPECT_TRUE(report->ops.empty());  // no profile asked for
}

TEST(Benchmark, OpProfileSumsToTheRunTime) {
    BenchmarkOptions options = quickOptions(20);
    options.opProfile = true;
    Benchmark benchmark(cpu::createStandardEnvironment(), options, "test");
    auto report = benchmark.run(testing::sharedModel("mediapipe/face_detection_short_range.tflite").string());
    ASSERT_TRUE(report) << report.errorMessage();
    double sum = 0, shares = 0;
    for (const OpTiming& op : report->ops) sum += op.averageMs, shares += op.share;
    std::cout << "  " << report->ops.size() << " ops sum to " << sum << " ms; runs average " << report->steady.averageMs
              << " ms (ratio " << sum / report->steady.averageMs << ")\n";
    ASSERT_FALSE(report->ops.empty());
    EXPECT_NEAR(sum / report->steady.averageMs, 1.0, 0.05);
    EXPECT_NEAR(shares, 1.0, 1e-9);
    EXPECT_NEAR(report->ops.back().cumulativeShare, 1.0, 1e-9);
    double typeSum = 0;
    for (const OpTypeTiming& type : report->opTypes) typeSum += type.averageMs;
    EXPECT_NEAR(typeSum, sum, 1e-9);
    for (size_t i = 1; i < report->opTypes.size(); ++i) EXPECT_GE(report->opTypes[i - 1].averageMs, report->opTypes[i].averageMs);
    bool sawCpu = false;
    for (const OpTiming& op : report->ops) sawCpu |= op.accelerator == "cpu";
    EXPECT_TRUE(sawCpu);
}

TEST(Benchmark, CancelFromTheCallbackStopsAndKeepsWhatWasMeasured) {
    Benchmark benchmark(cpu::createStandardEnvironment(), quickOptions(100000), "test");
    auto report = benchmark.run(testing::sharedModel("coral/mobilenet_v1_0.25_128_quant.tflite").string(),
                                [&](const RunSample& sample) {
                                    if (sample.phase == RunPhase::Steady && sample.index == 4) benchmark.cancel();
                                });
    ASSERT_TRUE(report) << report.errorMessage();
    EXPECT_TRUE(report->cancelled);
    EXPECT_EQ(report->steady.runs, 5);
}

TEST(Benchmark, CancelFromAnotherThreadStopsWithinARun) {
    Benchmark benchmark(cpu::createStandardEnvironment(), quickOptions(1000000), "test");
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        benchmark.cancel();
    });
    auto started = std::chrono::steady_clock::now();
    auto report = benchmark.run(testing::sharedModel("mediapipe/face_detection_short_range.tflite").string());
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    canceller.join();
    ASSERT_TRUE(report) << report.errorMessage();
    std::cout << "  stopped after " << seconds << " s with " << report->steady.runs << " steady runs\n";
    EXPECT_TRUE(report->cancelled);
    EXPECT_LT(seconds, 5.0);
}

TEST(Benchmark, JsonRoundTrips) {
    BenchmarkOptions options = quickOptions(3);
    options.opProfile = true;
    Benchmark benchmark(cpu::createStandardEnvironment(), options, "1.2.3");
    auto report = benchmark.run(testing::sharedModel("coral/mobilenet_v1_0.25_128_quant.tflite").string());
    ASSERT_TRUE(report) << report.errorMessage();
    nlohmann::json json = benchmarkReportToJson(*report);
    for (const char* key : {"init_ms", "first_run_ms", "steady_state", "peak_rss_bytes", "arena_bytes", "ops", "machine", "app"})
        EXPECT_TRUE(json.contains(key)) << key;
    for (const char* key : {"runs", "avg_ms", "std_ms", "min_ms", "max_ms", "p50_ms", "p90_ms", "p99_ms"})
        EXPECT_TRUE(json["steady_state"].contains(key)) << key;
    auto back = benchmarkReportFromJson(nlohmann::json::parse(json.dump()));
    ASSERT_TRUE(back) << back.errorMessage();
    EXPECT_EQ(benchmarkReportToJson(*back), json);
    EXPECT_EQ(back->appVersion, "1.2.3");
    EXPECT_FALSE(benchmarkReportFromJson(nlohmann::json{{"kind", "something else"}}));
}

TEST(Benchmark, BadModelIsAClearError) {
    Benchmark benchmark(cpu::createStandardEnvironment(), quickOptions(1), "test");
    auto report = benchmark.run(testing::sharedModel("litert-testdata/testdata_multi_add_flex.bin").string());
    ASSERT_FALSE(report);
    EXPECT_NE(report.errorMessage().find("FlexAddV2"), std::string::npos) << report.errorMessage();
}

}  // namespace
}  // namespace litestudio

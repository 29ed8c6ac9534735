#pragma once
// The benchmark engine the CLI (`litestudio-cli bench`) and the GUI's live
// benchmark share. It reports what LiteRT's benchmark_model reports: model
// load and init time, the first inference, warm-up and steady-state
// latency statistics, peak memory, and optionally the time of every op.
// Each run is handed to a callback as it finishes; `cancel()` from any
// thread stops the benchmark within one op.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/bench/machine_info.h"
#include "core/bench/statistics.h"
#include "core/runtime/accelerator.h"
#include "core/support/status.h"

namespace litestudio {

class CompiledModel;

struct BenchmarkOptions {
    std::string accelerator = "cpu";                 // the name the user chose, for the report
    std::vector<std::string> acceleratorChain{"cpu", "reference"};  // what compiles the model
    int threads = 1;
    std::string signature;                           // "" = the first entry point
    // Steady state runs until both are reached (or maxSeconds passes).
    int runs = 50;
    double minSeconds = 0;
    double maxSeconds = 150;
    // Warm-up runs after the first inference, not counted in steady state.
    int warmupRuns = 1;
    double warmupMinSeconds = 0;
    bool opProfile = false;
};

enum class RunPhase { First, Warmup, Steady };

struct RunSample {
    RunPhase phase = RunPhase::Steady;
    int index = 0;              // within its phase
    double milliseconds = 0;
    int plannedRuns = 0;        // steady runs asked for (progress; more may follow for minSeconds)
    double elapsedSeconds = 0;  // since the steady state began
};

struct OpTiming {
    int index = 0;
    std::string type;
    std::string name;           // the op's first output tensor, as LiteRT names ops
    std::string accelerator;
    double averageMs = 0;
    double share = 0;           // of the sum over all ops
    double cumulativeShare = 0; // in execution order
};

struct OpTypeTiming {
    std::string type;
    int count = 0;
    double averageMs = 0;       // per run, summed over ops of this type
    double share = 0;
};

struct BenchmarkReport {
    std::string appVersion;
    MachineInfo machine;
    std::string modelPath;
    uint64_t modelBytes = 0;
    std::string signature;
    std::string accelerator;
    int threads = 1;
    int runsRequested = 0;
    double minSeconds = 0;
    int warmupRunsRequested = 0;
    bool opProfile = false;

    double loadMs = 0, initMs = 0, firstRunMs = 0;
    LatencyStatistics warmup, steady;
    std::vector<double> steadyLatenciesMs;
    uint64_t peakResidentBytes = 0, arenaBytes = 0, arenaLowerBoundBytes = 0;
    bool cancelled = false;
    std::vector<OpTiming> ops;       // entry subgraph, in execution order; a control-flow op includes its bodies
    std::vector<OpTypeTiming> opTypes;  // slowest first
};

class Benchmark {
public:
    using RunCallback = std::function<void(const RunSample&)>;

    Benchmark(std::shared_ptr<const Environment> environment, BenchmarkOptions options, std::string appVersion);

    // Loads, compiles and runs the model; a cancelled benchmark still
    // returns what it measured, with `cancelled` set.
    Expected<BenchmarkReport> run(const std::string& modelPath, const RunCallback& onRun = {});
    void cancel();

private:
    std::shared_ptr<const Environment> environment_;
    BenchmarkOptions options_;
    std::string appVersion_;
    std::atomic<bool> cancelled_{false};
    std::mutex currentMutex_;
    CompiledModel* current_ = nullptr;
};

// Inputs the benchmark feeds, the golden cases' generator (xorshift32 from
// seed 1): floats in [-1, 1), uint8/int8 any byte, integers 0..3, booleans.
void fillBenchmarkInput(uint8_t* data, size_t bytes, DataType type, uint32_t& state);
// The same for one input of a compiled model; string inputs get short
// decimal strings from the stream.
Status fillBenchmarkInput(CompiledModel& model, int subgraph, int tensor, uint32_t& state);

}  // namespace litestudio

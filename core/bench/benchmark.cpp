#include "core/bench/benchmark.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>

#include "core/format/model_file.h"
#include "core/kernels/string_tensor.h"
#include "core/runtime/compiled_model.h"

namespace litestudio {

namespace {

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

uint32_t nextRandom(uint32_t& s) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
}

// Sums op times over the steady runs of the entry subgraph.
class OpTimeCollector : public OpProfiler {
public:
    OpTimeCollector(int subgraph, size_t ops) : subgraph_(subgraph), nanoseconds_(ops, 0) {}
    void opFinished(int subgraph, int op, int64_t nanoseconds) override {
        if (subgraph == subgraph_ && op >= 0 && static_cast<size_t>(op) < nanoseconds_.size())
            nanoseconds_[static_cast<size_t>(op)] += nanoseconds;
    }
    const std::vector<int64_t>& totals() const { return nanoseconds_; }

private:
    int subgraph_;
    std::vector<int64_t> nanoseconds_;
};

void summariseOps(const CompiledModel& compiled, int subgraph, const std::vector<int64_t>& totals, int runs,
                  BenchmarkReport& report) {
    const Model& model = compiled.model();
    const Subgraph& graph = model.subgraphs[static_cast<size_t>(subgraph)];
    double sum = 0;
    for (int64_t total : totals) sum += static_cast<double>(total);
    double cumulative = 0;
    std::map<std::string, OpTypeTiming> byType;
    for (size_t o = 0; o < graph.ops.size(); ++o) {
        const Op& op = graph.ops[o];
        OpTiming timing;
        timing.index = op.sourceIndex >= 0 ? op.sourceIndex : static_cast<int>(o);
        timing.type = model.runtimeOpName(op);
        if (!op.outputs.empty() && op.outputs[0] >= 0) timing.name = graph.tensors[static_cast<size_t>(op.outputs[0])].name;
        timing.accelerator = std::string(compiled.acceleratorOf(subgraph, static_cast<int>(o)));
        timing.averageMs = static_cast<double>(totals[o]) / 1e6 / std::max(runs, 1);
        timing.share = sum > 0 ? static_cast<double>(totals[o]) / sum : 0;
        cumulative += timing.share;
        timing.cumulativeShare = cumulative;
        OpTypeTiming& type = byType[timing.type];
        type.type = timing.type;
        type.count += 1;
        type.averageMs += timing.averageMs;
        type.share += timing.share;
        report.ops.push_back(timing);
    }
    for (auto& [name, timing] : byType) report.opTypes.push_back(timing);
    std::sort(report.opTypes.begin(), report.opTypes.end(),
              [](const OpTypeTiming& a, const OpTypeTiming& b) { return a.averageMs > b.averageMs; });
}

}  // namespace

Status fillBenchmarkInput(CompiledModel& model, int subgraph, int tensorIndex, uint32_t& state) {
    RuntimeTensor& tensor = model.tensor(subgraph, tensorIndex);
    if (tensor.type != DataType::String) {
        fillBenchmarkInput(tensor.data, tensor.bytes, tensor.type, state);
        return Status::ok();
    }
    std::vector<std::string> strings(static_cast<size_t>(std::max<int64_t>(tensor.elementCount(), 0)));
    for (std::string& text : strings) text = std::to_string(nextRandom(state) >> 16);
    return model.setInput(subgraph, tensorIndex, makeStringBuffer(strings));
}

void fillBenchmarkInput(uint8_t* data, size_t bytes, DataType type, uint32_t& state) {
    size_t bits = static_cast<size_t>(dataTypeBits(type));
    size_t count = bits >= 8 ? bytes / (bits / 8) : bytes;
    for (size_t i = 0; i < count; ++i) {
        uint32_t s = nextRandom(state);
        switch (type) {
        case DataType::Float32: {
            float value = static_cast<float>(s >> 8) / 16777216.0f * 2.0f - 1.0f;
            std::memcpy(data + i * 4, &value, 4);
            break;
        }
        case DataType::UInt8:
        case DataType::Int8: data[i] = static_cast<uint8_t>(s >> 24); break;
        case DataType::Bool: data[i] = static_cast<uint8_t>(s >> 31); break;
        case DataType::Int32: {
            int32_t value = static_cast<int32_t>(s >> 30);
            std::memcpy(data + i * 4, &value, 4);
            break;
        }
        case DataType::Int64: {
            int64_t value = static_cast<int64_t>(s >> 30);
            std::memcpy(data + i * 8, &value, 8);
            break;
        }
        case DataType::Int16: {
            int16_t value = static_cast<int16_t>(s >> 16);
            std::memcpy(data + i * 2, &value, 2);
            break;
        }
        default:
            if (bits >= 8) std::memset(data + i * (bits / 8), 0, bits / 8);
            else data[i] = 0;
            break;
        }
    }
}

Benchmark::Benchmark(std::shared_ptr<const Environment> environment, BenchmarkOptions options, std::string appVersion)
    : environment_(std::move(environment)), options_(std::move(options)), appVersion_(std::move(appVersion)) {}

void Benchmark::cancel() {
    cancelled_ = true;
    std::lock_guard<std::mutex> lock(currentMutex_);
    if (current_) current_->cancel();
}

Expected<BenchmarkReport> Benchmark::run(const std::string& modelPath, const RunCallback& onRun) {
    if (options_.runs < 1) return Status::error("bench: the run count must be at least 1");
    if (options_.warmupRuns < 0) return Status::error("bench: the warm-up count cannot be negative");
    BenchmarkReport report;
    report.appVersion = appVersion_;
    report.machine = currentMachine();
    report.modelPath = modelPath;
    report.accelerator = options_.accelerator;
    report.threads = options_.threads;
    report.runsRequested = options_.runs;
    report.minSeconds = options_.minSeconds;
    report.warmupRunsRequested = options_.warmupRuns;
    report.opProfile = options_.opProfile;

    auto start = Clock::now();
    auto file = openModelFile(modelPath);
    if (!file) return file.status();
    if (!file->model) return Status::error(modelPath + ": bench takes a .tflite model; this is an LLM bundle (use llm-bench)");
    report.loadMs = millisecondsSince(start);
    report.modelBytes = file->fileSize;

    start = Clock::now();
    CompileOptions compileOptions;
    compileOptions.accelerators = options_.acceleratorChain;
    compileOptions.threads = options_.threads;
    auto compiled = CompiledModel::create(environment_, file->model, compileOptions);
    if (!compiled) return compiled.status();
    CompiledModel& model = **compiled;
    int entryIndex = model.findEntry(options_.signature);
    if (entryIndex < 0) return Status::error(modelPath + ": no signature '" + options_.signature + "'");
    const EntryPoint& entry = model.entryPoints()[static_cast<size_t>(entryIndex)];
    report.signature = entry.key;
    uint32_t state = 1;
    for (const SignatureTensor& input : entry.inputs)
        LS_RETURN_IF_ERROR(fillBenchmarkInput(model, entry.subgraph, input.tensor, state));
    report.initMs = millisecondsSince(start);
    report.arenaBytes = model.arenaBytes();
    report.arenaLowerBoundBytes = model.arenaLowerBoundBytes();
    {
        std::lock_guard<std::mutex> lock(currentMutex_);
        current_ = &model;
    }
    struct Forget {
        Benchmark* self;
        ~Forget() {
            std::lock_guard<std::mutex> lock(self->currentMutex_);
            self->current_ = nullptr;
        }
    } forget{this};

    auto timedRun = [&](double& milliseconds) -> Status {
        auto runStart = Clock::now();
        Status status = model.run(entryIndex);
        milliseconds = millisecondsSince(runStart);
        return status;
    };
    auto stopped = [&](const Status& status) { return !status && cancelled_; };

    if (cancelled_) {
        report.cancelled = true;
        return report;
    }
    Status status = timedRun(report.firstRunMs);
    if (stopped(status)) {
        report.cancelled = true;
        return report;
    }
    if (!status) return status;
    if (onRun) onRun({RunPhase::First, 0, report.firstRunMs, options_.runs, 0});

    std::vector<double> warmup;
    auto phaseStart = Clock::now();
    while (!cancelled_ && (static_cast<int>(warmup.size()) < options_.warmupRuns ||
                           millisecondsSince(phaseStart) < options_.warmupMinSeconds * 1000)) {
        double milliseconds = 0;
        status = timedRun(milliseconds);
        if (stopped(status)) break;
        if (!status) return status;
        warmup.push_back(milliseconds);
        if (onRun) onRun({RunPhase::Warmup, static_cast<int>(warmup.size()) - 1, milliseconds, options_.runs, 0});
    }
    report.warmup = computeStatistics(warmup);

    OpTimeCollector collector(entry.subgraph, model.model().subgraphs[static_cast<size_t>(entry.subgraph)].ops.size());
    if (options_.opProfile) model.setProfiler(&collector);
    phaseStart = Clock::now();
    while (!cancelled_) {
        double elapsed = millisecondsSince(phaseStart) / 1000;
        bool enoughRuns = static_cast<int>(report.steadyLatenciesMs.size()) >= options_.runs;
        if ((enoughRuns && elapsed >= options_.minSeconds) || (elapsed >= options_.maxSeconds && !report.steadyLatenciesMs.empty()))
            break;
        double milliseconds = 0;
        status = timedRun(milliseconds);
        if (stopped(status)) break;
        if (!status) {
            model.setProfiler(nullptr);
            return status;
        }
        report.steadyLatenciesMs.push_back(milliseconds);
        if (onRun)
            onRun({RunPhase::Steady, static_cast<int>(report.steadyLatenciesMs.size()) - 1, milliseconds, options_.runs,
                   millisecondsSince(phaseStart) / 1000});
    }
    model.setProfiler(nullptr);
    report.cancelled = cancelled_;
    report.steady = computeStatistics(report.steadyLatenciesMs);
    if (options_.opProfile && !report.steadyLatenciesMs.empty())
        summariseOps(model, entry.subgraph, collector.totals(), static_cast<int>(report.steadyLatenciesMs.size()), report);
    report.peakResidentBytes = peakResidentBytes();
    return report;
}

}  // namespace litestudio

// Where two threads lose time, op by op. Every parallel loop the cpu
// accelerator's kernels run is timed per thread: inside a thread session
// through its observer (accelerators/cpu/thread_session.h), outside one
// through pthreadpool's 1d, 1d tile, 2d and 2d tile calls, wrapped here.
// Per loop: the time inside its tasks, how long after the loop began each
// thread's first task started, and how long before it returned each
// thread's last task ended. Summed over
// both threads and set against the one-thread run, the busy time says
// whether an op loses in its work (data the other core holds, two cores
// slowing each other) or in waiting (a late start, a short share, the
// pool's hand-over). XNNPACK's ops are timed the same where they use these
// four calls; through the pool's others (its GEMMs' 2d tile 2d, say) they
// show their op's time alone.
//
//   thread_work MODEL [RUNS] [MIN_MS]   (100 runs; ops from 0.01 ms shown)
//
// The one-thread runs come first, then the two-thread runs, so that the
// second pool's spinning worker never shares a core with a one-thread run.
#include <dlfcn.h>
#include <pthreadpool.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/bench/benchmark.h"
#include "core/format/model_file.h"
#include "core/runtime/compiled_model.h"

namespace {

using namespace litestudio;

constexpr int kThreads = 2;

int64_t nowNanoseconds() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One line each: threads that tally into one line would slow each other.
struct alignas(128) ThreadTally {
    int64_t busy = 0, first = std::numeric_limits<int64_t>::max(), last = 0;
    int tasks = 0;
};

struct Dispatch {
    void* task = nullptr;
    void* context = nullptr;
    int64_t start = 0;
    ThreadTally threads[kThreads];
};

struct OpTally {
    int64_t busy[kThreads] = {}, startDelay[kThreads] = {}, endGap[kThreads] = {};
    int64_t profiled = 0;  // the op's own time, from the runtime's profiler
    int dispatches = 0;
};

// The runtime runs one op at a time, and an op's dispatches one at a time.
Dispatch* current = nullptr;
bool recording = false;
OpTally inProgress;

std::atomic<int> nextThread{0};
thread_local int threadIndex = -1;
int thisThread() {
    if (threadIndex < 0) threadIndex = nextThread++;
    return std::min(threadIndex, kThreads - 1);
}

void tallyTask(int thread, int64_t start, int64_t end) {
    ThreadTally& tally = current->threads[thread];
    tally.busy += end - start;
    tally.first = std::min(tally.first, start);
    tally.last = std::max(tally.last, end);
    ++tally.tasks;
}

void finishDispatch(const Dispatch& dispatch, int64_t end) {
    ++inProgress.dispatches;
    for (int t = 0; t < kThreads; ++t) {
        const ThreadTally& tally = dispatch.threads[t];
        if (tally.tasks == 0) continue;
        inProgress.busy[t] += tally.busy;
        inProgress.startDelay[t] += tally.first - dispatch.start;
        inProgress.endGap[t] += end - tally.last;
    }
}

template <typename Function>
Function realFunction(const char* name) {
    return reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
}

// Runs `call` (the pool's real function over a timing task) as one dispatch.
template <typename Call>
void timedDispatch(void* task, void* context, Call call) {
    Dispatch dispatch;
    dispatch.task = task;
    dispatch.context = context;
    current = &dispatch;
    dispatch.start = nowNanoseconds();
    call();
    finishDispatch(dispatch, nowNanoseconds());
    current = nullptr;
}

// The task the pool runs in place of the op's: it times the op's own.
template <typename Task, typename... Index>
void timedTask(void*, Index... index) {
    const int64_t start = nowNanoseconds();
    reinterpret_cast<Task>(current->task)(current->context, index...);
    tallyTask(thisThread(), start, nowNanoseconds());
}

// A thread session's loops, timed the same way; its own pool dispatch (the
// whole session) is not a loop.
bool inSessionDispatch = false;
Dispatch sessionLoop;

class SessionObserver : public cpu::ThreadSession::Observer {
public:
    void sessionStarting() override { inSessionDispatch = true; }
    void sessionEnded() override { inSessionDispatch = false; }
    void loopStarted() override {
        if (!recording) return;
        sessionLoop = Dispatch{};
        current = &sessionLoop;
        sessionLoop.start = nowNanoseconds();
    }
    void itemRan(size_t thread, int64_t start, int64_t end) override {
        if (recording) tallyTask(std::min(static_cast<int>(thread), kThreads - 1), start, end);
    }
    void loopEnded() override {
        if (!recording) return;
        finishDispatch(sessionLoop, nowNanoseconds());
        current = nullptr;
    }
};

class Profiler : public OpProfiler {
public:
    explicit Profiler(size_t ops) : ops_(ops) {}
    void opFinished(int subgraph, int op, int64_t nanoseconds) override {
        if (subgraph == 0 && op >= 0 && static_cast<size_t>(op) < ops_.size()) {
            OpTally& tally = ops_[static_cast<size_t>(op)];
            for (int t = 0; t < kThreads; ++t) {
                tally.busy[t] += inProgress.busy[t];
                tally.startDelay[t] += inProgress.startDelay[t];
                tally.endGap[t] += inProgress.endGap[t];
            }
            tally.profiled += nanoseconds;
            tally.dispatches += inProgress.dispatches;
        }
        inProgress = OpTally{};
    }
    const std::vector<OpTally>& ops() const { return ops_; }

private:
    std::vector<OpTally> ops_;
};

}  // namespace

// The pool's calls the cpu accelerator's kernels make, each through a task
// that times the real one.
extern "C" {

void pthreadpool_parallelize_1d(pthreadpool_t pool, pthreadpool_task_1d_t task, void* context, size_t range, uint32_t flags) {
    static const auto real = realFunction<void (*)(pthreadpool_t, pthreadpool_task_1d_t, void*, size_t, uint32_t)>(__func__);
    if (!recording || inSessionDispatch) return real(pool, task, context, range, flags);
    timedDispatch(reinterpret_cast<void*>(task), context, [&] {
        real(pool, timedTask<pthreadpool_task_1d_t, size_t>, nullptr, range, flags);
    });
}

void pthreadpool_parallelize_1d_tile_1d(pthreadpool_t pool, pthreadpool_task_1d_tile_1d_t task, void* context, size_t range, size_t tile,
                                        uint32_t flags) {
    static const auto real = realFunction<void (*)(pthreadpool_t, pthreadpool_task_1d_tile_1d_t, void*, size_t, size_t, uint32_t)>(__func__);
    if (!recording) return real(pool, task, context, range, tile, flags);
    timedDispatch(reinterpret_cast<void*>(task), context, [&] {
        real(pool, timedTask<pthreadpool_task_1d_tile_1d_t, size_t, size_t>, nullptr, range, tile, flags);
    });
}

void pthreadpool_parallelize_2d(pthreadpool_t pool, pthreadpool_task_2d_t task, void* context, size_t rangeI, size_t rangeJ, uint32_t flags) {
    static const auto real = realFunction<void (*)(pthreadpool_t, pthreadpool_task_2d_t, void*, size_t, size_t, uint32_t)>(__func__);
    if (!recording) return real(pool, task, context, rangeI, rangeJ, flags);
    timedDispatch(reinterpret_cast<void*>(task), context, [&] {
        real(pool, timedTask<pthreadpool_task_2d_t, size_t, size_t>, nullptr, rangeI, rangeJ, flags);
    });
}

void pthreadpool_parallelize_2d_tile_1d(pthreadpool_t pool, pthreadpool_task_2d_tile_1d_t task, void* context, size_t rangeI, size_t rangeJ,
                                        size_t tileJ, uint32_t flags) {
    static const auto real =
        realFunction<void (*)(pthreadpool_t, pthreadpool_task_2d_tile_1d_t, void*, size_t, size_t, size_t, uint32_t)>(__func__);
    if (!recording) return real(pool, task, context, rangeI, rangeJ, tileJ, flags);
    timedDispatch(reinterpret_cast<void*>(task), context, [&] {
        real(pool, timedTask<pthreadpool_task_2d_tile_1d_t, size_t, size_t, size_t>, nullptr, rangeI, rangeJ, tileJ, flags);
    });
}

}  // extern "C"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: thread_work MODEL [RUNS] [MIN_MS]\n");
        return 2;
    }
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 100;
    const double minimumMs = argc > 3 ? std::atof(argv[3]) : 0.01;
    auto file = openModelFile(argv[1]);
    if (!file) {
        std::fprintf(stderr, "error: %s\n", file.status().message().c_str());
        return 1;
    }
    thisThread();  // the caller is thread 0 of both pools
    SessionObserver observer;
    cpu::ThreadSession::observe(&observer);
    const size_t ops = file->model->subgraphs.empty() ? 0 : file->model->subgraphs[0].ops.size();
    std::vector<std::unique_ptr<Profiler>> profilers;
    std::unique_ptr<CompiledModel> models[kThreads];
    int64_t runNanoseconds[kThreads] = {};
    for (int threads = 1; threads <= kThreads; ++threads) {
        CompileOptions options;
        options.accelerators = {"cpu", "reference"};
        options.threads = threads;
        auto model = CompiledModel::create(cpu::createStandardEnvironment(), file->model, options);
        if (!model) {
            std::fprintf(stderr, "error: %s\n", model.status().message().c_str());
            return 1;
        }
        uint32_t seed = 1;
        const EntryPoint& entry = (*model)->entryPoints()[0];
        for (const auto& input : entry.inputs) fillBenchmarkInput(**model, entry.subgraph, input.tensor, seed);
        for (int warmup = 0; warmup < 5; ++warmup)
            if (Status status = (*model)->run(0); !status) {
                std::fprintf(stderr, "error: %s\n", status.message().c_str());
                return 1;
            }
        profilers.push_back(std::make_unique<Profiler>(ops));
        (*model)->setProfiler(profilers.back().get());
        recording = true;
        const int64_t start = nowNanoseconds();
        for (int run = 0; run < runs; ++run) (void)(*model)->run(0);
        runNanoseconds[threads - 1] = nowNanoseconds() - start;
        recording = false;
        (*model)->setProfiler(nullptr);
        models[threads - 1] = std::move(*model);
    }
    const auto ms = [runs](int64_t nanoseconds) { return static_cast<double>(nanoseconds) / 1e6 / runs; };
    std::printf("%s, %d runs each: a run takes %.3f ms on one thread, %.3f on two (%.2fx)\n", argv[1], runs, ms(runNanoseconds[0]),
                ms(runNanoseconds[1]), static_cast<double>(runNanoseconds[0]) / static_cast<double>(std::max<int64_t>(1, runNanoseconds[1])));
    std::printf("ms a run; busy: time inside the op's tasks, summed over the threads; late start: from each dispatch's start to each\n"
                "thread's first task; early end: from each thread's last task to the dispatch's return (both summed over the threads)\n");
    std::printf("%4s  %-44s %9s | %9s %5s %9s %7s %10s %9s\n", "op", "op (as it runs)", "1 thread", "2 threads", "calls", "busy", "busy/1t",
                "late start", "early end");
    double totals[5] = {};
    for (size_t op = 0; op < ops; ++op) {
        const OpTally& one = profilers[0]->ops()[op];
        const OpTally& two = profilers[1]->ops()[op];
        const double oneMs = ms(one.profiled), twoMs = ms(two.profiled);
        const double busy = ms(two.busy[0] + two.busy[1]);
        const double lateStart = ms(two.startDelay[0] + two.startDelay[1]), earlyEnd = ms(two.endGap[0] + two.endGap[1]);
        totals[0] += oneMs, totals[1] += twoMs, totals[2] += busy, totals[3] += lateStart, totals[4] += earlyEnd;
        if (std::max(oneMs, twoMs) < minimumMs) continue;
        const std::string name = models[0]->model().runtimeOpName(models[0]->model().subgraphs[0].ops[op]).substr(0, 44);
        if (two.dispatches == 0)
            std::printf("%4zu  %-44s %9.4f | %9.4f %5d %9s %7s %10s %9s\n", op, name.c_str(), oneMs, twoMs, 0, "-", "-", "-", "-");
        else if (one.dispatches == 0)  // on one thread a kernel that dispatches nothing (XNNPACK's, or an inline loop): no busy time to compare
            std::printf("%4zu  %-44s %9.4f | %9.4f %5.1f %9.4f %7s %10.4f %9.4f\n", op, name.c_str(), oneMs, twoMs,
                        static_cast<double>(two.dispatches) / runs, busy, "-", lateStart, earlyEnd);
        else
            std::printf("%4zu  %-44s %9.4f | %9.4f %5.1f %9.4f %6.2fx %10.4f %9.4f\n", op, name.c_str(), oneMs, twoMs,
                        static_cast<double>(two.dispatches) / runs, busy, busy / ms(one.busy[0]), lateStart, earlyEnd);
    }
    std::printf("all ops: %.3f ms on one thread; on two %.3f, busy %.3f, late starts %.3f, early ends %.3f\n", totals[0], totals[1], totals[2],
                totals[3], totals[4]);
    return 0;
}

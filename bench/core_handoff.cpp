// What handing data from one core to the other costs on this host, for the
// 1 -> 2 thread column of compare_litert.sh. Two threads pinned to cores 0
// and 1 take steps over a buffer in halves, a spinning barrier between
// steps, as the ops of a two-thread inference do: each step reads one
// buffer and writes the other. With "own halves" each thread keeps its half
// every step, so it reads what it wrote itself; with "swapped halves" the
// halves change hands every step, so every step reads what the other core
// wrote, as an op does that splits its work differently from the op before
// it. One thread doing both halves is the reference.
//
// On the Zen 5 EPYC of the twenty-sixth session, with both cores equally
// fast alone, this read 19.5-20.9 against 2.8-2.9 us a step (6.7-7.4x) in
// stretches when pose detection ran only 1.12-1.20x faster on two threads
// than on one, and 6.25 against 2.36 us (2.6x) in a minute when it ran
// 1.68x faster.
//
// A second line runs a depthwise layer's pattern on the two cores with no
// data handed over at all (printDepthwiseProbe): whether the host slows
// two cores that only work near each other.
//
//   core_handoff [KIB] [--handoff-only]   (default 256; --handoff-only
//   leaves out the depthwise line, for compare_litert.sh's readings
//   around each round)
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace {

constexpr int kSteps = 2000;
constexpr int kRepeats = 5;

// A spin-wait hint; sched_yield would be a system call a turn.
inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

bool pinTo(int core) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// A sense-reversing barrier for two threads that spin, as a pool's workers
// do between the ops of one inference.
class SpinBarrier {
public:
    explicit SpinBarrier(int threads) : threads_(threads) {}
    void wait() {
        const int generation = generation_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == threads_) {
            arrived_.store(0, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_acq_rel);
            return;
        }
        while (generation_.load(std::memory_order_acquire) == generation) relax();
    }

private:
    const int threads_;
    std::atomic<int> arrived_{0};
    std::atomic<int> generation_{0};
};

// A little arithmetic on every value read, so that a step is not only copying.
void step(const float* in, float* out, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) out[i] = in[i] * 0.999f + 0.001f;
}

// Microseconds a step, the best of kRepeats runs of kSteps: `step(id, s)`
// does thread id's part of step s, and the threads (pinned to cores 0 and
// 1 when there are two) meet at a spinning barrier after every step.
template <typename Step>
double bestStepMicroseconds(int threads, const Step& step) {
    double best = 1e30;
    for (int repeat = 0; repeat < kRepeats; ++repeat) {
        SpinBarrier barrier(threads);
        double microseconds = 0;
        auto body = [&](int id) {
            if (threads > 1) pinTo(id);
            barrier.wait();
            const auto start = std::chrono::steady_clock::now();
            for (int s = 0; s < kSteps; ++s) {
                step(id, s);
                barrier.wait();
            }
            if (id == 0) microseconds = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / kSteps;
        };
        if (threads == 1) {
            body(0);
        } else {
            std::thread worker(body, 1);
            body(0);
            worker.join();
        }
        best = std::min(best, microseconds);
    }
    return best;
}

double stepMicroseconds(std::vector<float>& a, std::vector<float>& b, int threads, bool swapHalves) {
    const size_t half = a.size() / static_cast<size_t>(threads);
    return bestStepMicroseconds(threads, [&](int id, int s) {
        const float* in = (s & 1) ? b.data() : a.data();
        float* out = (s & 1) ? a.data() : b.data();
        const size_t part = swapHalves ? static_cast<size_t>(id ^ (s & 1)) : static_cast<size_t>(id);
        step(in, out, part * half, (part + 1) * half);
    });
}

// The same two cores on a depthwise layer's pattern: a 3x3 over a
// 14x14x288 float map, each step reading the map the step before wrote
// and writing the other, each thread the rows of one half with no row
// read across the halves, so that no cache line is shared. Either both
// threads take halves of the same two maps, as an op's tensors are split,
// or each thread has its own two maps, kApart bytes from the other's. On
// the Zen 5 EPYC of the thirty-first session, in minutes when the
// hand-over above cost 5.5-6.2x, halves of the same maps took 19.0-20.1 us
// a step against 15.7-16.5 for maps apart (one thread 30.7-31.1): the
// cores slowed each other on data that was only near; in minutes when it
// cost 2.0x, 15.5-15.6 against 15.4-15.5.
constexpr int kMapHeight = 14, kMapWidth = 14, kMapChannels = 288;
constexpr size_t kMapFloats = size_t{kMapHeight} * kMapWidth * kMapChannels;
constexpr size_t kApart = size_t{2} << 20;

#if defined(__x86_64__)
__attribute__((target("avx512f"))) void depthwiseRows(const float* in, float* out, int firstRow, int endRow) {
    const __m512 weight = _mm512_set1_ps(1.0f / 9), bias = _mm512_set1_ps(1.0f);  // values stay near 9/8: no denormals
    for (int y = firstRow; y < endRow; ++y)
        for (int c = 0; c < kMapChannels; c += 16)
            for (int x = 0; x < kMapWidth; ++x) {
                __m512 sum = bias;
                for (int iy = std::max(firstRow, y - 1); iy <= std::min(endRow - 1, y + 1); ++iy)
                    for (int ix = std::max(0, x - 1); ix <= std::min(kMapWidth - 1, x + 1); ++ix)
                        sum = _mm512_fmadd_ps(_mm512_loadu_ps(in + (size_t(iy) * kMapWidth + ix) * kMapChannels + c), weight, sum);
                _mm512_storeu_ps(out + (size_t(y) * kMapWidth + x) * kMapChannels + c, sum);
            }
}

// One thread over every row of maps[0] and maps[1], or two threads over
// the halves, thread t reading maps[2t] and writing maps[2t + 1] (or the
// reverse).
double depthwiseStepMicroseconds(float* const maps[4], int threads) {
    const int rows = kMapHeight / threads;
    return bestStepMicroseconds(threads, [&](int id, int s) {
        float* a = maps[2 * id];
        float* b = maps[2 * id + 1];
        depthwiseRows((s & 1) ? b : a, (s & 1) ? a : b, id * rows, (id + 1) * rows);
    });
}

void printDepthwiseProbe() {
    if (!__builtin_cpu_supports("avx512f")) {
        std::printf("depthwise pattern: not measured (needs AVX-512)\n");
        return;
    }
    std::vector<float> memory(kApart / sizeof(float) + 2 * kMapFloats, 1.0f);
    float* const shared[4] = {memory.data(), memory.data() + kMapFloats, memory.data(), memory.data() + kMapFloats};
    float* const apart[4] = {memory.data(), memory.data() + kMapFloats, memory.data() + kApart / sizeof(float),
                             memory.data() + kApart / sizeof(float) + kMapFloats};
    const double one = depthwiseStepMicroseconds(shared, 1);
    const double halves = depthwiseStepMicroseconds(shared, 2);
    const double separate = depthwiseStepMicroseconds(apart, 2);
    std::printf("depthwise pattern (3x3 over 14x14x288, a half of the rows each): one thread %.2f us a step; two threads on halves of "
                "the same maps %.2f us (%.2fx), on maps 2 MB apart %.2f us (%.2fx)\n",
                one, halves, one / halves, separate, one / separate);
}
#else
void printDepthwiseProbe() { std::printf("depthwise pattern: not measured (x86-64 only)\n"); }
#endif

}  // namespace

int main(int argc, char** argv) {
    const bool handoffOnly = argc > 2 && std::string_view(argv[2]) == "--handoff-only";
    const long kib = argc > 1 ? std::atol(argv[1]) : 256;
    if (kib < 8 || kib > 1 << 20 || (argc > 2 && !handoffOnly)) {
        std::fprintf(stderr, "usage: core_handoff [KIB] [--handoff-only] (KIB 8 to 1048576, default 256)\n");
        return 2;
    }
    if (std::thread::hardware_concurrency() < 2 || !pinTo(0)) {
        std::printf("core handoff: not measured (needs cores 0 and 1)\n");
        return 0;
    }
    const size_t floats = static_cast<size_t>(kib) * 1024 / sizeof(float) / 2 * 2;
    std::vector<float> a(floats, 1.0f), b(floats, 1.0f);
    const double one = stepMicroseconds(a, b, 1, false);
    const double own = stepMicroseconds(a, b, 2, false);
    const double swapped = stepMicroseconds(a, b, 2, true);
    std::printf("core handoff (%ld KB in halves, two pinned threads): one thread %.2f us a step; two threads, own halves %.2f us "
                "(%.2fx), swapped halves %.2f us (%.2fx); reading what the other core wrote costs %.1fx\n",
                kib, one, own, one / own, swapped, one / swapped, swapped / own);
    if (!handoffOnly) printDepthwiseProbe();
    return 0;
}

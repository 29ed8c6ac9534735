#include "accelerators/cpu/thread_session.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <limits>

namespace litestudio::cpu {

namespace {

thread_local ThreadSession* activeSession = nullptr;
ThreadSession::Observer* observer = nullptr;
std::atomic<size_t> narrowedLibraryCalls{0};

// How long a parked thread spins for the next loop before it sleeps. The
// gaps between one run's loops are microseconds; pthreadpool itself spins
// about this long after each dispatch. A sleeping thread costs the next
// loop one wake-up call and that thread's start, not a wait: the caller
// takes its items meanwhile.
constexpr auto kSpinBeforeSleeping = std::chrono::milliseconds(2);

constexpr uint64_t pack(size_t first, size_t end) { return static_cast<uint64_t>(first) << 32 | static_cast<uint64_t>(end); }

int64_t nowNanoseconds() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What the pool's dispatch of a session hands each thread.
struct SessionCall {
    ThreadSession* session;
    const std::function<Status()>* steps;
    Status status = Status::ok();
};

}  // namespace

ThreadSession::ThreadSession(pthreadpool_t pool)
    : pool_(pool), threads_(pool ? std::max<size_t>(pthreadpool_get_threads_count(pool), 1) : 1),
      shares_(std::make_unique<Share[]>(threads_)) {}

ThreadSession* ThreadSession::active() { return activeSession; }

void ThreadSession::observe(Observer* newObserver) { observer = newObserver; }

Status ThreadSession::run(const std::function<Status()>& steps) {
    if (activeSession || threads_ < 2) return steps();
    finished_.store(false, std::memory_order_relaxed);
    SessionCall call{this, &steps};
    if (observer) observer->sessionStarting();
    // One item a thread: pthreadpool gives the caller item 0 (the steps),
    // each worker one of the rest (serving). A worker that starts after the
    // steps are done finds the session finished and returns at once.
    pthreadpool_parallelize_1d(pool_, sessionTask, &call, threads_, 0);
    if (observer) observer->sessionEnded();
    return call.status;
}

void ThreadSession::sessionTask(void* argument, size_t index) {
    auto& call = *static_cast<SessionCall*>(argument);
    ThreadSession& session = *call.session;
    if (index != 0) return session.serve(index);
    activeSession = &session;
    call.status = (*call.steps)();
    activeSession = nullptr;
    session.finished_.store(true, std::memory_order_seq_cst);
    if (session.parked_.load(std::memory_order_seq_cst) > 0) session.wakeParked();
}

void ThreadSession::wakeParked() {
    { std::lock_guard<std::mutex> lock(parkMutex_); }
    parkSignal_.notify_all();
}

void ThreadSession::parallelize(const Job& job, size_t count) {
    if (count == 0) return;
    if (observer) observer->loopStarted();
    if (threads_ < 2 || count == 1 || count > std::numeric_limits<uint32_t>::max()) {
        for (size_t item = 0; item < count; ++item) runItem(0, job, item);
        if (observer) observer->loopEnded();
        return;
    }
    job_.store(&job, std::memory_order_relaxed);
    completed_.store(0, std::memory_order_relaxed);
    for (size_t t = 0; t < threads_; ++t)
        shares_[t].range.store(pack(count * t / threads_, count * (t + 1) / threads_), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (parked_.load(std::memory_order_seq_cst) > 0) wakeParked();
    // The caller counts its own items at the end; the others count each one
    // as they finish it, so a thread that never woke holds nothing up.
    const size_t ranHere = work(0, false);
    while (completed_.load(std::memory_order_acquire) + ranHere != count) _mm_pause();
    if (observer) observer->loopEnded();
}

void ThreadSession::runItem(size_t thread, const Job& job, size_t item) {
    if (!observer) return job.runItem(job, item);
    const int64_t start = nowNanoseconds();
    job.runItem(job, item);
    observer->itemRan(thread, start, nowNanoseconds());
}

size_t ThreadSession::runAvailable(size_t thread, Share& share, bool fromFront, bool countEach) {
    size_t ran = 0;
    uint64_t range = share.range.load(std::memory_order_relaxed);
    for (;;) {
        const auto first = static_cast<uint32_t>(range >> 32), end = static_cast<uint32_t>(range);
        if (first >= end) return ran;
        const uint64_t rest = fromFront ? pack(first + 1, end) : pack(first, end - 1);
        if (!share.range.compare_exchange_weak(range, rest, std::memory_order_acq_rel, std::memory_order_relaxed)) continue;
        // Read after taking the item: the caller stores the job before the
        // shares and changes it only once every item is counted.
        const Job& job = *job_.load(std::memory_order_relaxed);
        runItem(thread, job, fromFront ? first : end - 1);
        ++ran;
        if (countEach) completed_.fetch_add(1, std::memory_order_release);
        range = share.range.load(std::memory_order_relaxed);
    }
}

size_t ThreadSession::work(size_t thread, bool countEach) {
    size_t ran = runAvailable(thread, shares_[thread], true, countEach);
    for (size_t step = 1; step < threads_; ++step) ran += runAvailable(thread, shares_[(thread + step) % threads_], false, countEach);
    return ran;
}

void ThreadSession::serve(size_t thread) {
    uint64_t seen = 0;
    auto idleSince = std::chrono::steady_clock::now();
    for (unsigned spins = 1;; ++spins) {
        const uint64_t generation = generation_.load(std::memory_order_acquire);
        if (generation != seen) {
            seen = generation;
            work(thread, true);
            idleSince = std::chrono::steady_clock::now();
            continue;
        }
        if (finished_.load(std::memory_order_acquire)) return;
        _mm_pause();
        if (spins % 1024 != 0 || std::chrono::steady_clock::now() - idleSince < kSpinBeforeSleeping) continue;
        std::unique_lock<std::mutex> lock(parkMutex_);
        parked_.fetch_add(1, std::memory_order_seq_cst);
        parkSignal_.wait(lock, [&] {
            return generation_.load(std::memory_order_seq_cst) != seen || finished_.load(std::memory_order_seq_cst);
        });
        parked_.fetch_sub(1, std::memory_order_relaxed);
        idleSince = std::chrono::steady_clock::now();
    }
}

namespace {

ThreadSession* sessionOf(pthreadpool_t pool) {
    ThreadSession* session = activeSession;
    return session && pool && session->pool() == pool ? session : nullptr;
}

bool multiplies(size_t a, size_t b, size_t& product) { return !__builtin_mul_overflow(a, b, &product); }

}  // namespace

// Empty loops return before pthreadpool, which asserts on a 2d loop with
// one range 0 and the other above 1 (its one-thread test is range_i | range_j <= 1).
void parallelize1d(pthreadpool_t pool, pthreadpool_task_1d_t task, void* argument, size_t range) {
    if (range == 0) return;
    ThreadSession* session = sessionOf(pool);
    if (!session) return pthreadpool_parallelize_1d(pool, task, argument, range, 0);
    const ThreadSession::Job job{[](const ThreadSession::Job& job, size_t item) {
                                     reinterpret_cast<pthreadpool_task_1d_t>(job.task)(job.argument, item);
                                 },
                                 reinterpret_cast<void*>(task), argument, range, 0, 0};
    session->parallelize(job, range);
}

void parallelize1dTile1d(pthreadpool_t pool, pthreadpool_task_1d_tile_1d_t task, void* argument, size_t range, size_t tile) {
    if (range == 0) return;
    ThreadSession* session = sessionOf(pool);
    if (!session) return pthreadpool_parallelize_1d_tile_1d(pool, task, argument, range, tile, 0);
    tile = std::max<size_t>(tile, 1);
    const ThreadSession::Job job{[](const ThreadSession::Job& job, size_t item) {
                                     const size_t first = item * job.b;
                                     reinterpret_cast<pthreadpool_task_1d_tile_1d_t>(job.task)(job.argument, first,
                                                                                                std::min(job.b, job.a - first));
                                 },
                                 reinterpret_cast<void*>(task), argument, range, tile, 0};
    session->parallelize(job, range / tile + (range % tile != 0));
}

void parallelize2d(pthreadpool_t pool, pthreadpool_task_2d_t task, void* argument, size_t rangeI, size_t rangeJ) {
    if (rangeI == 0 || rangeJ == 0) return;
    ThreadSession* session = sessionOf(pool);
    size_t count = 0;
    if (!session || !multiplies(rangeI, rangeJ, count)) return pthreadpool_parallelize_2d(session ? nullptr : pool, task, argument, rangeI, rangeJ, 0);
    const ThreadSession::Job job{[](const ThreadSession::Job& job, size_t item) {
                                     reinterpret_cast<pthreadpool_task_2d_t>(job.task)(job.argument, item / job.b, item % job.b);
                                 },
                                 reinterpret_cast<void*>(task), argument, rangeI, rangeJ, 0};
    session->parallelize(job, count);
}

void parallelize2dTile1d(pthreadpool_t pool, pthreadpool_task_2d_tile_1d_t task, void* argument, size_t rangeI, size_t rangeJ,
                         size_t tileJ) {
    if (rangeI == 0 || rangeJ == 0) return;
    ThreadSession* session = sessionOf(pool);
    tileJ = std::max<size_t>(tileJ, 1);
    const size_t tiles = rangeJ / tileJ + (rangeJ % tileJ != 0);
    size_t count = 0;
    if (!session || !multiplies(rangeI, tiles, count))
        return pthreadpool_parallelize_2d_tile_1d(session ? nullptr : pool, task, argument, rangeI, rangeJ, tileJ, 0);
    // a: tiles a row (rangeI is not needed per item).
    const ThreadSession::Job job{[](const ThreadSession::Job& job, size_t item) {
                                     const size_t i = item / job.a, first = item % job.a * job.c;
                                     reinterpret_cast<pthreadpool_task_2d_tile_1d_t>(job.task)(job.argument, i, first,
                                                                                                std::min(job.c, job.b - first));
                                 },
                                 reinterpret_cast<void*>(task), argument, tiles, rangeJ, tileJ};
    session->parallelize(job, count);
}

pthreadpool_t poolForLibrary(pthreadpool_t pool) {
    if (!sessionOf(pool)) return pool;
    narrowedLibraryCalls.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
}

size_t libraryCallsNarrowedInSessions() { return narrowedLibraryCalls.load(std::memory_order_relaxed); }

}  // namespace litestudio::cpu

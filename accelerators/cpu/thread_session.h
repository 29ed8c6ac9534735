#pragma once
// A thread session keeps the cpu accelerator's pool threads with a run of
// its ops: one pthreadpool dispatch parks the pool's other threads in a
// spinning loop, the calling thread runs the ops one after another, and
// each parallel loop inside them goes to the parked threads through shared
// memory alone. pthreadpool wakes its workers with two FUTEX_WAKE calls a
// loop even when they spin; pose detection makes 82 loops a run, and those
// calls (about 1.08 us each) were most of what kept it under 1.7x on two
// threads.
//
// Kernels reach the pool through the parallelize* functions below, never
// pthreadpool_parallelize_* directly: inside a session those go to the
// session, outside one to pthreadpool. A library given the pool (XNNPACK's
// operators) would call pthreadpool while the session holds it and wait
// forever; such kernels say so (KernelDef::runsOutsideThreadSessions), the
// runtime ends a session before them, and poolForLibrary() is the net that
// keeps a forgotten one correct (on one thread) rather than stuck.

#include <pthreadpool.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "core/support/status.h"

namespace litestudio::cpu {

class ThreadSession {
public:
    // `pool` may be null (one thread: sessions just run their steps).
    explicit ThreadSession(pthreadpool_t pool);
    ThreadSession(const ThreadSession&) = delete;
    ThreadSession& operator=(const ThreadSession&) = delete;

    // Runs `steps` on the calling thread with the pool's other threads
    // serving the parallel loops inside; returns what `steps` returns.
    // Inside a session already (on this thread), just runs them.
    Status run(const std::function<Status()>& steps);

    // One parallel loop, for the parallelize* functions: items [0, count)
    // of `job` over this session's threads, the caller's first share first.
    struct Job {
        void (*runItem)(const Job& job, size_t item);
        void* task;
        void* argument;
        size_t a, b, c;  // the loop's ranges and tile, as the task needs them
    };
    void parallelize(const Job& job, size_t count);

    pthreadpool_t pool() const { return pool_; }
    size_t threads() const { return threads_; }

    // The session running on the calling thread's steps, or null.
    static ThreadSession* active();

    // For bench/thread_work, which times each loop's items per thread:
    // told when a session starts and ends, and of each loop and item a
    // session runs (thread 0 is the caller; times on steady_clock). Set
    // before any session runs; null, the default, costs a load an item.
    class Observer {
    public:
        virtual ~Observer() = default;
        virtual void sessionStarting() = 0;
        virtual void sessionEnded() = 0;
        virtual void loopStarted() = 0;
        virtual void itemRan(size_t thread, int64_t startNanoseconds, int64_t endNanoseconds) = 0;
        virtual void loopEnded() = 0;
    };
    static void observe(Observer* observer);

private:
    struct alignas(128) Share {
        std::atomic<uint64_t> range{0};  // first item << 32 | end item
    };
    static void sessionTask(void* argument, size_t index);
    void serve(size_t thread);
    // Takes and runs items, `thread`'s own share from the front first, then
    // the others' from the back; returns how many it ran. Threads but the
    // caller count each in completed_ as it ends (countEach).
    size_t work(size_t thread, bool countEach);
    size_t runAvailable(size_t thread, Share& share, bool fromFront, bool countEach);
    void wakeParked();
    void runItem(size_t thread, const Job& job, size_t item);

    pthreadpool_t pool_;
    size_t threads_;
    std::unique_ptr<Share[]> shares_;
    alignas(128) std::atomic<uint64_t> generation_{0};
    alignas(128) std::atomic<size_t> completed_{0};
    alignas(128) std::atomic<const Job*> job_{nullptr};
    std::atomic<bool> finished_{false};
    std::atomic<int> parked_{0};
    std::mutex parkMutex_;
    std::condition_variable parkSignal_;
};

// pthreadpool_parallelize_* with the same meaning (no flags): on the active
// session of `pool` where there is one, else on pthreadpool. An empty range
// runs nothing (pthreadpool would assert on some).
void parallelize1d(pthreadpool_t pool, pthreadpool_task_1d_t task, void* argument, size_t range);
void parallelize1dTile1d(pthreadpool_t pool, pthreadpool_task_1d_tile_1d_t task, void* argument, size_t range, size_t tile);
void parallelize2d(pthreadpool_t pool, pthreadpool_task_2d_t task, void* argument, size_t rangeI, size_t rangeJ);
void parallelize2dTile1d(pthreadpool_t pool, pthreadpool_task_2d_tile_1d_t task, void* argument, size_t rangeI, size_t rangeJ,
                         size_t tileJ);

// The pool to hand a library that calls pthreadpool itself: null (its
// one-thread path) inside a session, which that call would deadlock.
pthreadpool_t poolForLibrary(pthreadpool_t pool);

// How many library calls poolForLibrary() narrowed to one thread in this
// process: a kernel missing KernelDef::runsOutsideThreadSessions.
size_t libraryCallsNarrowedInSessions();

}  // namespace litestudio::cpu

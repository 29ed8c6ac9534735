// ThreadSession: inside a session, each of the four parallelize calls makes
// the same task calls that pthreadpool makes for it outside one (every
// index once, the same tile lengths), for empty, single, uneven and tiled
// ranges on two and three threads; both threads take part, also after the
// other one has gone to sleep; a session returns its steps' status; a
// session inside a session just runs; a library gets no pool inside one.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "accelerators/cpu/thread_session.h"

namespace litestudio::cpu {
namespace {

using Call = std::array<size_t, 3>;

// Every task call a loop makes, in any order.
struct Calls {
    std::mutex mutex;
    std::vector<Call> calls;
    std::set<std::thread::id> threads;
    void add(Call call) {
        std::lock_guard<std::mutex> lock(mutex);
        calls.push_back(call);
        threads.insert(std::this_thread::get_id());
    }
    std::vector<Call> sorted() {
        std::sort(calls.begin(), calls.end());
        return calls;
    }
};

struct Loop {
    int kind;  // 0: 1d, 1: 1d tile 1d, 2: 2d, 3: 2d tile 1d
    size_t rangeI, rangeJ, tile;
};

void runLoop(pthreadpool_t pool, const Loop& loop, Calls& calls) {
    switch (loop.kind) {
    case 0:
        parallelize1d(pool, [](void* calls, size_t i) { static_cast<Calls*>(calls)->add({i, 0, 0}); }, &calls, loop.rangeI);
        break;
    case 1:
        parallelize1dTile1d(
            pool, [](void* calls, size_t first, size_t count) { static_cast<Calls*>(calls)->add({first, count, 0}); }, &calls,
            loop.rangeI, loop.tile);
        break;
    case 2:
        parallelize2d(pool, [](void* calls, size_t i, size_t j) { static_cast<Calls*>(calls)->add({i, j, 0}); }, &calls, loop.rangeI,
                      loop.rangeJ);
        break;
    default:
        parallelize2dTile1d(
            pool, [](void* calls, size_t i, size_t first, size_t count) { static_cast<Calls*>(calls)->add({i, first, count}); }, &calls,
            loop.rangeI, loop.rangeJ, loop.tile);
    }
}

TEST(ThreadSession, EachLoopMakesTheCallsPthreadpoolMakes) {
    const std::vector<Loop> loops = {
        {0, 0, 0, 0},   {0, 1, 0, 0},    {0, 2, 0, 0},   {0, 7, 0, 0},    {0, 1000, 0, 0},  {1, 0, 0, 4},   {1, 5, 0, 8},
        {1, 100, 0, 7}, {1, 4096, 0, 64}, {1, 9, 0, 1},   {2, 3, 5, 0},    {2, 1, 1, 0},     {2, 0, 9, 0},   {2, 17, 13, 0},
        {3, 3, 10, 4},  {3, 7, 1, 3},    {3, 2, 100, 33}, {3, 5, 0, 2},   {3, 11, 64, 64},
    };
    for (size_t threads : {2u, 3u}) {
        pthreadpool_t pool = pthreadpool_create(threads);
        ThreadSession session(pool);
        ASSERT_EQ(session.threads(), threads);
        for (const Loop& loop : loops) {
            Calls outside, inside;
            runLoop(pool, loop, outside);
            Status ran = session.run([&] {
                EXPECT_EQ(ThreadSession::active(), &session);
                runLoop(pool, loop, inside);
                return Status::ok();
            });
            ASSERT_TRUE(ran) << ran.message();
            const std::vector<Call> expected = outside.sorted(), got = inside.sorted();
            std::cout << "  " << threads << " threads, loop kind " << loop.kind << " over " << loop.rangeI << " x " << loop.rangeJ
                      << " tile " << loop.tile << ": " << got.size() << " calls in the session, " << expected.size()
                      << " from pthreadpool\n";
            EXPECT_EQ(got, expected) << "kind " << loop.kind << ", " << loop.rangeI << " x " << loop.rangeJ << ", tile " << loop.tile;
        }
        EXPECT_EQ(ThreadSession::active(), nullptr);
        pthreadpool_destroy(pool);
    }
}

// Loops of 64 items of 50 us each until two threads have run items of
// one loop, for up to a second: how many loops that took, or 0 if none
// had both. On a loaded machine (the test command runs two tests at once
// on two cores) the other thread may wait some milliseconds for a core.
int loopsUntilBothThreadsTakePart(pthreadpool_t pool) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (int loops = 1; std::chrono::steady_clock::now() < until; ++loops) {
        Calls calls;
        parallelize1d(
            pool,
            [](void* calls, size_t i) {
                const auto busyUntil = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
                while (std::chrono::steady_clock::now() < busyUntil) {
                }
                static_cast<Calls*>(calls)->add({i, 0, 0});
            },
            &calls, 64);
        EXPECT_EQ(calls.calls.size(), 64u);
        if (calls.threads.size() == 2) return loops;
    }
    return 0;
}

TEST(ThreadSession, BothThreadsTakePartAlsoAfterTheOtherHasSlept) {
    pthreadpool_t pool = pthreadpool_create(2);
    ThreadSession session(pool);
    int first = 0, afterSleep = 0;
    Status ran = session.run([&] {
        first = loopsUntilBothThreadsTakePart(pool);
        // Longer than a waiting thread spins before it sleeps (2 ms).
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        afterSleep = loopsUntilBothThreadsTakePart(pool);
        return Status::ok();
    });
    ASSERT_TRUE(ran) << ran.message();
    std::cout << "  both threads ran items of loop " << first << " of the session, and of loop " << afterSleep
              << " after a 10 ms pause (0: of none in a second)\n";
    EXPECT_GT(first, 0);
    EXPECT_GT(afterSleep, 0);
    pthreadpool_destroy(pool);
}

TEST(ThreadSession, ASessionReturnsItsStepsStatusAndTheNextOneRuns) {
    pthreadpool_t pool = pthreadpool_create(2);
    ThreadSession session(pool);
    Status failed = session.run([] { return Status::error("op 3 (CONV_2D): stopped"); });
    EXPECT_FALSE(failed);
    EXPECT_EQ(failed.message(), "op 3 (CONV_2D): stopped");
    Calls calls;
    Status ran = session.run([&] {
        runLoop(pool, {0, 10, 0, 0}, calls);
        return Status::ok();
    });
    EXPECT_TRUE(ran);
    EXPECT_EQ(calls.calls.size(), 10u);
    pthreadpool_destroy(pool);
}

TEST(ThreadSession, ASessionInsideASessionJustRunsItsSteps) {
    pthreadpool_t pool = pthreadpool_create(2);
    ThreadSession outer(pool), inner(pool);
    Calls calls;
    Status ran = outer.run([&] {
        return inner.run([&] {
            EXPECT_EQ(ThreadSession::active(), &outer);
            runLoop(pool, {2, 4, 6, 0}, calls);
            return Status::ok();
        });
    });
    EXPECT_TRUE(ran);
    EXPECT_EQ(calls.calls.size(), 24u);
    pthreadpool_destroy(pool);
}

TEST(ThreadSession, ALibraryGetsNoPoolInsideASession) {
    pthreadpool_t pool = pthreadpool_create(2);
    ThreadSession session(pool);
    const size_t before = libraryCallsNarrowedInSessions();
    EXPECT_EQ(poolForLibrary(pool), pool);
    pthreadpool_t inside = pool;
    Status ran = session.run([&] {
        inside = poolForLibrary(pool);
        return Status::ok();
    });
    EXPECT_TRUE(ran);
    EXPECT_EQ(inside, nullptr);
    EXPECT_EQ(libraryCallsNarrowedInSessions(), before + 1);
    pthreadpool_destroy(pool);
}

TEST(ThreadSession, WithoutAPoolEverythingRunsOnTheCaller) {
    ThreadSession session(nullptr);
    EXPECT_EQ(session.threads(), 1u);
    Calls calls;
    Status ran = session.run([&] {
        runLoop(nullptr, {3, 4, 9, 2}, calls);
        return Status::ok();
    });
    EXPECT_TRUE(ran);
    EXPECT_EQ(calls.calls.size(), 20u);
    EXPECT_EQ(calls.threads.size(), 1u);
}

}  // namespace
}  // namespace litestudio::cpu

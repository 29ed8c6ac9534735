// itemsOnThreads rounds a loop's items to a whole number a thread.
// ScratchSlots: a claimed slot is no other item's until released, and a
// slot a thread serves any number of items run on a pool. Two threads
// claim from the same slot on and release, 20,000 times each a round, and
// check, while they hold a slot, that no one else holds it.

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "accelerators/cpu/scratch_slots.h"

namespace litestudio {
namespace {

TEST(ScratchSlots, AClaimedSlotIsNotClaimedAgainUntilReleased) {
    const cpu::ScratchSlots slots(3);
    const int64_t first = slots.claim(0), second = slots.claim(0), third = slots.claim(0);
    std::cout << "  three claims from hint 0: slots " << first << ", " << second << ", " << third << "\n";
    EXPECT_EQ(first, 0);
    EXPECT_EQ(second, 1);
    EXPECT_EQ(third, 2);
    slots.release(1);
    EXPECT_EQ(slots.claim(2), 1);  // 2 is held: the search goes round to the free one
}

TEST(ScratchSlots, ItemsComeInAWholeNumberAThread) {
    EXPECT_EQ(cpu::itemsOnThreads(3, 2, 256), 4);     // iris landmark's 16x16 layer: three chunks, two each
    EXPECT_EQ(cpu::itemsOnThreads(1, 2, 49), 2);      // a chunk holds the plane: still one a thread
    EXPECT_EQ(cpu::itemsOnThreads(171, 2, 16384), 172);
    EXPECT_EQ(cpu::itemsOnThreads(9, 4, 3), 3);       // no more than there are units
    EXPECT_EQ(cpu::itemsOnThreads(5, 1, 100), 5);     // one thread: as wanted
    EXPECT_EQ(cpu::itemsOnThreads(0, 1, 0), 1);
}

TEST(ScratchSlots, TwoThreadsNeverHoldTheSameSlot) {
    // Both search from the same slot and hold theirs a while; a claim that
    // took a held slot shows as overlaps (with the exchange removed, the
    // first round found tens of thousands). Rounds go on, for up to 3 s,
    // until the other thread moved during 20 holds (both threads search
    // from slot 0, so each such hold would overlap if claims could): two
    // threads on a busy machine may take turns instead of running at once
    // (beside two busy processes, 47 such holds in 2 s).
    const cpu::ScratchSlots slots(2);
    std::atomic<int> holders[2] = {0, 0};
    std::atomic<int64_t> progress[2] = {0, 0};
    std::atomic<int64_t> overlaps{0}, concurrent{0};
    auto work = [&](int thread) {
        for (int item = 0; item < 20000; ++item) {
            const int64_t slot = slots.claim(0);
            const int64_t otherBefore = progress[1 - thread].load();
            if (holders[slot].fetch_add(1) != 0) ++overlaps;
            for (int wait = 0; wait < 20; ++wait)
                if (holders[slot].load() != 1) ++overlaps;
            if (progress[1 - thread].load() != otherBefore) ++concurrent;
            holders[slot].fetch_sub(1);
            slots.release(slot);
            ++progress[thread];
        }
    };
    const auto start = std::chrono::steady_clock::now();
    int rounds = 0;
    while (concurrent.load() < 20 && std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
        std::thread other(work, 1);
        work(0);
        other.join();
        ++rounds;
    }
    std::cout << "  " << rounds << " round(s) of 2 x 20000 claims on 2 slots: " << concurrent.load()
              << " holds while the other thread moved, " << overlaps.load() << " overlapping\n";
    EXPECT_GE(concurrent.load(), 20);
    EXPECT_EQ(overlaps.load(), 0);
}

}  // namespace
}  // namespace litestudio

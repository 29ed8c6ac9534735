// ScratchSlots: a claimed slot is no other item's until released, and a
// slot a thread serves any number of items run on a pool. Two threads
// claim and release 20,000 times each and check, while they hold a slot,
// that no one else holds it.

#include <atomic>
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

TEST(ScratchSlots, TwoThreadsNeverHoldTheSameSlot) {
    const cpu::ScratchSlots slots(2);
    std::atomic<int> holders[2] = {0, 0};
    std::atomic<int> overlaps{0};
    auto work = [&](int thread) {
        for (int item = 0; item < 20000; ++item) {
            const int64_t slot = slots.claim(item + thread);
            if (holders[slot].fetch_add(1) != 0) ++overlaps;
            holders[slot].fetch_sub(1);
            slots.release(slot);
        }
    };
    std::thread other(work, 1);
    work(0);
    other.join();
    std::cout << "  2 x 20000 claims on 2 slots: " << overlaps.load() << " overlapping holds\n";
    EXPECT_EQ(overlaps.load(), 0);
}

}  // namespace
}  // namespace litestudio

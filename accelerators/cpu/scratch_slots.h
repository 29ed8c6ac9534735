#pragma once
// Scratch buffers for a parallel loop whose items each need one while they
// run. No more items run at once than the pool has threads, so a slot a
// thread serves any number of items: an item claims a free slot and frees
// it when done. Items can then be small, so that a thread that finishes
// first takes the other's last ones, without a buffer an item.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>

namespace litestudio::cpu {

// How many items a loop of `wanted` items gets on `threads` threads: at
// least one a thread, a whole number a thread (equal shares when each
// takes its own first), at most `most` (the units there are to share), and
// at least 1.
inline int64_t itemsOnThreads(int64_t wanted, int64_t threads, int64_t most) {
    if (threads < 1) threads = 1;
    const int64_t whole = (std::max(wanted, threads) + threads - 1) / threads * threads;
    return std::max<int64_t>(1, std::min(whole, most));
}

class ScratchSlots {
public:
    explicit ScratchSlots(int64_t slots = 1)
        : count_(slots < 1 ? 1 : slots), taken_(std::make_unique<std::atomic<bool>[]>(static_cast<size_t>(count_))) {}
    int64_t count() const { return count_; }

    // A free slot, searched from `hint` on (an item's index spreads the
    // first claims); held until `release`. Const: a kernel's state is
    // read-only at eval, and one op's evals never overlap.
    int64_t claim(int64_t hint) const {
        int64_t slot = hint % count_;
        while (taken_[static_cast<size_t>(slot)].exchange(true, std::memory_order_acquire)) slot = (slot + 1) % count_;
        return slot;
    }
    void release(int64_t slot) const { taken_[static_cast<size_t>(slot)].store(false, std::memory_order_release); }

private:
    int64_t count_;
    std::unique_ptr<std::atomic<bool>[]> taken_;
};

}  // namespace litestudio::cpu

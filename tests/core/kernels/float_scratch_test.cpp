// The reference kernels' float scratch sizes (floatScratchBytes). Found by
// fuzz.model_run_cpu_threads: a PAD folded into a convolution widened an
// empty [708902913, 1623195651, 0, 8] input to [708902913, 1623195651, 2,
// 8], whose element count passes int64: counting it overflowed (UBSan
// stopped the fuzzer), and a release build read 18,303,807,802,092,552,384
// bytes, two of which summed past SIZE_MAX wrap to a size that fits. A
// shape past what any machine holds now takes a size the memory check
// refuses, small enough that a kernel's sum of four does not wrap.

#include <cstdint>
#include <iostream>

#include <gtest/gtest.h>

#include "core/kernels/reference/kernel_util.h"
#include "core/support/memory_limit.h"

namespace litestudio {
namespace {

RuntimeTensor floatTensor(std::vector<int32_t> shape) {
    RuntimeTensor tensor;
    tensor.type = DataType::Float32;
    tensor.shape = std::move(shape);
    return tensor;
}

TEST(FloatScratch, RoundsToTheArenaAlignment) {
    // 1x3x3x8 = 72 floats, 288 bytes: 320 in whole 64-byte lines.
    EXPECT_EQ(reference::floatScratchBytes(floatTensor({1, 3, 3, 8})), 320u);
    EXPECT_EQ(reference::floatScratchBytes(floatTensor({1, 4, 4, 1})), 64u);
    EXPECT_EQ(reference::floatScratchBytes(floatTensor({0, 4, 4, 1})), 0u);
}

TEST(FloatScratch, AShapePastInt64IsMoreThanAnyMachineNotAWrap) {
    const size_t bytes = reference::floatScratchBytes(floatTensor({708902913, 1623195651, 2, 8}));
    std::cout << "  [708902913, 1623195651, 2, 8] floats: " << bytes << " bytes of scratch\n";
    EXPECT_GE(bytes, SIZE_MAX / 8);
    EXPECT_LE(bytes, SIZE_MAX / 4);  // four of them sum without wrapping
    EXPECT_FALSE(checkFitsInMemory(bytes * 4, "four such buffers"));
    // Under the int64 limit but past any machine: the same cap.
    EXPECT_EQ(reference::floatScratchBytes(floatTensor({1 << 30, 1 << 30, 4, 1})), bytes);
}

}  // namespace
}  // namespace litestudio

// RuntimeTensor::elementCount on shapes a hostile model can give a tensor
// that holds no bytes: an empty tensor's other dimensions can be anything,
// and a kernel's prepare counts shapes before the memory check refuses
// them. The count saturates instead of wrapping (signed overflow, which
// came out negative or small), so no size check can pass on a wrapped one.

#include <cstdint>
#include <iostream>

#include <gtest/gtest.h>

#include "core/kernels/kernel.h"

namespace litestudio {
namespace {

int64_t countOf(std::vector<int32_t> shape) {
    RuntimeTensor tensor;
    tensor.shape = std::move(shape);
    return tensor.elementCount();
}

TEST(RuntimeTensor, CountsTheElementsOfAShape) {
    EXPECT_EQ(countOf({1, 224, 224, 3}), 150528);
    EXPECT_EQ(countOf({}), 1);  // a scalar
    EXPECT_EQ(countOf({7}), 7);
}

TEST(RuntimeTensor, ACountPastInt64SaturatesInsteadOfWrapping) {
    const int64_t count = countOf({708902913, 1623195651, 2, 8});
    std::cout << "  [708902913, 1623195651, 2, 8]: " << count << " elements (true count 1.8e19)\n";
    EXPECT_EQ(count, INT64_MAX);
    EXPECT_EQ(countOf({INT32_MAX, INT32_MAX, INT32_MAX}), INT64_MAX);
    // Near the limit it still counts exactly: 2^30 x 2^30 x 4 = 2^62.
    EXPECT_EQ(countOf({1 << 30, 1 << 30, 4}), int64_t{1} << 62);
}

TEST(RuntimeTensor, AnEmptyTensorCountsZeroWhateverItsOtherDimensions) {
    // The zero last: the product of the others passes int64 before it.
    EXPECT_EQ(countOf({708902913, 1623195651, 8, 0}), 0);
    EXPECT_EQ(countOf({0, INT32_MAX, INT32_MAX, INT32_MAX}), 0);
}

}  // namespace
}  // namespace litestudio

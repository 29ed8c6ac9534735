// The reference kernels' value view writing doubles into integer tensors:
// values past the type's range saturate, NaN becomes 0. Found by
// fuzz.model_run_cpu: a convolution writing 1e19 into an int64 output
// converted 2^63 (what double(INT64_MAX) rounds to) back to int64, which is
// undefined behaviour: UBSan stops this test on the old code (the sanitized
// build of the test command).

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "core/kernels/reference/kernel_util.h"

namespace litestudio {
namespace {

template <typename T>
std::vector<T> written(DataType type, const std::vector<double>& values) {
    std::vector<T> storage(values.size());
    RuntimeTensor tensor;
    tensor.type = type;
    tensor.shape = {static_cast<int32_t>(values.size())};
    tensor.data = reinterpret_cast<uint8_t*>(storage.data());
    tensor.bytes = storage.size() * sizeof(T);
    reference::ValueWriter write(tensor);
    for (size_t i = 0; i < values.size(); ++i) write(static_cast<int64_t>(i), values[i]);
    return storage;
}

TEST(ValueView, IntegerWritesSaturate) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<double> values = {1e19, -1e19, 1e300, -1e300, nan, 42.0, -7.0};
    EXPECT_EQ(written<int64_t>(DataType::Int64, values),
              (std::vector<int64_t>{INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN, 0, 42, -7}));
    EXPECT_EQ(written<int32_t>(DataType::Int32, values),
              (std::vector<int32_t>{INT32_MAX, INT32_MIN, INT32_MAX, INT32_MIN, 0, 42, -7}));
    EXPECT_EQ(written<uint8_t>(DataType::UInt8, values), (std::vector<uint8_t>{255, 0, 255, 0, 0, 42, 0}));
}

}  // namespace
}  // namespace litestudio

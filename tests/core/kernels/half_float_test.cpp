// Half-precision conversions (kernel_util.h), which fold and densify every
// float16 weight of a model at compile time: every one of the 65,536 half
// values through halfToFloat, checked against known values and against
// floatToHalf coming back to the same bits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "core/kernels/reference/kernel_util.h"

namespace litestudio::reference {
namespace {

uint32_t bitsOf(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}

TEST(HalfFloat, KnownValues) {
    struct Case {
        uint16_t half;
        float value;
    };
    const Case cases[] = {
        {0x0000, 0.0f},          {0x3c00, 1.0f},           {0xc000, -2.0f},   {0x3555, 0.333251953125f},
        {0x7bff, 65504.0f},      {0x0400, 0x1p-14f},       {0x0001, 0x1p-24f}, {0x03ff, 0x1.ff8p-15f},
        {0x8001, -0x1p-24f},     {0x7c00, INFINITY},       {0xfc00, -INFINITY},
    };
    for (const Case& c : cases) {
        const float got = halfToFloat(c.half);
        std::printf("  half 0x%04x -> %a (expected %a)\n", c.half, double(got), double(c.value));
        EXPECT_EQ(bitsOf(got), bitsOf(c.value)) << "half 0x" << std::hex << c.half;
    }
    // Signed zero keeps its sign; NaN stays NaN with its payload's top bits.
    EXPECT_EQ(bitsOf(halfToFloat(0x8000)), 0x80000000u);
    EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
    EXPECT_EQ(bitsOf(halfToFloat(0x7e01)), 0x7fc02000u);
}

TEST(HalfFloat, EveryHalfComesBackFromFloat) {
    int compared = 0, nans = 0;
    for (uint32_t half = 0; half <= 0xffff; ++half) {
        const float value = halfToFloat(static_cast<uint16_t>(half));
        if ((half & 0x7c00) == 0x7c00 && (half & 0x3ff) != 0) {  // NaN
            ASSERT_TRUE(std::isnan(value)) << "half 0x" << std::hex << half;
            ++nans;
            continue;
        }
        ASSERT_EQ(floatToHalf(value), half) << "half 0x" << std::hex << half << " became " << value;
        ++compared;
    }
    std::printf("  %d halves came back bit for bit, %d NaNs stayed NaN\n", compared, nans);
    EXPECT_EQ(compared, 65536 - 2046);
}

}  // namespace
}  // namespace litestudio::reference

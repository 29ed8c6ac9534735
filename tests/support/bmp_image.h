#pragma once
// The shared test pictures (../shared/images/*.bmp) as RGB images, for the
// tests that run whole vision models on them without Qt's image reader.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/vision/image_input.h"

namespace litestudio::testing {

// Uncompressed 24-bit BMP only: enough for the shared test pictures. An
// empty image (width 0) for anything else.
inline RgbImage readBmp(const std::vector<uint8_t>& file) {
    RgbImage image;
    auto u32 = [&](size_t at) { uint32_t v; std::memcpy(&v, file.data() + at, 4); return v; };
    auto i32 = [&](size_t at) { int32_t v; std::memcpy(&v, file.data() + at, 4); return v; };
    if (file.size() < 54 || file[0] != 'B' || file[1] != 'M' || file[28] != 24) return image;
    uint32_t offset = u32(10);
    int width = i32(18), height = i32(22);
    bool bottomUp = height > 0;
    height = std::abs(height);
    size_t row = (static_cast<size_t>(width) * 3 + 3) / 4 * 4;
    if (offset + row * height > file.size()) return image;
    image.width = width;
    image.height = height;
    image.pixels.resize(static_cast<size_t>(width) * height * 3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const uint8_t* bgr = file.data() + offset + (bottomUp ? height - 1 - y : y) * row + x * 3;
            uint8_t* rgb = image.pixels.data() + (static_cast<size_t>(y) * width + x) * 3;
            rgb[0] = bgr[2], rgb[1] = bgr[1], rgb[2] = bgr[0];
        }
    return image;
}

}  // namespace litestudio::testing

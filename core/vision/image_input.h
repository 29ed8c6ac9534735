#pragma once
// Puts an RGB image into an image-shaped input tensor [1, H, W, C] the way
// classifiers expect it: bilinear resize to H x W, then per dtype:
//   uint8  - raw pixel values (quantized models take pixels as they are),
//   int8   - pixel - 128,
//   float  - (pixel - mean) / std, by default mapping 0..255 to [-1, 1].

#include <cstdint>
#include <span>
#include <vector>

#include "core/kernels/kernel.h"
#include "core/support/status.h"

namespace litestudio {

struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> pixels;  // width * height * 3, row-major
};

struct Normalization {
    float mean = 127.5f;
    float std = 127.5f;
};

Status fillImageInput(const RgbImage& image, RuntimeTensor& input, const Normalization& normalization = {});

struct ScoredClass {
    int index = 0;
    float score = 0;
};

// The K best entries of a classifier's output (dequantized), best first.
std::vector<ScoredClass> topClasses(const RuntimeTensor& output, int count);

}  // namespace litestudio

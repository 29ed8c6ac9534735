#include "core/vision/image_input.h"

#include <algorithm>
#include <cmath>

#include "core/kernels/reference/kernel_util.h"

namespace litestudio {

Status fillImageInput(const RgbImage& image, RuntimeTensor& input, const Normalization& normalization) {
    if (input.rank() != 4 || input.dim(0) != 1 || (input.dim(3) != 3 && input.dim(3) != 1))
        return Status::error("input '" + input.name + "' is not an image tensor [1, height, width, 3 or 1]");
    if (image.width <= 0 || image.height <= 0 ||
        image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3)
        return Status::error("the image is empty or its pixel buffer does not match its size");
    if (input.type != DataType::UInt8 && input.type != DataType::Int8 && input.type != DataType::Float32)
        return Status::error("input '" + input.name + "' is " + std::string(dataTypeName(input.type)) +
                             "; image inputs must be uint8, int8 or float32");
    const int height = input.dim(1), width = input.dim(2), channels = input.dim(3);
    const double scaleY = double(image.height) / height, scaleX = double(image.width) / width;
    for (int y = 0; y < height; ++y) {
        double sy = std::clamp((y + 0.5) * scaleY - 0.5, 0.0, double(image.height - 1));
        int y0 = static_cast<int>(sy), y1 = std::min(y0 + 1, image.height - 1);
        double fy = sy - y0;
        for (int x = 0; x < width; ++x) {
            double sx = std::clamp((x + 0.5) * scaleX - 0.5, 0.0, double(image.width - 1));
            int x0 = static_cast<int>(sx), x1 = std::min(x0 + 1, image.width - 1);
            double fx = sx - x0;
            double rgb[3];
            for (int c = 0; c < 3; ++c) {
                auto at = [&](int py, int px) { return double(image.pixels[(size_t(py) * image.width + px) * 3 + c]); };
                rgb[c] = at(y0, x0) * (1 - fy) * (1 - fx) + at(y0, x1) * (1 - fy) * fx + at(y1, x0) * fy * (1 - fx) +
                         at(y1, x1) * fy * fx;
            }
            for (int c = 0; c < channels; ++c) {
                double value = channels == 1 ? (rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114) : rgb[c];
                size_t index = (size_t(y) * width + x) * channels + c;
                double rounded = std::clamp(std::round(value), 0.0, 255.0);
                if (input.type == DataType::UInt8) input.as<uint8_t>()[index] = static_cast<uint8_t>(rounded);
                else if (input.type == DataType::Int8) input.as<int8_t>()[index] = static_cast<int8_t>(rounded - 128);
                else input.as<float>()[index] = static_cast<float>((value - normalization.mean) / normalization.std);
            }
        }
    }
    return Status::ok();
}

std::vector<ScoredClass> topClasses(const RuntimeTensor& output, int count) {
    reference::ValueReader read(output);
    std::vector<ScoredClass> all(static_cast<size_t>(output.elementCount()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = {static_cast<int>(i), static_cast<float>(read(static_cast<int64_t>(i)))};
    size_t keep = std::min(all.size(), static_cast<size_t>(std::max(count, 0)));
    std::partial_sort(all.begin(), all.begin() + static_cast<long>(keep), all.end(),
                      [](const ScoredClass& a, const ScoredClass& b) { return a.score > b.score; });
    all.resize(keep);
    return all;
}

}  // namespace litestudio

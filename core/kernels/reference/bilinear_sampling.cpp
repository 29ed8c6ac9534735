#include "core/kernels/reference/bilinear_sampling.h"

#include <algorithm>
#include <cmath>

namespace litestudio::reference {

std::vector<BilinearSample> bilinearSamplesQ11(int inSize, int outSize, bool alignCorners, bool halfPixel) {
    const int adjustment = alignCorners && outSize != 1 ? 1 : 0;
    const float scale = static_cast<float>(inSize - adjustment) / static_cast<float>(outSize - adjustment);
    std::vector<BilinearSample> samples;
    samples.reserve(static_cast<size_t>(std::max(outSize, 0)));
    for (int o = 0; o < outSize; ++o) {
        float position = static_cast<float>(o) * scale;
        if (!alignCorners && halfPixel) {
            position += 0.5f * scale - 0.5f;
            position = std::min(std::max(position, 0.0f), static_cast<float>(inSize - 1));
        }
        const int low = std::min(static_cast<int>(position), inSize - 1);
        samples.push_back({low, std::min(low + 1, inSize - 1),
                           static_cast<int32_t>(std::lrintf((position - static_cast<float>(low)) * 2048.0f))});
    }
    return samples;
}

}  // namespace litestudio::reference

#include "core/kernels/reference/bilinear_sampling.h"

#include <algorithm>
#include <cmath>

#include "core/support/memory_limit.h"

namespace litestudio::reference {

BilinearSampler::BilinearSampler(int inSize, int outSize, bool alignCorners, bool halfPixel)
    : inSize_(inSize), halfPixel_(!alignCorners && halfPixel) {
    const int adjustment = alignCorners && outSize != 1 ? 1 : 0;
    scale_ = static_cast<float>(inSize - adjustment) / static_cast<float>(outSize - adjustment);
}

BilinearSample BilinearSampler::at(int o) const {
    float position = static_cast<float>(o) * scale_;
    if (halfPixel_) {
        position += 0.5f * scale_ - 0.5f;
        position = std::min(std::max(position, 0.0f), static_cast<float>(inSize_ - 1));
    }
    const int low = std::min(static_cast<int>(position), inSize_ - 1);
    const float fraction = position - static_cast<float>(low);
    return {low, std::min(low + 1, inSize_ - 1), static_cast<int32_t>(std::lrintf(fraction * 2048.0f)), fraction};
}

Expected<std::vector<BilinearSample>> BilinearSampler::table(int count, const std::string& what) const {
    const size_t entries = static_cast<size_t>(std::max(count, 0));
    LS_RETURN_IF_ERROR(checkFitsInMemory(entries * sizeof(BilinearSample), what + " table of bilinear samples"));
    std::vector<BilinearSample> samples;
    samples.reserve(entries);
    for (int o = 0; o < count; ++o) samples.push_back(at(o));
    return samples;
}

}  // namespace litestudio::reference

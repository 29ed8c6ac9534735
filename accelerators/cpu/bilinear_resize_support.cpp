#include "accelerators/cpu/bilinear_resize_support.h"

#include "core/support/memory_limit.h"

namespace litestudio::cpu {

std::vector<reference::BilinearSample> columnSamples(const RuntimeTensor& output, const reference::BilinearSampler& sampler) {
    std::vector<reference::BilinearSample> samples;
    if (output.rank() != 4 || !checkFitsInMemory(denseByteSize(output.type, output.shape), output.name) ||
        denseByteSize(output.type, output.shape) == 0)
        return samples;
    samples.reserve(static_cast<size_t>(output.dim(2)));
    for (int o = 0; o < output.dim(2); ++o) samples.push_back(sampler.at(o));
    return samples;
}

}  // namespace litestudio::cpu

#include "accelerators/cpu/channel_major_tiles.h"

#include <algorithm>
#include <climits>
#include <string>

#include "accelerators/cpu/convolution_support.h"
#include "core/kernels/reference/kernel_util.h"

namespace litestudio::cpu::channel_major {

namespace {

// m's chunks, row starts and nonzeros from dense weights [out][in] (its
// channel counts and chunkChannels set).
void gatherNonzeros(const float* dense, SparseMatrix& m) {
    m.chunks = (m.inputChannels + m.chunkChannels - 1) / m.chunkChannels;
    m.rowStart.clear();
    m.nonzeros.clear();
    m.rowStart.reserve(static_cast<size_t>(m.chunks * (m.outputChannels + 1)));
    // Every weight is written and the count moves on past the nonzero ones:
    // a branch on each would be mispredicted at a pruned layer's 25 %. The
    // vector holds the nonzeros and one slot for the last write.
    const auto weights = static_cast<size_t>(m.inputChannels * m.outputChannels);
    size_t nonzero = 0;
    for (size_t k = 0; k < weights; ++k) nonzero += dense[k] != 0.0f;
    m.nonzeros.resize(nonzero + 1);
    size_t count = 0;
    for (int64_t chunk = 0; chunk < m.chunks; ++chunk) {
        const int64_t begin = chunk * m.chunkChannels, stop = std::min(m.inputChannels, begin + m.chunkChannels);
        for (int64_t o = 0; o < m.outputChannels; ++o) {
            m.rowStart.push_back(static_cast<int32_t>(count));
            const float* row = dense + o * m.inputChannels;
            for (int64_t i = begin; i < stop; ++i) {
                m.nonzeros[count] = {static_cast<int32_t>((i - begin) * kTailFloats * int64_t(sizeof(float))), row[i]};
                count += row[i] != 0.0f;
            }
        }
        m.rowStart.push_back(static_cast<int32_t>(count));
    }
    m.nonzeros.pop_back();
}

}  // namespace

void orderRows(int64_t rangeChannels, SparseMatrix& m) {
    const int64_t outputs = m.outputChannels;
    if (rangeChannels <= 0) rangeChannels = outputs;
    decltype(m.rowStart) rowStart, rowChannel;
    decltype(m.nonzeros) nonzeros;
    rowStart.reserve(m.rowStart.size());
    rowChannel.reserve(static_cast<size_t>(m.chunks * outputs));
    nonzeros.reserve(m.nonzeros.size());
    for (int64_t chunk = 0; chunk < m.chunks; ++chunk) {
        const int32_t* start = m.rowStart.data() + chunk * (outputs + 1);
        const size_t chunkFirst = rowChannel.size();
        for (int64_t range = 0; range < outputs; range += rangeChannels) {
            const int64_t rangeEnd = std::min(outputs, range + rangeChannels);
            for (int64_t c = range; c < rangeEnd; ++c) rowChannel.push_back(static_cast<int32_t>(c));
            for (int64_t window = range; window < rangeEnd; window += kOrderWindow) {
                const auto from = rowChannel.begin() + static_cast<std::ptrdiff_t>(chunkFirst + window);
                const auto to = rowChannel.begin() + static_cast<std::ptrdiff_t>(chunkFirst + std::min(rangeEnd, window + kOrderWindow));
                std::stable_sort(from, to, [&](int32_t a, int32_t b) { return start[a + 1] - start[a] < start[b + 1] - start[b]; });
            }
        }
        for (int64_t position = 0; position < outputs; ++position) {
            const int32_t c = rowChannel[chunkFirst + static_cast<size_t>(position)];
            rowStart.push_back(static_cast<int32_t>(nonzeros.size()));
            nonzeros.insert(nonzeros.end(), m.nonzeros.begin() + start[c], m.nonzeros.begin() + start[c + 1]);
        }
        rowStart.push_back(static_cast<int32_t>(nonzeros.size()));
    }
    m.rowStart = std::move(rowStart);
    m.rowChannel = std::move(rowChannel);
    m.nonzeros = std::move(nonzeros);
}

bool compactToHalves(SparseMatrix& m) {
    if (m.chunkChannels > kMostHalfChunkChannels) return false;
    // Checked before anything is allocated: a float32 model's first weight
    // usually decides. Not a NaN, which never equals itself: its payload may
    // not survive.
    for (const Nonzero& nonzero : m.nonzeros)
        if (reference::halfToFloat(reference::floatToHalf(nonzero.value)) != nonzero.value) return false;
    m.halfNonzeros.resize(m.nonzeros.size());
    for (size_t k = 0; k < m.nonzeros.size(); ++k)
        m.halfNonzeros[k] = {static_cast<uint16_t>(m.nonzeros[k].offset), reference::floatToHalf(m.nonzeros[k].value)};
    m.nonzeros = decltype(m.nonzeros)();  // `= {}` would keep the storage
    return true;
}

Status packNonzeros(const KernelContext& context, size_t index, int64_t inputChannels, int64_t chunkChannels, int64_t rangeChannels,
                    SparseMatrix& m) {
    const RuntimeTensor& filter = context.input(index);
    if (filter.rank() != 4 || filter.dim(1) != 1 || filter.dim(2) != 1 || filter.dim(3) != inputChannels)
        return context.error("expects a 1x1 filter [out, 1, 1, " + std::to_string(inputChannels) + "], got " + filter.name + " " +
                             shapeText(filter.shape));
    if (filter.elementCount() > INT32_MAX) return context.error("filter over 2^31 weights");
    if (chunkChannels * kTailFloats * int64_t(sizeof(float)) > INT32_MAX) return context.error("1x1 filter too wide");
    m.inputChannels = inputChannels;
    m.chunkChannels = chunkChannels;
    m.outputChannels = filter.dim(0);
    std::vector<float> dense(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, dense.data());
    gatherNonzeros(dense.data(), m);
    orderRows(rangeChannels, m);
    compactToHalves(m);
    m.bias.assign(static_cast<size_t>(m.outputChannels), 0.0f);
    return readFloatBias(context, m.outputChannels, m.bias.data(), index + 1);
}

}  // namespace litestudio::cpu::channel_major

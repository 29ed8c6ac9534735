// The order the sparse 1x1 kernels sum a pruned matrix's rows in
// (channel_major::orderRows): 150 output channels, 2 chunks, row c of chunk
// k holding (7c + 3k) mod 5 nonzeros. Within each window (64 channels from
// each range start) every chunk's positions must hold exactly that
// window's channels, by nonzero count, ties in channel order, each with
// its own nonzeros; a caller's range of positions is then its range of
// channels.
// compactToHalves: float16 values (normal, subnormal, the largest) become
// 4-byte nonzeros with the same offsets; a value float16 cannot hold, or a
// chunk wider than a 16-bit offset reaches, leaves the 8-byte ones as they
// were.

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <utility>
#include <vector>

#include "accelerators/cpu/channel_major_tiles.h"
#include "core/kernels/reference/kernel_util.h"

namespace litestudio {
namespace {

using cpu::channel_major::HalfNonzero;
using cpu::channel_major::kOrderWindow;
using cpu::channel_major::Nonzero;
using cpu::channel_major::SparseMatrix;

constexpr int kOutputs = 150, kChunks = 2;

int countOf(int channel, int chunk) { return (7 * channel + 3 * chunk) % 5; }
// Each nonzero tells its chunk, row and place in the row.
float valueOf(int channel, int chunk, int j) { return float(channel * 100 + chunk * 10 + j); }

SparseMatrix channelOrderMatrix() {
    SparseMatrix m;
    m.inputChannels = 8, m.outputChannels = kOutputs, m.chunkChannels = 4, m.chunks = kChunks;
    for (int chunk = 0; chunk < kChunks; ++chunk) {
        for (int c = 0; c < kOutputs; ++c) {
            m.rowStart.push_back(static_cast<int32_t>(m.nonzeros.size()));
            for (int j = 0; j < countOf(c, chunk); ++j) m.nonzeros.push_back({j * 32, valueOf(c, chunk, j)});
        }
        m.rowStart.push_back(static_cast<int32_t>(m.nonzeros.size()));
    }
    return m;
}

void expectOrdered(const SparseMatrix& m, const std::vector<std::pair<int, int>>& windows) {
    ASSERT_EQ(m.rowChannel.size(), size_t(kChunks * kOutputs));
    ASSERT_EQ(m.rowStart.size(), size_t(kChunks * (kOutputs + 1)));
    for (int chunk = 0; chunk < kChunks; ++chunk) {
        const int32_t* channel = m.rowChannel.data() + chunk * kOutputs;
        const int32_t* start = m.rowStart.data() + chunk * (kOutputs + 1);
        for (const auto& [first, end] : windows) {
            std::vector<int32_t> held(channel + first, channel + end);
            std::sort(held.begin(), held.end());
            for (int c = first; c < end; ++c) ASSERT_EQ(held[size_t(c - first)], c) << "window [" << first << ", " << end << ") chunk " << chunk;
            for (int p = first; p + 1 < end; ++p) {
                const int a = channel[p], b = channel[p + 1];
                ASSERT_TRUE(countOf(a, chunk) < countOf(b, chunk) || (countOf(a, chunk) == countOf(b, chunk) && a < b))
                    << "positions " << p << " and " << p + 1 << " hold channels " << a << " and " << b << " (chunk " << chunk << ")";
            }
        }
        for (int p = 0; p < kOutputs; ++p) {
            const int c = channel[p];
            ASSERT_EQ(start[p + 1] - start[p], countOf(c, chunk)) << "position " << p;
            for (int j = 0; j < countOf(c, chunk); ++j) {
                const Nonzero& nonzero = m.nonzeros[size_t(start[p] + j)];
                ASSERT_EQ(nonzero.value, valueOf(c, chunk, j)) << "position " << p << " nonzero " << j;
                ASSERT_EQ(nonzero.offset, j * 32);
            }
        }
    }
}

TEST(ChannelMajorTiles, RowsSummedByNonzeroCountWithinEachWindow) {
    static_assert(kOrderWindow == 64, "the windows below assume 64");
    SparseMatrix whole = channelOrderMatrix();
    cpu::channel_major::orderRows(0, whole);
    expectOrdered(whole, {{0, 64}, {64, 128}, {128, 150}});
    std::cout << "  one range: positions 0-7 of chunk 0 hold channels";
    for (int p = 0; p < 8; ++p) std::cout << " " << whole.rowChannel[size_t(p)] << " (" << countOf(whole.rowChannel[size_t(p)], 0) << ")";
    std::cout << "\n";

    // Ranges of 100 channels (two threads' parts): windows restart at 100.
    SparseMatrix ranges = channelOrderMatrix();
    cpu::channel_major::orderRows(100, ranges);
    expectOrdered(ranges, {{0, 64}, {64, 100}, {100, 150}});
    std::cout << "  ranges of 100: windows [0, 64), [64, 100), [100, 150) each ordered in both chunks\n";
}

SparseMatrix matrixOf(const std::vector<float>& values, int64_t chunkChannels) {
    SparseMatrix m;
    m.inputChannels = chunkChannels, m.outputChannels = 1, m.chunkChannels = chunkChannels, m.chunks = 1;
    m.rowStart = {0, static_cast<int32_t>(values.size())};
    m.rowChannel = {0};
    for (size_t k = 0; k < values.size(); ++k) m.nonzeros.push_back({static_cast<int32_t>(k * 32 * 60), values[k]});
    return m;
}

TEST(ChannelMajorTiles, CompactsFloat16WeightsToHalves) {
    // 0x1p-24 is float16's smallest subnormal, 65504 its largest value.
    const std::vector<float> exact = {0.5f, -2.25f, 0x1p-24f, 65504.0f, 0.0999755859375f};
    SparseMatrix m = matrixOf(exact, 64);
    ASSERT_TRUE(cpu::channel_major::compactToHalves(m));
    EXPECT_TRUE(m.nonzeros.empty());
    const auto& halves = m.halfNonzeros;
    ASSERT_EQ(halves.size(), exact.size());
    for (size_t k = 0; k < exact.size(); ++k) {
        EXPECT_EQ(reference::halfToFloat(halves[k].value), exact[k]) << "nonzero " << k;
        EXPECT_EQ(halves[k].offset, k * 32 * 60) << "nonzero " << k;
    }
    std::cout << "  " << exact.size() << " float16 values (0.5 to 65504, one subnormal) compacted, offsets up to " << halves.back().offset
              << "\n";

    for (float inexact : {1.0f / 3.0f, 65520.0f, 0x1p-26f}) {
        SparseMatrix kept = matrixOf({0.5f, inexact}, 64);
        EXPECT_FALSE(cpu::channel_major::compactToHalves(kept)) << inexact;
        EXPECT_TRUE(kept.halfNonzeros.empty());
        ASSERT_EQ(kept.nonzeros.size(), 2u);
        EXPECT_EQ(kept.nonzeros[1].value, inexact);
    }
    std::cout << "  1/3, 65520 and 2^-26 (not float16 values) leave the float32 nonzeros\n";

    SparseMatrix wide = matrixOf({0.5f}, cpu::channel_major::kMostHalfChunkChannels + 1);
    EXPECT_FALSE(cpu::channel_major::compactToHalves(wide));
    EXPECT_EQ(wide.nonzeros.size(), 1u);
    std::cout << "  a chunk of " << wide.chunkChannels << " channels (offsets past 16 bits) left as it was\n";
}

}  // namespace
}  // namespace litestudio

// Broadcast::forEachRow hands kernels rows as long as every input allows:
// a same-shape operation is one row, a scalar against anything is one row,
// a per-channel operand keeps rows of the channel count, and an operand
// broadcast along a middle axis splits rows there. Every element's offsets
// are checked against Broadcast::offsets, which works each out alone.
// forRows, a thread's share of the rows, starts its odometer mid-way: the
// shares of a split give the same rows as one pass.

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/kernels/reference/kernel_util.h"

namespace litestudio {
namespace {

struct RowsCase {
    std::vector<int32_t> out, a, b;
    int64_t rows, length;  // expected
};

TEST(BroadcastRows, RowsRunAsFarAsEveryInputContinues) {
    const std::vector<RowsCase> cases = {
        {{1, 129, 129, 12}, {1, 129, 129, 12}, {1, 129, 129, 12}, 1, 129 * 129 * 12},  // DeepLab's residual ADD
        {{2, 3, 4}, {2, 3, 4}, {1}, 1, 24},                                           // a scalar
        {{2, 5, 7}, {2, 5, 7}, {7}, 10, 7},                                           // one value per channel
        {{4, 6, 37}, {4, 6, 37}, {4, 1, 37}, 24, 37},                                 // broadcast along the middle
        {{3, 4, 5}, {3, 1, 1}, {3, 4, 5}, 3, 20},                                     // the inner two together
        {{30, 20, 17}, {30, 20, 1}, {1, 17}, 600, 17},                                // an outer product
    };
    for (const RowsCase& c : cases) {
        reference::Broadcast broadcast = reference::makeBroadcast(c.out, {c.a, c.b});
        int64_t rows = 0, length = -1, mismatches = 0, covered = 0;
        broadcast.forEachRow([&](int64_t start, const int64_t* from, int64_t rowLength, const int64_t* step) {
            ++rows;
            length = rowLength;
            for (int64_t i = 0; i < rowLength; ++i) {
                int64_t expected[2];
                broadcast.offsets(start + i, expected);
                mismatches += expected[0] != from[0] + i * step[0] || expected[1] != from[1] + i * step[1];
                ++covered;
            }
        });
        int64_t total = 1;
        for (int32_t dim : c.out) total *= dim;
        std::cout << "  " << shapeText(c.a) << " with " << shapeText(c.b) << " -> " << shapeText(c.out) << ": " << rows << " rows of " << length
                  << ", " << mismatches << " offsets differ\n";
        EXPECT_EQ(rows, c.rows);
        EXPECT_EQ(broadcast.rowCount(), c.rows);
        EXPECT_EQ(length, c.length);
        EXPECT_EQ(broadcast.rowLength(), c.length);
        EXPECT_EQ(covered, total);
        EXPECT_EQ(mismatches, 0);
    }
}

TEST(BroadcastRows, SharesOfTheRowsGiveTheSameRowsAsOnePass) {
    struct ShareCase {
        std::vector<int32_t> out, a, b;
    };
    const std::vector<ShareCase> cases = {
        {{30, 20, 17}, {30, 20, 1}, {1, 17}},      // an outer product: shares start mid-way through an outer axis
        {{201, 61, 3}, {201, 1, 3}, {1, 61, 3}},  // rows of 3 over two outer axes
        {{2, 3, 1, 4, 5}, {2, 1, 1, 4, 1}, {3, 1, 1, 5}},
        {{7}, {7}, {1}},                            // one row
    };
    for (const ShareCase& c : cases) {
        reference::Broadcast broadcast = reference::makeBroadcast(c.out, {c.a, c.b});
        using Row = std::vector<int64_t>;
        std::vector<Row> whole, shared;
        const auto collect = [](std::vector<Row>& into) {
            return [&into](int64_t start, const int64_t* from, int64_t length, const int64_t* step) {
                into.push_back({start, from[0], from[1], length, step[0], step[1]});
            };
        };
        broadcast.forEachRow(collect(whole));
        const int64_t rows = broadcast.rowCount();
        for (int64_t shares : {2, 3, 7}) {
            shared.clear();
            const int64_t share = (rows + shares - 1) / shares;
            for (int64_t first = 0; first < rows; first += share) broadcast.forRows(first, std::min(rows, first + share), collect(shared));
            std::cout << "  " << shapeText(c.a) << " with " << shapeText(c.b) << ": " << rows << " rows in " << shares << " shares of up to "
                      << share << ", " << (shared == whole ? "the same rows" : "different rows") << "\n";
            EXPECT_EQ(shared, whole);
        }
        EXPECT_EQ(static_cast<int64_t>(whole.size()), rows);
    }
}

}  // namespace
}  // namespace litestudio

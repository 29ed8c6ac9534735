#pragma once
// Where quantized bilinear resizing (equal input and output quantization)
// reads, as XNNPACK (and so LiteRT) computes it: positions in float32, the
// weight of the farther neighbour rounded to 11 fractional bits. The
// reference RESIZE_BILINEAR and the cpu accelerator's share it so that
// their outputs stay bit for bit the same.

#include <cstdint>
#include <vector>

namespace litestudio::reference {

struct BilinearSample {
    int low = 0, high = 0;  // the two input rows (or columns) blended
    int32_t weight = 0;     // of `high`, in 1/2048
};

// One sample per output row (or column): outSize of them over an input of inSize.
std::vector<BilinearSample> bilinearSamplesQ11(int inSize, int outSize, bool alignCorners, bool halfPixel);

}  // namespace litestudio::reference

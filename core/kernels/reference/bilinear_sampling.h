#pragma once
// Where bilinear resizing reads, as XNNPACK (and so LiteRT) computes it:
// positions in float32, the weight of the farther neighbour as a float and,
// for quantized values (equal input and output quantization), rounded to 11
// fractional bits. The reference RESIZE_BILINEAR and the cpu
// accelerator's share it so that their outputs stay bit for bit the same.
// The sampler stores nothing per sample; a kernel tables the output
// columns' samples (every row reads them all) only once it knows the output
// is not empty and the table fits in memory: a hostile size of 2^31 columns
// over an empty tensor must not allocate for each of them.

#include <cstdint>
#include <string>
#include <vector>

#include "core/support/status.h"

namespace litestudio::reference {

struct BilinearSample {
    int low = 0, high = 0;  // the two input rows (or columns) blended
    int32_t weight = 0;     // of `high`, in 1/2048
    float fraction = 0;     // of `high`, unrounded: XNNPACK's float alpha
};

class BilinearSampler {
public:
    BilinearSampler() = default;
    BilinearSampler(int inSize, int outSize, bool alignCorners, bool halfPixel);
    // Output row (or column) `o`'s sample.
    BilinearSample at(int o) const;
    // The samples of outputs [0, count), or an error naming `what` when the
    // table would not fit in memory.
    Expected<std::vector<BilinearSample>> table(int count, const std::string& what) const;

private:
    int inSize_ = 1;
    float scale_ = 0;
    bool halfPixel_ = false;  // and corners not aligned: centres shifted by half a pixel
};

}  // namespace litestudio::reference

#include "accelerators/cpu/float_stride_sized_transpose_convolution.h"

#include <algorithm>

#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/copy_bytes.h"

namespace litestudio::cpu {

namespace {

struct RunArguments {
    const StrideSizedTransposeConvolution* p;
    const float* input;
    float* output;
    int64_t width;
};

// Input rows [first, first + count) of the batch's planes: each row's
// products into a buffer, then its blocks into their output rows.
void runRows(void* context, size_t first, size_t count) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const StrideSizedTransposeConvolution& p = *arguments.p;
    const int64_t width = arguments.width, products = p.products.outputChannels, blockRow = p.strideW * p.outputs;
    thread_local CacheLineVector<float> buffer;
    if (static_cast<int64_t>(buffer.size()) < width * products) buffer.resize(static_cast<size_t>(width * products));
    for (size_t row = first; row < first + count; ++row) {
        multiplyPixels(p.products, arguments.input + static_cast<int64_t>(row) * width * p.products.inputChannels, width, buffer.data());
        // Input row `row` (image b, row y) makes output rows y * strideH + i
        // of image b; each holds, pixel after pixel, its strideW x outputs block row.
        float* out = arguments.output + static_cast<int64_t>(row) * p.strideH * width * blockRow;
        for (int64_t i = 0; i < p.strideH; ++i, out += width * blockRow)
            for (int64_t x = 0; x < width; ++x)
                reference::copyBytes(reinterpret_cast<uint8_t*>(out + x * blockRow),
                                     reinterpret_cast<const uint8_t*>(buffer.data() + x * products + i * blockRow),
                                     static_cast<size_t>(blockRow) * sizeof(float));
    }
}

}  // namespace

std::shared_ptr<const StrideSizedTransposeConvolution> packStrideSizedTransposeConvolution(const std::vector<float>& weights,
                                                                                           const std::vector<float>& bias, int64_t outputs,
                                                                                           int64_t strideH, int64_t strideW,
                                                                                           int64_t channels, float low, float high) {
    auto packed = std::make_shared<StrideSizedTransposeConvolution>();
    packed->strideH = strideH, packed->strideW = strideW, packed->outputs = outputs;
    PointwiseWeights& w = packed->products;
    const int64_t products = strideH * strideW * outputs;
    w.inputChannels = channels, w.outputChannels = products;
    w.blocks = (products + kPointwiseBlockChannels - 1) / kPointwiseBlockChannels;
    w.weights.assign(static_cast<size_t>(w.blocks * channels * kPointwiseBlockChannels), 0.0f);
    w.bias.assign(static_cast<size_t>(w.blocks * kPointwiseBlockChannels), 0.0f);
    w.low = low, w.high = high;
    // Product n = (i * strideW + j) * outputs + o: the DEPTH_TO_SPACE order,
    // so that a pixel's products for block row i are strideW x outputs in a row.
    for (int64_t o = 0; o < outputs; ++o)
        for (int64_t i = 0; i < strideH; ++i)
            for (int64_t j = 0; j < strideW; ++j) {
                const int64_t n = (i * strideW + j) * outputs + o, block = n / kPointwiseBlockChannels, lane = n % kPointwiseBlockChannels;
                w.bias[static_cast<size_t>(block * kPointwiseBlockChannels + lane)] = bias[static_cast<size_t>(o)];
                for (int64_t c = 0; c < channels; ++c)
                    w.weights[static_cast<size_t>((block * channels + c) * kPointwiseBlockChannels + lane)] =
                        weights[static_cast<size_t>(((o * strideH + i) * strideW + j) * channels + c)];
            }
    return packed;
}

void runStrideSizedTransposeConvolution(const KernelContext& context, const StrideSizedTransposeConvolution& convolution, const float* input,
                                        int64_t batch, int64_t height, int64_t width, float* output) {
    if (batch <= 0 || height <= 0 || width <= 0) return;
    RunArguments arguments{&convolution, input, output, width};
    parallelizeTiles(context, runRows, &arguments, static_cast<size_t>(batch * height), 1, 1);
}

}  // namespace litestudio::cpu

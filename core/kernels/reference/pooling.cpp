// AVERAGE_POOL_2D, MAX_POOL_2D, L2_POOL_2D and image resizing, NHWC.

#include <algorithm>
#include <type_traits>
#include <cstring>
#include <cmath>

#include "core/kernels/reference/bilinear_sampling.h"
#include "core/kernels/reference/copy_bytes.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

Status preparePool(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 1, 1, 1));
    const auto* options = context.op->options->builtin_options_as_Pool2DOptions();
    const RuntimeTensor& input = context.input(0);
    if (!options || options->stride_h() <= 0 || options->stride_w() <= 0 || options->filter_height() <= 0 ||
        options->filter_width() <= 0)
        return context.error("needs positive strides and filter size");
    if (input.rank() != 4) return context.error("needs a 4-D input (NHWC)");
    context.output(0).shape = {input.dim(0), convOutputSize(options->padding(), input.dim(1), options->filter_height(), options->stride_h(), 1),
                               convOutputSize(options->padding(), input.dim(2), options->filter_width(), options->stride_w(), 1),
                               input.dim(3)};
    context.scratchBytes = static_cast<size_t>(std::max(input.dim(3), 0)) * sizeof(int64_t);
    return Status::ok();
}

// Filter taps [first, end) of one axis whose input lies inside [0, size):
// the loops below skip the rest without visiting it (a window far larger
// than the image, from a damaged model, would otherwise take minutes).
struct Taps {
    int first, end;
};
Taps tapsInside(int64_t output, int stride, int pad, int filter, int size) {
    const int64_t start = output * stride - pad;
    return {static_cast<int>(std::clamp<int64_t>(-start, 0, filter)), static_cast<int>(std::clamp<int64_t>(size - start, 0, filter))};
}

// Quantized average with integer window sums, one channel row at a time:
// sum (q - zp) * scale is exact in double, so dividing that by the count
// gives the very value the general path computes, at a fraction of the cost.
// With the output quantized as the input (what TFLite's integer kernel
// requires), the stored values' sum is divided by the count rounding half
// away from zero, as TFLite does: the double path can land a tie on the
// other side.
bool averageQuantized(KernelContext& context, int padTop, int padLeft) {
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    if ((input.type != DataType::UInt8 && input.type != DataType::Int8) || !input.isQuantized() ||
        input.quantization->scheme != Quantization::Scheme::PerTensor)
        return false;
    const auto* options = context.op->options->builtin_options_as_Pool2DOptions();
    const bool sameQuantization = out.type == input.type && out.isQuantized() && out.quantization->scheme == Quantization::Scheme::PerTensor &&
                                  out.scale() == input.scale() && out.zeroPoint() == input.zeroPoint();
    const QuantizedRange range = sameQuantization ? quantizedActivationRange(out, options->fused_activation_function()) : QuantizedRange{};
    const int inH = input.dim(1), inW = input.dim(2), channels = input.dim(3), outH = out.dim(1), outW = out.dim(2);
    const int32_t zeroPoint = input.zeroPoint();
    const double scale = input.scale();
    int64_t* sums = reinterpret_cast<int64_t*>(context.scratch);
    ValueWriter write(out);
    int64_t index = 0;
    for (int b = 0; b < input.dim(0); ++b)
        for (int oy = 0; oy < outH; ++oy)
            for (int ox = 0; ox < outW; ++ox) {
                std::fill(sums, sums + channels, 0);
                int count = 0;
                const Taps rowsIn = tapsInside(oy, options->stride_h(), padTop, options->filter_height(), inH);
                const Taps columnsIn = tapsInside(ox, options->stride_w(), padLeft, options->filter_width(), inW);
                for (int ky = rowsIn.first; ky < rowsIn.end; ++ky) {
                    int iy = oy * options->stride_h() - padTop + ky;
                    for (int kx = columnsIn.first; kx < columnsIn.end; ++kx) {
                        int ix = ox * options->stride_w() - padLeft + kx;
                        int64_t at = ((int64_t(b) * inH + iy) * inW + ix) * channels;
                        if (input.type == DataType::UInt8)
                            for (int c = 0; c < channels; ++c) sums[c] += input.as<uint8_t>()[at + c];
                        else
                            for (int c = 0; c < channels; ++c) sums[c] += input.as<int8_t>()[at + c];
                        ++count;
                    }
                }
                for (int c = 0; c < channels; ++c, ++index) {
                    if (sameQuantization) {
                        const int64_t half = count / 2;
                        const int64_t mean = count == 0 ? zeroPoint : sums[c] >= 0 ? (sums[c] + half) / count : (sums[c] - half) / count;
                        const int64_t stored = std::clamp<int64_t>(mean, range.low, range.high);
                        if (out.type == DataType::UInt8) out.as<uint8_t>()[index] = static_cast<uint8_t>(stored);
                        else out.as<int8_t>()[index] = static_cast<int8_t>(stored);
                        continue;
                    }
                    double mean = count == 0 ? 0.0 : double(sums[c] - int64_t(count) * zeroPoint) * scale / count;
                    write(index, applyActivation(mean, options->fused_activation_function()));
                }
            }
    return true;
}

template <schema::BuiltinOperator Code>
Status evalPool(KernelContext& context) {
    const auto* options = context.op->options->builtin_options_as_Pool2DOptions();
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    ValueReader read(input);
    ValueWriter write(out);
    const int inH = input.dim(1), inW = input.dim(2), channels = input.dim(3);
    const int outH = out.dim(1), outW = out.dim(2);
    const int fH = options->filter_height(), fW = options->filter_width();
    const int sH = options->stride_h(), sW = options->stride_w();
    const int padTop = convPaddingBefore(inH, outH, fH, sH, 1);
    const int padLeft = convPaddingBefore(inW, outW, fW, sW, 1);
    if (Code == schema::BuiltinOperator_AVERAGE_POOL_2D && averageQuantized(context, padTop, padLeft)) return Status::ok();
    if (Code == schema::BuiltinOperator_MAX_POOL_2D && options->fused_activation_function() == schema::ActivationFunctionType_NONE &&
        input.type == out.type && (input.type == DataType::Int8 || input.type == DataType::UInt8) && input.isQuantized() &&
        out.isQuantized() && input.scale() == out.scale() && input.zeroPoint() == out.zeroPoint()) {
        // The largest stored byte is the largest value, and requantizing it
        // to the same parameters gives that byte back: no conversions. An
        // empty window gives the type's minimum, as -inf does below.
        auto maxBytes = [&](auto* x, auto* y, int lowest) {
            for (int b = 0; b < input.dim(0); ++b)
                for (int oy = 0; oy < outH; ++oy)
                    for (int ox = 0; ox < outW; ++ox) {
                        auto* target = y + ((int64_t(b) * outH + oy) * outW + ox) * channels;
                        for (int c = 0; c < channels; ++c) target[c] = static_cast<std::remove_pointer_t<decltype(y)>>(lowest);
                        const Taps rowsIn = tapsInside(oy, sH, padTop, fH, inH), columnsIn = tapsInside(ox, sW, padLeft, fW, inW);
                        for (int ky = rowsIn.first; ky < rowsIn.end; ++ky) {
                            int iy = oy * sH - padTop + ky;
                            for (int kx = columnsIn.first; kx < columnsIn.end; ++kx) {
                                int ix = ox * sW - padLeft + kx;
                                const auto* pixel = x + ((int64_t(b) * inH + iy) * inW + ix) * channels;
                                for (int c = 0; c < channels; ++c) target[c] = std::max(target[c], pixel[c]);
                            }
                        }
                    }
        };
        if (input.type == DataType::Int8) maxBytes(input.as<const int8_t>(), out.as<int8_t>(), -128);
        else maxBytes(input.as<const uint8_t>(), out.as<uint8_t>(), 0);
        return Status::ok();
    }
    int64_t index = 0;
    for (int b = 0; b < input.dim(0); ++b)
        for (int oy = 0; oy < outH; ++oy)
            for (int ox = 0; ox < outW; ++ox)
                for (int c = 0; c < channels; ++c, ++index) {
                    double sum = 0, best = -INFINITY;
                    int count = 0;
                    const Taps rowsIn = tapsInside(oy, sH, padTop, fH, inH), columnsIn = tapsInside(ox, sW, padLeft, fW, inW);
                    for (int ky = rowsIn.first; ky < rowsIn.end; ++ky) {
                        int iy = oy * sH - padTop + ky;
                        for (int kx = columnsIn.first; kx < columnsIn.end; ++kx) {
                            int ix = ox * sW - padLeft + kx;
                            double value = read(((int64_t(b) * inH + iy) * inW + ix) * channels + c);
                            sum += Code == schema::BuiltinOperator_L2_POOL_2D ? value * value : value;
                            best = std::max(best, value);
                            ++count;
                        }
                    }
                    double result = Code == schema::BuiltinOperator_MAX_POOL_2D ? best
                                    : count == 0                                 ? 0.0
                                    : Code == schema::BuiltinOperator_L2_POOL_2D ? std::sqrt(sum / count)
                                                                                 : sum / count;
                    write(index, applyActivation(result, options->fused_activation_function()));
                }
    return Status::ok();
}

// ---- resize ----
Status prepareResize(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 1));
    const RuntimeTensor& input = context.input(0);
    if (input.rank() != 4) return context.error("needs a 4-D input (NHWC)");
    if (!context.knows(context.input(1))) return Status::ok();
    std::vector<int64_t> size = readIntegers(context.input(1));
    if (size.size() != 2 || size[0] <= 0 || size[1] <= 0 || size[0] > INT32_MAX || size[1] > INT32_MAX)
        return context.error("size must be two positive values below 2^31");
    if ((input.dim(1) <= 0 || input.dim(2) <= 0) && input.dim(0) > 0 && input.dim(3) > 0)
        return context.error("cannot resize the empty image " + input.name + " (" + std::to_string(input.dim(1)) + "x" +
                             std::to_string(input.dim(2)) + ") to " + std::to_string(size[0]) + "x" + std::to_string(size[1]));
    context.output(0).shape = {input.dim(0), static_cast<int32_t>(size[0]), static_cast<int32_t>(size[1]), input.dim(3)};
    return Status::ok();
}

// Quantized bilinear resizing with equal input and output quantization, as
// XNNPACK (and so LiteRT) computes it (bilinear_sampling.h), then exact
// integer blending of the stored values with one final rounding shift.
template <typename Stored>
Status resizeBilinearQ11(const RuntimeTensor& input, RuntimeTensor& out, bool alignCorners, bool halfPixel) {
    const int inH = input.dim(1), inW = input.dim(2), channels = input.dim(3), outH = out.dim(1), outW = out.dim(2);
    const BilinearSampler rowSamples(inH, outH, alignCorners, halfPixel);
    auto columns = BilinearSampler(inW, outW, alignCorners, halfPixel).table(outW, out.name);
    if (!columns) return columns.status();
    const Stored* x = input.as<const Stored>();
    Stored* y = out.as<Stored>();
    // The blend is one exact integer polynomial in the four corners, so the
    // two input rows are blended first (once per output row, inW pixels) and
    // each output takes one horizontal step: the same sums, a third of the
    // multiplications (DeepLab's 33x33 -> 513x513x21: 7.4 -> 3.7 ms).
    std::vector<int32_t> rows(static_cast<size_t>(inW) * static_cast<size_t>(channels));
    for (int b = 0; b < input.dim(0); ++b)
        for (int oy = 0; oy < outH; ++oy) {
            const BilinearSample v = rowSamples.at(oy);
            const Stored* top = x + (int64_t(b) * inH + v.low) * inW * channels;
            const Stored* bottom = x + (int64_t(b) * inH + v.high) * inW * channels;
            for (size_t i = 0; i < rows.size(); ++i)
                rows[i] = static_cast<int32_t>(static_cast<uint32_t>(int32_t(top[i])) << 11) + (bottom[i] - top[i]) * v.weight;
            Stored* target = y + (int64_t(b) * outH + oy) * outW * channels;
            for (int ox = 0; ox < outW; ++ox, target += channels) {
                const BilinearSample& h = (*columns)[static_cast<size_t>(ox)];
                const int32_t* left = rows.data() + int64_t(h.low) * channels;
                const int32_t* right = rows.data() + int64_t(h.high) * channels;
                for (int c = 0; c < channels; ++c) {
                    int32_t accumulator = static_cast<int32_t>(static_cast<uint32_t>(left[c]) << 11) + (right[c] - left[c]) * h.weight;
                    target[c] = static_cast<Stored>((accumulator + (1 << 21)) >> 22);
                }
            }
        }
    return Status::ok();
}

template <bool Bilinear>
Status evalResize(KernelContext& context) {
    LS_RETURN_IF_ERROR(checkResizeAtRunTime(context));
    bool alignCorners = false, halfPixel = false;
    if (const auto* o = context.op->options->builtin_options_as_ResizeBilinearOptions())
        alignCorners = o->align_corners(), halfPixel = o->half_pixel_centers();
    if (const auto* o = context.op->options->builtin_options_as_ResizeNearestNeighborOptions())
        alignCorners = o->align_corners(), halfPixel = o->half_pixel_centers();
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    bool sameQuantization = input.type == out.type && input.isQuantized() && out.isQuantized() &&
                            input.scale() == out.scale() && input.zeroPoint() == out.zeroPoint();
    if (Bilinear && sameQuantization && input.type == DataType::Int8) {
        return resizeBilinearQ11<int8_t>(input, out, alignCorners, halfPixel);
    }
    if (Bilinear && sameQuantization && input.type == DataType::UInt8) {
        return resizeBilinearQ11<uint8_t>(input, out, alignCorners, halfPixel);
    }
    const int inH = input.dim(1), inW = input.dim(2), channels = input.dim(3), outH = out.dim(1), outW = out.dim(2);
    auto scale = [&](int in, int outSize) {
        return alignCorners && outSize > 1 ? double(in - 1) / (outSize - 1) : double(in) / outSize;
    };
    double scaleY = scale(inH, outH), scaleX = scale(inW, outW);
    auto nearest = [&](int o, double s, int limit) {
        double v = (o + (halfPixel ? 0.5 : 0.0)) * s;
        int i = alignCorners ? static_cast<int>(std::round(v)) : static_cast<int>(std::floor(v));
        return std::clamp(i, 0, limit - 1);
    };
    const bool sameValues = input.type == out.type && dataTypeBits(input.type) % 8 == 0 && dataTypeBits(input.type) > 0 &&
                            (!input.isQuantized() || sameQuantization) && (input.isQuantized() == out.isQuantized());
    if (!Bilinear && sameValues) {
        // Nearest neighbour moves whole pixels: one copy of all channels each
        // (the value view converted every element twice).
        const size_t pixelBytes = static_cast<size_t>(channels) * static_cast<size_t>(dataTypeBits(input.type) / 8);
        std::vector<int> columns(static_cast<size_t>(outW));
        for (int ox = 0; ox < outW; ++ox) columns[static_cast<size_t>(ox)] = nearest(ox, scaleX, inW);
        // An output row that reads the same input row as the one before is
        // that row again: one copy (an upscale by 2 makes half its rows so;
        // 160x160x16 floats to 320x320: 0.34 -> 0.21 ms).
        const size_t outRowBytes = static_cast<size_t>(outW) * pixelBytes;
        uint8_t* target = out.data;
        for (int b = 0; b < input.dim(0); ++b)
            for (int oy = 0, last = -1; oy < outH; ++oy, target += outRowBytes) {
                const int source = nearest(oy, scaleY, inH);
                if (source == last) {
                    std::memcpy(target, target - outRowBytes, outRowBytes);
                    continue;
                }
                last = source;
                const uint8_t* row = input.data + (int64_t(b) * inH + source) * inW * int64_t(pixelBytes);
                for (int ox = 0; ox < outW; ++ox)
                    copyBytes(target + static_cast<size_t>(ox) * pixelBytes, row + int64_t(columns[static_cast<size_t>(ox)]) * int64_t(pixelBytes),
                              pixelBytes);
            }
        return Status::ok();
    }
    ValueReader read(input);
    ValueWriter write(out);
    int64_t index = 0;
    if constexpr (Bilinear) {
        // Each output row reads two input rows: they are read into doubles
        // when they change (an upscale's neighbouring output rows share
        // them), and the columns' corners and fractions are worked out once,
        // instead of four reads and the coordinates per value (a 2560-image
        // uint8 batch to float took 0.8 s in release, 30 s under ASan). The
        // blend is the same expression on the same values.
        struct Column {
            int64_t left, right;
            double fraction;
        };
        std::vector<Column> columns(static_cast<size_t>(outW));
        for (int ox = 0; ox < outW; ++ox) {
            double x = halfPixel ? (ox + 0.5) * scaleX - 0.5 : ox * scaleX;
            int x0 = std::max(0, static_cast<int>(std::floor(x)));
            columns[static_cast<size_t>(ox)] = {int64_t(x0) * channels, int64_t(std::min(x0 + 1, inW - 1)) * channels,
                                                x < 0 ? 0.0 : x - std::floor(x)};
        }
        std::vector<double> top(static_cast<size_t>(inW) * static_cast<size_t>(channels)), bottom(top.size());
        for (int b = 0; b < input.dim(0); ++b) {
            int readTop = -1;
            for (int oy = 0; oy < outH; ++oy) {
                double y = halfPixel ? (oy + 0.5) * scaleY - 0.5 : oy * scaleY;
                int y0 = std::max(0, static_cast<int>(std::floor(y)));
                int y1 = std::min(y0 + 1, inH - 1);
                const double dy = y < 0 ? 0.0 : y - std::floor(y);
                if (y0 != readTop) {
                    for (size_t i = 0; i < top.size(); ++i) {
                        top[i] = read((int64_t(b) * inH + y0) * inW * channels + int64_t(i));
                        bottom[i] = read((int64_t(b) * inH + y1) * inW * channels + int64_t(i));
                    }
                    readTop = y0;
                }
                for (int ox = 0; ox < outW; ++ox) {
                    const Column& column = columns[static_cast<size_t>(ox)];
                    const double dx = column.fraction;
                    for (int c = 0; c < channels; ++c, ++index)
                        write(index, top[size_t(column.left + c)] * (1 - dy) * (1 - dx) + top[size_t(column.right + c)] * (1 - dy) * dx +
                                         bottom[size_t(column.left + c)] * dy * (1 - dx) + bottom[size_t(column.right + c)] * dy * dx);
                }
            }
        }
        return Status::ok();
    }
    for (int b = 0; b < input.dim(0); ++b)
        for (int oy = 0; oy < outH; ++oy)
            for (int ox = 0; ox < outW; ++ox)
                for (int c = 0; c < channels; ++c, ++index)
                    write(index, read(((int64_t(b) * inH + nearest(oy, scaleY, inH)) * inW + nearest(ox, scaleX, inW)) * channels + c));
    return Status::ok();
}

}  // namespace

Status checkResizeAtRunTime(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& out = context.output(0);
    if (out.rank() != 4 || out.dim(0) != input.dim(0) || out.dim(3) != input.dim(3))
        return context.error("output " + out.name + " " + shapeText(out.shape) + " does not keep the batch and channels of " + input.name +
                             " " + shapeText(input.shape));
    std::vector<int64_t> size = readIntegers(context.input(1));
    if (size.size() != 2 || size[0] != out.dim(1) || size[1] != out.dim(2))
        return context.error("size does not match output " + out.name + " " + shapeText(out.shape));
    if ((input.dim(1) <= 0 || input.dim(2) <= 0) && out.elementCount() > 0)
        return context.error("cannot resize the empty image " + input.name + " " + shapeText(input.shape));
    return Status::ok();
}

void addPoolingKernels(KernelTable& table) {
    table[schema::BuiltinOperator_AVERAGE_POOL_2D] = {preparePool, evalPool<schema::BuiltinOperator_AVERAGE_POOL_2D>};
    table[schema::BuiltinOperator_MAX_POOL_2D] = {preparePool, evalPool<schema::BuiltinOperator_MAX_POOL_2D>};
    table[schema::BuiltinOperator_L2_POOL_2D] = {preparePool, evalPool<schema::BuiltinOperator_L2_POOL_2D>};
    table[schema::BuiltinOperator_RESIZE_BILINEAR] = {prepareResize, evalResize<true>};
    table[schema::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR] = {prepareResize, evalResize<false>};
}

}  // namespace litestudio::reference

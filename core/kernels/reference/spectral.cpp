// The spectral ops audio front ends are converted with (YAMNet's mel
// spectrogram, MediaPipe's audio classifier): RFFT2D (the 2-D discrete
// Fourier transform of a real signal, the non-negative frequencies of the
// last axis kept) and COMPLEX_ABS, REAL and IMAG on its complex64 result.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

// LiteRT takes powers of two only (its FFT is radix 2); so do we, up to a
// length whose table of twiddle factors stays at 8 MiB.
constexpr int64_t kLongestTransform = int64_t(1) << 20;
// Lines transformed together: enough that the loop over them fills a
// vector, few enough that they stay in L2 (at most 1 MiB of them).
constexpr int64_t kMostLinesAtOnce = 64, kLineBatchBytes = int64_t(1) << 20;

bool isPowerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

struct FourierPlan {
    int64_t rows = 0, columns = 0;  // fft_length: the transform's size over the last two axes
    int64_t longest = 1;
    // exp(-2 pi i k / longest) for k <= longest / 2, as real and imaginary parts.
    std::vector<double> twiddleReal, twiddleImaginary;
    int64_t linesAtOnce = 1;  // of the last axis, packed as columns / 2 complex values
};

// Forward transforms of `count` lines of `n` complex values each (n a power
// of two up to plan.longest), in place: X[k] = sum_j x[j] exp(-2 pi i j k / n).
// Value j of line l is at [j * count + l], so the innermost loop runs
// along the lines and vectorizes. Iterative radix 2, in double: a float
// signal's transform rounds once, when it is stored.
void transformLines(const FourierPlan& plan, double* real, double* imaginary, int64_t n, int64_t count) {
    for (int64_t i = 1, j = 0; i < n; ++i) {  // into bit-reversed order
        int64_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j)
            for (int64_t l = 0; l < count; ++l) {
                std::swap(real[i * count + l], real[j * count + l]);
                std::swap(imaginary[i * count + l], imaginary[j * count + l]);
            }
    }
    for (int64_t length = 2; length <= n; length <<= 1) {
        const int64_t half = length / 2, step = plan.longest / length;
        for (int64_t start = 0; start < n; start += length)
            for (int64_t k = 0; k < half; ++k) {
                const double wr = plan.twiddleReal[static_cast<size_t>(k * step)], wi = plan.twiddleImaginary[static_cast<size_t>(k * step)];
                double* er = real + (start + k) * count;
                double* ei = imaginary + (start + k) * count;
                double* orr = real + (start + k + half) * count;
                double* oi = imaginary + (start + k + half) * count;
                for (int64_t l = 0; l < count; ++l) {
                    const double tr = orr[l] * wr - oi[l] * wi, ti = orr[l] * wi + oi[l] * wr;
                    orr[l] = er[l] - tr, oi[l] = ei[l] - ti;
                    er[l] += tr, ei[l] += ti;
                }
            }
    }
}

// RFFT2D(input float32 [..., M, N], fft_length int32 [2]) -> complex64
// [..., fft_length[0], fft_length[1] / 2 + 1]: the input cropped or padded
// with zeros to fft_length over its last two axes.
Status prepareRealFourier(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 1));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& lengths = context.input(1);
    LS_RETURN_IF_ERROR(expectType(context, input, {DataType::Float32}));
    LS_RETURN_IF_ERROR(expectType(context, lengths, {DataType::Int32}));
    LS_RETURN_IF_ERROR(expectType(context, context.output(0), {DataType::Complex64}));
    if (input.rank() < 2) return context.error("expects an input of rank 2 or more (the transform runs over its last two axes)");
    if (lengths.elementCount() != 2) return context.error("expects fft_length of 2 values, got " + std::to_string(lengths.elementCount()));
    if (!context.knows(lengths)) return context.error("expects a constant fft_length");
    const std::vector<int64_t> fft = readIntegers(lengths);
    for (int64_t n : fft) {
        if (!isPowerOfTwo(n)) return context.error("fft_length " + std::to_string(n) + " is not a power of two (LiteRT's RFFT2D takes only those)");
        if (n > kLongestTransform) return context.error("fft_length " + std::to_string(n) + " is longer than " + std::to_string(kLongestTransform));
    }
    std::vector<int32_t> shape = input.shape;
    shape[shape.size() - 2] = static_cast<int32_t>(fft[0]);
    shape[shape.size() - 1] = static_cast<int32_t>(fft[1] / 2 + 1);
    context.output(0).shape = shape;

    auto plan = std::make_shared<FourierPlan>();
    FourierPlan& p = *plan;
    p.rows = fft[0], p.columns = fft[1], p.longest = std::max(fft[0], fft[1]);
    const size_t twiddles = static_cast<size_t>(p.longest / 2 + 1);
    LS_RETURN_IF_ERROR(context.holdMemory(2 * twiddles * sizeof(double), 0,
                                          context.opLabel + " spectrum '" + context.output(0).name + "' " + shapeText(shape) +
                                              " with its twiddle factors"));
    p.twiddleReal.resize(twiddles), p.twiddleImaginary.resize(twiddles);
    for (size_t k = 0; k < twiddles; ++k) {
        const double angle = -2.0 * M_PI * static_cast<double>(k) / static_cast<double>(p.longest);
        p.twiddleReal[k] = std::cos(angle), p.twiddleImaginary[k] = std::sin(angle);
    }
    const int64_t packed = std::max<int64_t>(1, p.columns / 2);
    p.linesAtOnce = std::clamp<int64_t>(kLineBatchBytes / (packed * 2 * int64_t(sizeof(double))), 1, kMostLinesAtOnce);
    // The half spectrum of one plane (or of a batch of one-row planes), and
    // one batch of packed lines.
    context.scratchBytes = static_cast<size_t>(std::max(p.rows, p.linesAtOnce) * (p.columns / 2 + 1) + packed * p.linesAtOnce) * 2 * sizeof(double);
    context.state = plan;
    return Status::ok();
}

// The half spectrum of `count` real lines of the last axis, each read
// (cropped or padded with zeros to plan.columns) by `lineAt`, into rows of
// `spectrumReal/Imaginary` ([line][columns / 2 + 1]). A real line of N
// values is transformed as N / 2 complex ones, z[m] = x[2m] + i x[2m + 1],
// and split: X[k] = E[k] + exp(-2 pi i k / N) O[k], where E and O, the
// transforms of the even and odd values, are (Z[k] + conj(Z[N/2 - k])) / 2
// and (Z[k] - conj(Z[N/2 - k])) / 2i.
template <typename LineAt>
void transformRealLines(const FourierPlan& p, LineAt lineAt, int64_t inColumns, int64_t count, double* packedReal, double* packedImaginary,
                        double* spectrumReal, double* spectrumImaginary) {
    const int64_t halfColumns = p.columns / 2 + 1;
    if (p.columns == 1) {
        for (int64_t l = 0; l < count; ++l) {
            const float* x = lineAt(l);
            spectrumReal[l] = x && inColumns > 0 ? x[0] : 0.0, spectrumImaginary[l] = 0.0;
        }
        return;
    }
    const int64_t n = p.columns / 2;
    for (int64_t m = 0; m < n; ++m)
        for (int64_t l = 0; l < count; ++l) {
            const float* x = lineAt(l);
            packedReal[m * count + l] = x && 2 * m < inColumns ? x[2 * m] : 0.0;
            packedImaginary[m * count + l] = x && 2 * m + 1 < inColumns ? x[2 * m + 1] : 0.0;
        }
    transformLines(p, packedReal, packedImaginary, n, count);
    const int64_t step = p.longest / p.columns;
    for (int64_t k = 0; k <= n; ++k) {
        const int64_t at = k % n, mirror = (n - k) % n;
        const double wr = p.twiddleReal[static_cast<size_t>(k * step)], wi = p.twiddleImaginary[static_cast<size_t>(k * step)];
        for (int64_t l = 0; l < count; ++l) {
            const double zr = packedReal[at * count + l], zi = packedImaginary[at * count + l];
            const double cr = packedReal[mirror * count + l], ci = -packedImaginary[mirror * count + l];  // conj(Z[N/2 - k])
            const double evenReal = 0.5 * (zr + cr), evenImaginary = 0.5 * (zi + ci);
            const double oddReal = 0.5 * (zi - ci), oddImaginary = -0.5 * (zr - cr);  // (Z - conj) / 2i
            spectrumReal[l * halfColumns + k] = evenReal + wr * oddReal - wi * oddImaginary;
            spectrumImaginary[l * halfColumns + k] = evenImaginary + wr * oddImaginary + wi * oddReal;
        }
    }
}

Status evalRealFourier(KernelContext& context) {
    const auto& p = *static_cast<const FourierPlan*>(context.state.get());
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    const int64_t inRows = input.dim(input.rank() - 2), inColumns = input.dim(input.rank() - 1);
    const int64_t halfColumns = p.columns / 2 + 1, packed = std::max<int64_t>(1, p.columns / 2);
    int64_t planes = 1;
    for (int d = 0; d < input.rank() - 2; ++d) planes *= input.dim(d);
    const int64_t spectrumRows = std::max(p.rows, p.linesAtOnce);
    auto* spectrumReal = reinterpret_cast<double*>(context.scratch);  // [spectrumRows][halfColumns]
    double* spectrumImaginary = spectrumReal + spectrumRows * halfColumns;
    double* packedReal = spectrumImaginary + spectrumRows * halfColumns;
    double* packedImaginary = packedReal + packed * p.linesAtOnce;
    const float* signal = input.as<const float>();
    auto* written = out.as<float>();  // complex64: real and imaginary floats
    auto store = [&](float* to, int64_t values) {
        for (int64_t i = 0; i < values; ++i)
            to[2 * i] = static_cast<float>(spectrumReal[i]), to[2 * i + 1] = static_cast<float>(spectrumImaginary[i]);
    };
    if (p.rows == 1) {
        // One line a plane (an audio frame's spectrum): a batch of planes at a time.
        for (int64_t first = 0; first < planes; first += p.linesAtOnce) {
            const int64_t count = std::min(p.linesAtOnce, planes - first);
            auto lineAt = [&](int64_t l) { return inRows > 0 ? signal + (first + l) * inRows * inColumns : nullptr; };
            transformRealLines(p, lineAt, inColumns, count, packedReal, packedImaginary, spectrumReal, spectrumImaginary);
            store(written + 2 * first * halfColumns, count * halfColumns);
        }
        return Status::ok();
    }
    for (int64_t plane = 0; plane < planes; ++plane) {
        const float* x = signal + plane * inRows * inColumns;
        // Along the last axis, a batch of rows at a time (rows past the
        // input's are zeros), then along the axis before it, every kept
        // column at once.
        for (int64_t first = 0; first < p.rows; first += p.linesAtOnce) {
            const int64_t count = std::min(p.linesAtOnce, p.rows - first);
            auto lineAt = [&](int64_t l) { return first + l < inRows ? x + (first + l) * inColumns : nullptr; };
            transformRealLines(p, lineAt, inColumns, count, packedReal, packedImaginary, spectrumReal + first * halfColumns,
                               spectrumImaginary + first * halfColumns);
        }
        transformLines(p, spectrumReal, spectrumImaginary, p.rows, halfColumns);
        store(written + 2 * plane * p.rows * halfColumns, p.rows * halfColumns);
    }
    return Status::ok();
}

// COMPLEX_ABS, REAL and IMAG: complex64 -> float32, complex128 -> float64,
// element by element.
template <schema::BuiltinOperator Code>
Status prepareComplexPart(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 1, 1, 1));
    const RuntimeTensor& input = context.input(0);
    LS_RETURN_IF_ERROR(expectType(context, input, {DataType::Complex64, DataType::Complex128}));
    LS_RETURN_IF_ERROR(expectType(context, context.output(0), {input.type == DataType::Complex64 ? DataType::Float32 : DataType::Float64}));
    context.output(0).shape = input.shape;
    return Status::ok();
}

template <schema::BuiltinOperator Code, typename Real>
void complexParts(const Real* pairs, Real* out, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
        const Real re = pairs[2 * i], im = pairs[2 * i + 1];
        // A float's square cannot overflow a double: the plain root is exact
        // enough there and several times faster than hypot.
        if constexpr (Code == schema::BuiltinOperator_COMPLEX_ABS && sizeof(Real) == sizeof(float))
            out[i] = static_cast<float>(std::sqrt(static_cast<double>(re) * re + static_cast<double>(im) * im));
        else if constexpr (Code == schema::BuiltinOperator_COMPLEX_ABS) out[i] = std::hypot(re, im);
        else if constexpr (Code == schema::BuiltinOperator_REAL) out[i] = re;
        else out[i] = im;
    }
}

template <schema::BuiltinOperator Code>
Status evalComplexPart(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& out = context.output(0);
    if (input.type == DataType::Complex64) complexParts<Code>(input.as<const float>(), out.as<float>(), out.elementCount());
    else complexParts<Code>(input.as<const double>(), out.as<double>(), out.elementCount());
    return Status::ok();
}

template <schema::BuiltinOperator Code>
void addComplexPart(KernelTable& table) {
    table[Code] = {prepareComplexPart<Code>, evalComplexPart<Code>};
}

}  // namespace

void addSpectralKernels(KernelTable& table) {
    table[schema::BuiltinOperator_RFFT2D] = {prepareRealFourier, evalRealFourier};
    addComplexPart<schema::BuiltinOperator_COMPLEX_ABS>(table);
    addComplexPart<schema::BuiltinOperator_REAL>(table);
    addComplexPart<schema::BuiltinOperator_IMAG>(table);
}

}  // namespace litestudio::reference

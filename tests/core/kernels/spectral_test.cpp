// RFFT2D, COMPLEX_ABS, REAL and IMAG (core/kernels/reference/spectral.cpp):
// a row small enough to transform by hand, then planes padded, cropped and
// batched against the discrete Fourier transform summed term by term here,
// and the errors a malformed op gets.

#include <cmath>
#include <complex>
#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

// A complex64 tensor's values as float pairs (real, imaginary).
std::vector<float> complexValues(CompiledModel& model, int tensor) {
    const RuntimeTensor& t = model.tensor(0, tensor);
    return std::vector<float>(t.as<float>(), t.as<float>() + 2 * t.elementCount());
}

struct FourierModel {
    ModelBuilder builder;
    int input = -1, output = -1;
};

FourierModel realFourierModel(const std::vector<int32_t>& inputShape, int32_t rows, int32_t columns) {
    FourierModel m;
    m.builder.addSubgraph();
    m.input = m.builder.addTensor({"signal", DataType::Float32, inputShape});
    const int lengths = m.builder.addConstant("fft_length", DataType::Int32, {2}, bytesOf<int32_t>({rows, columns}));
    std::vector<int32_t> outShape = inputShape;
    outShape[outShape.size() - 2] = rows, outShape[outShape.size() - 1] = columns / 2 + 1;
    m.output = m.builder.addTensor({"spectrum", DataType::Complex64, outShape});
    m.builder.addOp({schema::BuiltinOperator_RFFT2D, {}, {m.input, lengths}, {m.output}});
    m.builder.setInputs({m.input});
    m.builder.setOutputs({m.output});
    return m;
}

// The transform by its definition: X[k0][k1] = sum over the input (cropped
// or padded with zeros to rows x columns) of x[n0][n1] exp(-2 pi i (k0 n0 /
// rows + k1 n1 / columns)), k1 up to columns / 2; as float pairs.
std::vector<float> summedTransform(const std::vector<float>& x, int64_t planes, int64_t inRows, int64_t inColumns, int64_t rows,
                                   int64_t columns) {
    std::vector<float> out;
    for (int64_t plane = 0; plane < planes; ++plane)
        for (int64_t k0 = 0; k0 < rows; ++k0)
            for (int64_t k1 = 0; k1 <= columns / 2; ++k1) {
                std::complex<double> sum;
                for (int64_t n0 = 0; n0 < std::min(rows, inRows); ++n0)
                    for (int64_t n1 = 0; n1 < std::min(columns, inColumns); ++n1) {
                        const double angle = -2.0 * M_PI * (double(k0 * n0) / double(rows) + double(k1 * n1) / double(columns));
                        sum += double(x[size_t((plane * inRows + n0) * inColumns + n1)]) * std::polar(1.0, angle);
                    }
                out.push_back(float(sum.real())), out.push_back(float(sum.imag()));
            }
    return out;
}

TEST(Spectral, RealFourierOfOneRowByHand) {
    // [1, 2, 3, 4]: X0 = 10, X1 = 1 - 3 + i (4 - 2) = -2 + 2i, X2 = 1 - 2 + 3 - 4 = -2.
    FourierModel m = realFourierModel({1, 4}, 1, 4);
    auto model = compileBuilt(m.builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<float>(**model, m.input, {1, 2, 3, 4}));
    ASSERT_TRUE((*model)->run(0));
    const std::vector<float> got = complexValues(**model, m.output);
    const std::vector<float> want = {10, 0, -2, 2, -2, 0};
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "float " << i;
}

TEST(Spectral, RealFourierMatchesTheSumPaddedCroppedAndBatched) {
    struct Case {
        const char* what;
        std::vector<int32_t> shape;  // [..., rows, columns]
        int32_t rows, columns;
    };
    const Case cases[] = {
        {"4x4 plane", {4, 4}, 4, 4},
        {"two 3x6 planes padded to 4x8", {2, 3, 6}, 4, 8},
        {"5x9 plane cropped to 2x4", {1, 5, 9}, 2, 4},
        {"70 one-row planes of 32 (audio frames, batched 64 at a time)", {70, 1, 32}, 1, 32},
        {"one-column planes", {3, 8, 1}, 8, 1},
        {"96 frames of 512, YAMNet's", {96, 1, 512}, 1, 512},
    };
    std::mt19937 random(5);
    for (const Case& c : cases) {
        FourierModel m = realFourierModel(c.shape, c.rows, c.columns);
        auto model = compileBuilt(m.builder);
        ASSERT_TRUE(model) << c.what << ": " << model.errorMessage();
        int64_t count = 1;
        for (int32_t d : c.shape) count *= d;
        const std::vector<float> x = testing::randomFloats(random, size_t(count));
        ASSERT_TRUE(setValues<float>(**model, m.input, x));
        ASSERT_TRUE((*model)->run(0)) << c.what;
        const int64_t inRows = c.shape[c.shape.size() - 2], inColumns = c.shape.back();
        const std::vector<float> want = summedTransform(x, count / (inRows * inColumns), inRows, inColumns, c.rows, c.columns);
        const std::vector<float> got = complexValues(**model, m.output);
        ASSERT_EQ(got.size(), want.size()) << c.what;
        double worst = 0, largest = 1;
        for (size_t i = 0; i < want.size(); ++i)
            worst = std::max(worst, std::fabs(double(got[i]) - want[i])), largest = std::max(largest, std::fabs(double(want[i])));
        std::cout << "  " << c.what << ": " << want.size() / 2 << " values, largest difference " << worst << " of values up to " << largest
                  << "\n";
        EXPECT_LE(worst, 1e-5 * largest) << c.what;
    }
}

TEST(Spectral, ComplexPartsAndMagnitude) {
    // complex64 [3]: 3 + 4i, -1 + 0i, 0 - 2i.
    const std::vector<float> pairs = {3, 4, -1, 0, 0, -2};
    struct Part {
        schema::BuiltinOperator code;
        std::vector<float> want;
    };
    const Part parts[] = {
        {schema::BuiltinOperator_COMPLEX_ABS, {5, 1, 2}},
        {schema::BuiltinOperator_REAL, {3, -1, 0}},
        {schema::BuiltinOperator_IMAG, {4, 0, -2}},
    };
    for (const Part& part : parts) {
        ModelBuilder builder;
        builder.addSubgraph();
        const int in = builder.addTensor({"z", DataType::Complex64, {3}});
        const int out = builder.addTensor({"part", DataType::Float32, {3}});
        builder.addOp({part.code, {}, {in}, {out}});
        builder.setInputs({in});
        builder.setOutputs({out});
        auto model = compileBuilt(builder);
        ASSERT_TRUE(model) << schema::EnumNameBuiltinOperator(part.code) << ": " << model.errorMessage();
        ASSERT_TRUE(setValues<float>(**model, in, pairs));
        ASSERT_TRUE((*model)->run(0));
        EXPECT_EQ(tensorValues<float>(**model, out), part.want) << schema::EnumNameBuiltinOperator(part.code);
    }
}

TEST(Spectral, MalformedTransformsAreRefusedByName) {
    struct Case {
        const char* what;
        std::vector<int32_t> shape;
        int32_t rows, columns;
        const char* message;
    };
    const Case cases[] = {
        {"a length not a power of two", {4, 6}, 4, 6, "fft_length 6 is not a power of two"},
        {"a zero length", {4, 4}, 0, 4, "fft_length 0 is not a power of two"},
        {"a length past 2^20", {1, 4}, 1, 1 << 21, "fft_length 2097152 is longer than 1048576"},
        {"a rank-1 signal", {8}, 1, 8, "rank 2 or more"},
        {"a spectrum larger than memory", {1, 4}, 1 << 20, 1 << 20, "memory"},
    };
    for (const Case& c : cases) {
        FourierModel m;
        m.builder.addSubgraph();
        m.input = m.builder.addTensor({"signal", DataType::Float32, c.shape});
        const int lengths = m.builder.addConstant("fft_length", DataType::Int32, {2}, bytesOf<int32_t>({c.rows, c.columns}));
        m.output = m.builder.addTensor({"spectrum", DataType::Complex64, {1, 1}});
        m.builder.addOp({schema::BuiltinOperator_RFFT2D, {}, {m.input, lengths}, {m.output}});
        m.builder.setInputs({m.input});
        m.builder.setOutputs({m.output});
        auto model = compileBuilt(m.builder);
        ASSERT_FALSE(model) << c.what;
        std::cout << "  " << c.what << ": " << model.errorMessage() << "\n";
        EXPECT_NE(model.errorMessage().find(c.message), std::string::npos) << c.what << ": " << model.errorMessage();
        EXPECT_NE(model.errorMessage().find("RFFT2D"), std::string::npos) << model.errorMessage();
    }
}

}  // namespace
}  // namespace litestudio

// The reference TRANSPOSE against each output element worked out from its
// coordinates: a small case by hand, then every permutation of ranks 2 to 4
// (and two of rank 5) over 1-, 2- and 4-byte elements, on shapes whose last
// two output axes are long-by-short and short-by-long (the loops walk
// whichever way the input is contiguous), plus the NCHW -> NHWC image of a
// PyTorch export and permutations that keep trailing axes (copied in runs).

#include <algorithm>
#include <numeric>
#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

std::vector<int32_t> permuted(const std::vector<int32_t>& shape, const std::vector<int32_t>& perm) {
    std::vector<int32_t> out(perm.size());
    for (size_t d = 0; d < perm.size(); ++d) out[d] = shape[static_cast<size_t>(perm[d])];
    return out;
}

// Bytes of element i of the output, from the input's bytes.
std::vector<uint8_t> expected(const std::vector<uint8_t>& in, const std::vector<int32_t>& shape, const std::vector<int32_t>& perm,
                              size_t width) {
    const std::vector<int32_t> outShape = permuted(shape, perm);
    std::vector<int64_t> inStrides(shape.size(), 1);
    for (size_t d = shape.size(); d-- > 1;) inStrides[d - 1] = inStrides[d] * shape[d];
    int64_t count = 1;
    for (int32_t dim : outShape) count *= dim;
    std::vector<uint8_t> out(static_cast<size_t>(count) * width);
    for (int64_t o = 0; o < count; ++o) {
        int64_t rest = o, from = 0;
        for (size_t d = outShape.size(); d-- > 0;) {
            from += (rest % outShape[d]) * inStrides[static_cast<size_t>(perm[d])];
            rest /= outShape[d];
        }
        std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(from * static_cast<int64_t>(width)), width,
                    out.begin() + static_cast<std::ptrdiff_t>(o * static_cast<int64_t>(width)));
    }
    return out;
}

// Runs TRANSPOSE on the reference; the output's bytes, or empty on failure.
std::vector<uint8_t> transposed(DataType type, const std::vector<int32_t>& shape, const std::vector<int32_t>& perm,
                                const std::vector<uint8_t>& bytes) {
    ModelBuilder builder;
    builder.addSubgraph();
    const int x = builder.addTensor({"x", type, shape});
    const int axes = builder.addConstant("perm", DataType::Int32, {static_cast<int32_t>(perm.size())}, testing::bytesOf(perm));
    const int y = builder.addTensor({"y", type, permuted(shape, perm)});
    builder.addOp({schema::BuiltinOperator_TRANSPOSE, {}, {x, axes}, {y}});
    builder.setInputs({x});
    builder.setOutputs({y});
    auto model = compileBuilt(builder, {"reference"});
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return {};
    EXPECT_TRUE((*model)->setInput(0, x, bytes));
    EXPECT_TRUE((*model)->run(0));
    const RuntimeTensor& out = (*model)->tensor(0, y);
    return std::vector<uint8_t>(out.data, out.data + out.bytes);
}

TEST(Transpose, MovesAMatrixByHand) {
    // [2,3] -> [3,2]: rows become columns.
    const std::vector<float> values = {1, 2, 3, 4, 5, 6};
    std::vector<uint8_t> out = transposed(DataType::Float32, {2, 3}, {1, 0}, testing::bytesOf(values));
    std::vector<float> got(out.size() / 4);
    std::memcpy(got.data(), out.data(), out.size());
    EXPECT_EQ(got, (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(Transpose, EveryPermutationMatchesTheCoordinates) {
    std::mt19937 random(9);
    struct Shape {
        std::vector<int32_t> dims;
    };
    const std::vector<Shape> shapes = {{{5, 37}}, {{3, 4, 29}}, {{2, 19, 3, 6}}, {{2, 3, 2, 5, 3}}};
    int compared = 0;
    for (const Shape& shape : shapes) {
        std::vector<int32_t> perm(shape.dims.size());
        std::iota(perm.begin(), perm.end(), 0);
        int permutations = 0;
        do {
            if (shape.dims.size() == 5 && ++permutations > 2 && perm != std::vector<int32_t>{0, 3, 4, 1, 2}) continue;
            for (DataType type : {DataType::Int8, DataType::Int16, DataType::Float32}) {
                const size_t width = static_cast<size_t>(dataTypeBits(type) / 8);
                size_t count = 1;
                for (int32_t dim : shape.dims) count *= static_cast<size_t>(dim);
                std::vector<uint8_t> bytes(count * width);
                for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
                EXPECT_EQ(transposed(type, shape.dims, perm, bytes), expected(bytes, shape.dims, perm, width))
                    << dataTypeName(type) << " " << shapeText(shape.dims) << " by " << shapeText(perm);
                ++compared;
            }
        } while (std::next_permutation(perm.begin(), perm.end()));
    }
    std::cout << "  " << compared << " transposes compared element by element\n";
    EXPECT_GE(compared, 3 * (2 + 6 + 24 + 3));
}

TEST(Transpose, TurnsAnNchwImageToNhwc) {
    std::mt19937 random(10);
    const std::vector<int32_t> shape = {1, 3, 224, 224}, perm = {0, 2, 3, 1};
    std::vector<uint8_t> bytes(3 * 224 * 224);
    for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
    EXPECT_EQ(transposed(DataType::Int8, shape, perm, bytes), expected(bytes, shape, perm, 1));
}

}  // namespace
}  // namespace litestudio

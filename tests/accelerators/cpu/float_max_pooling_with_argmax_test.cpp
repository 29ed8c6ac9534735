// MediaPipe's MaxPoolingWithArgmax2D on AVX-512 against the reference
// kernel, bit for bit (values and indices): 2x2/2 VALID, 3x3/2 SAME (padded
// windows), channel counts off the 16-lane block, many ties (values drawn
// from four levels, so the first maximum must win), -inf and +inf inputs,
// int32 indices, and a filter 2,147,483,000 rows high (each window cut to
// the image, where it had been walked row by row). Skipped without
// AVX-512.

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;

struct PoolCase {
    int height, width, channels, filter, stride;
    bool same;
    DataType indexType;
    int filterHeight = 0;  // other than `filter`
};

std::vector<uint8_t> rawInts(std::vector<int32_t> values) {
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

TEST(FloatMaxPoolingWithArgmax, MatchesTheReferenceBitForBit) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernel is not used here";
    const std::vector<PoolCase> cases = {
        {8, 10, 20, 2, 2, false, DataType::Float32},
        {9, 7, 33, 3, 2, true, DataType::Float32},
        {6, 6, 16, 2, 2, true, DataType::Int32},
        {6, 5, 20, 2, 2, true, DataType::Float32, 2147483000},
    };
    std::mt19937 random(29);
    for (const PoolCase& c : cases) {
        litestudio::ModelBuilder b;
        b.addSubgraph();
        auto pooled = [&](int in) { return c.same ? (in + c.stride - 1) / c.stride : (in - c.filter + c.stride) / c.stride; };
        std::vector<int32_t> outShape{1, pooled(c.height), pooled(c.width), c.channels};
        int input = b.addTensor({"x", DataType::Float32, {1, c.height, c.width, c.channels}});
        int values = b.addTensor({"values", DataType::Float32, outShape});
        int indices = b.addTensor({"indices", c.indexType, outShape});
        b.addOp({32, "MaxPoolingWithArgmax2D", {input}, {values, indices}, {}, {},
                 rawInts({c.same ? 1 : 2, c.stride, c.stride, c.filter, c.filterHeight ? c.filterHeight : c.filter, 0, 0, 0})});
        b.setInputs({input});
        b.setOutputs({values, indices});
        auto reference = compileBuilt(b, {"reference"});
        auto fast = compileBuilt(b, {"cpu", "reference"});
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(fast) << fast.errorMessage();
        EXPECT_EQ((*fast)->acceleratorOf(0, 0), "cpu");
        const float levels[] = {-1.0f, 0.0f, 0.5f, 2.0f};
        std::vector<float> x(static_cast<size_t>(c.height * c.width * c.channels));
        for (float& v : x) v = levels[random() % 4];
        x[0] = -std::numeric_limits<float>::infinity();
        x[5] = std::numeric_limits<float>::infinity();
        ASSERT_TRUE(testing::setValues<float>(**reference, input, x));
        ASSERT_TRUE(testing::setValues<float>(**fast, input, x));
        ASSERT_TRUE((*reference)->run(0));
        ASSERT_TRUE((*fast)->run(0));
        int differing = 0;
        for (int tensor : {values, indices}) {
            const RuntimeTensor& want = (*reference)->tensor(0, tensor);
            const RuntimeTensor& got = (*fast)->tensor(0, tensor);
            ASSERT_EQ(got.bytes, want.bytes);
            for (size_t i = 0; i < got.bytes; i += 4) differing += std::memcmp(got.data + i, want.data + i, 4) != 0;
        }
        std::cout << "  " << (c.filterHeight ? c.filterHeight : c.filter) << "x" << c.filter << "/" << c.stride << (c.same ? " SAME" : " VALID") << ", " << c.height << "x"
                  << c.width << "x" << c.channels << ", " << dataTypeName(c.indexType) << " indices: " << differing
                  << " values or indices differ\n";
        EXPECT_EQ(differing, 0);
    }
}

}  // namespace
}  // namespace litestudio

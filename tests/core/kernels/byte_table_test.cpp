// Large 8-bit inputs go through lookup tables (unary ops, and binary ops
// against a small operand); small ones are computed element by element.
// Both must give the same bytes: the same values are run through a large
// model and, in chunks, through a small one.

#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::bytesOf;
using testing::compileBuilt;

using testing::quantized;

// Runs LOGISTIC (or SUB of a per-channel operand when `binary`) on `x`
// shaped [rows, 3], returning the output bytes.
std::vector<uint8_t> run(const std::vector<uint8_t>& x, int rows, bool binary) {
    ModelBuilder b;
    b.addSubgraph();
    int input = b.addTensor(quantized("x", DataType::Int8, {rows, 3}, 0.1f, 3));
    int output = b.addTensor(binary ? quantized("y", DataType::Int8, {rows, 3}, 0.05f, -7) : quantized("y", DataType::Int8, {rows, 3}, 1.0f / 256, -128));
    if (binary) {
        TensorSpec channel = quantized("c", DataType::Int8, {3}, 0.02f, 1);
        channel.data = {250, 7, 128};  // int8 -6, 7, -128
        int c = b.addTensor(channel);
        b.addOp({schema::BuiltinOperator_SUB, {}, {input, c}, {output}});
    } else {
        b.addOp({schema::BuiltinOperator_LOGISTIC, {}, {input}, {output}});
    }
    b.setInputs({input});
    b.setOutputs({output});
    auto model = compileBuilt(b);
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return {};
    EXPECT_TRUE((*model)->setInput(0, input, x));
    EXPECT_TRUE((*model)->run(0));
    const RuntimeTensor& y = (*model)->tensor(0, output);
    return std::vector<uint8_t>(y.data, y.data + y.bytes);
}

TEST(ByteTable, TablesGiveWhatElementwiseComputationGives) {
    std::mt19937 random(3);
    const int rows = 2000, chunk = 100;  // 6000 elements take the tables, 300 do not
    std::vector<uint8_t> x(rows * 3);
    for (uint8_t& value : x) value = static_cast<uint8_t>(random());
    for (bool binary : {false, true}) {
        std::vector<uint8_t> whole = run(x, rows, binary), pieces;
        for (int r = 0; r < rows; r += chunk) {
            std::vector<uint8_t> part(x.begin() + r * 3, x.begin() + (r + chunk) * 3);
            std::vector<uint8_t> y = run(part, chunk, binary);
            pieces.insert(pieces.end(), y.begin(), y.end());
        }
        int differing = 0;
        for (size_t i = 0; i < whole.size() && i < pieces.size(); ++i) differing += whole[i] != pieces[i];
        std::cout << "  " << (binary ? "SUB per channel" : "LOGISTIC") << ": " << whole.size() << " outputs, " << differing
                  << " differ\n";
        ASSERT_EQ(whole.size(), pieces.size());
        EXPECT_EQ(differing, 0);
    }
}

}  // namespace
}  // namespace litestudio

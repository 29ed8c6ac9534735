// CONV_2D -> ADD of a tensor computed before the convolution: on the cpu
// accelerator a 1x1 convolution (pruned: the sparse kernel; dense: the 1x1
// GEMM) adds as it writes its output and the ADD is folded (op 0 becomes "CONV_2D+ADD
// (fused)", op 1 "fused"); the output matches the reference, which runs the
// ops as written, within 1e-5 of the largest output. The convolution's
// RELU6 applies before the sum and the ADD's RELU after it (values either
// side of 0 and 6, so dropping either clamp shows); the residual is the
// convolution's own input, a second subgraph input (first or second ADD
// operand), on one and two threads (a 7x7 plane narrowing 600 channels
// splits its input between them and adds the residual after summing the
// parts, and so does a 14x14 plane narrowing 480 channels, tile by tile; a
// 14x14 plane in input chunks adds it to the tail of its last tile of 68
// pixels; dense weights past L1, summed a range of input channels at
// a time, add it after the last range). Left as written: a residual
// computed after the convolution, a convolution whose result is read
// twice, and a dense one over fewer than 64 pixels (XNNPACK's kernel,
// which cannot add).

#include <random>

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

enum class Residual { ConvolutionInput, SecondInput, ComputedAfter };

struct ResidualCase {
    int height, width, channels;
    int inChannels;  // 0: as many as it outputs (then the residual may be the input)
    double nonzeros;
    Residual residual;
    bool residualFirst;  // ADD(r, p) rather than ADD(p, r)
    bool convolutionReadTwice;
    int threads;
    bool fuses;
};

struct ResidualModel {
    ModelBuilder builder;
    int input = -1, second = -1, output = -1;
};

ResidualModel residualModel(const ResidualCase& c, std::mt19937& random) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    ResidualModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const std::vector<int32_t> shape{1, c.height, c.width, c.channels};
    const int inChannels = c.inChannels > 0 ? c.inChannels : c.channels;
    m.input = b.addTensor({"x", DataType::Float32, {1, c.height, c.width, inChannels}});
    std::vector<float> weights(static_cast<size_t>(c.channels * inChannels)), bias(static_cast<size_t>(c.channels));
    for (float& w : weights) w = chance(random) < c.nonzeros ? 6.0f * values(random) : 0.0f;  // sums beyond 6 and below 0
    for (float& v : bias) v = values(random);
    int filter = b.addFloatConstant("w", {c.channels, 1, 1, inChannels}, weights);
    int biasTensor = b.addFloatConstant("b", {c.channels}, bias);
    int convolved = b.addTensor({"p", DataType::Float32, shape});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {m.input, filter, biasTensor}, {convolved}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{
                     schema::BuiltinOptions_Conv2DOptions,
                     schema::CreateConv2DOptions(fbb, schema::Padding_VALID, 1, 1, schema::ActivationFunctionType_RELU6).o};
             }});
    int residual = m.input;
    if (c.residual != Residual::ConvolutionInput) {
        m.second = b.addTensor({"s", DataType::Float32, shape});
        residual = m.second;
    }
    if (c.residual == Residual::ComputedAfter) {
        // r = s * 2, an op after the convolution.
        int two = b.addFloatConstant("two", {1}, {2.0f});
        residual = b.addTensor({"r", DataType::Float32, shape});
        b.addOp({schema::BuiltinOperator_MUL, {}, {m.second, two}, {residual}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MulOptions, schema::CreateMulOptions(fbb).o};
                 }});
    }
    int sum = b.addTensor({"y", DataType::Float32, shape});
    std::vector<int> operands = c.residualFirst ? std::vector<int>{residual, convolved} : std::vector<int>{convolved, residual};
    b.addOp({schema::BuiltinOperator_ADD, {}, operands, {sum}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions,
                                                     schema::CreateAddOptions(fbb, schema::ActivationFunctionType_RELU).o};
             }});
    m.output = sum;
    if (c.convolutionReadTwice) {
        m.output = b.addTensor({"both", DataType::Float32, {1, c.height, c.width, 2 * c.channels}});
        b.addOp({schema::BuiltinOperator_CONCATENATION, {}, {sum, convolved}, {m.output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions,
                                                         schema::CreateConcatenationOptions(fbb, 3).o};
                 }});
    }
    b.setInputs(m.second >= 0 ? std::vector<int>{m.input, m.second} : std::vector<int>{m.input});
    b.setOutputs({m.output});
    return m;
}

TEST(ResidualAddFusion, PrunedConvolutionAddsAsItWrites) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the 1x1 kernels that add are not used here";
    const std::vector<ResidualCase> cases = {
        {14, 14, 96, 0, 0.25, Residual::ConvolutionInput, false, false, 1, true},
        {7, 7, 96, 0, 0.25, Residual::SecondInput, true, false, 1, true},
        {9, 11, 80, 0, 0.3, Residual::SecondInput, false, false, 2, true},
        {7, 7, 64, 600, 0.25, Residual::SecondInput, false, false, 2, true},  // input chunks split between threads
        {14, 14, 112, 300, 0.25, Residual::SecondInput, false, false, 1, true},  // chunks, and a tile of 68 pixels with a tail
        {14, 14, 112, 480, 0.25, Residual::SecondInput, false, false, 2, true},  // input chunks split between threads, three tiles
        {14, 14, 96, 0, 0.25, Residual::ComputedAfter, false, false, 1, false},
        {14, 14, 96, 0, 0.25, Residual::ConvolutionInput, false, true, 1, false},
        {14, 14, 64, 0, 0.9, Residual::ConvolutionInput, false, false, 1, true},   // dense: the 1x1 GEMM
        {14, 14, 96, 300, 0.9, Residual::SecondInput, true, false, 2, true},       // dense, weights in ranges
        {7, 7, 64, 0, 0.9, Residual::ConvolutionInput, false, false, 1, false},    // dense over 49 pixels: XNNPACK
    };
    std::mt19937 random(29);
    std::uniform_real_distribution<float> values(-3.0f, 3.0f);
    for (const ResidualCase& c : cases) {
        ResidualModel m = residualModel(c, random);
        auto reference = testing::compileBuilt(m.builder, {"reference"});
        auto cpu = testing::compileBuilt(m.builder, {"cpu", "reference"}, c.threads);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(cpu) << cpu.errorMessage();
        const size_t count = static_cast<size_t>(c.height * c.width * c.channels);
        std::vector<float> x(static_cast<size_t>(c.height * c.width * (c.inChannels > 0 ? c.inChannels : c.channels))), s(count);
        for (float& v : x) v = values(random);
        for (float& v : s) v = values(random);
        if (m.second >= 0) {
            ASSERT_TRUE(testing::setValues<float>(**reference, m.second, s));
            ASSERT_TRUE(testing::setValues<float>(**cpu, m.second, s));
        }
        const double worst = testing::largestDifference(**cpu, **reference, m.input, x, m.output, false);
        double largest = 1;
        for (float v : testing::tensorValues<float>(**reference, m.output)) largest = std::max(largest, double(std::fabs(v)));
        const Model& compiled = (*cpu)->model();
        const std::string name = compiled.runtimeOpName(compiled.subgraphs[0].ops[0]);
        const bool fused = name == "CONV_2D+ADD (fused)";
        std::cout << "  " << c.height << "x" << c.width << "x" << (c.inChannels > 0 ? c.inChannels : c.channels) << " -> " << c.channels << " at " << c.nonzeros * 100 << " % nonzero, residual "
                  << (c.residual == Residual::ConvolutionInput ? "the input" : c.residual == Residual::SecondInput ? "a second input"
                                                                                                                 : "computed after")
                  << (c.residualFirst ? " (first operand)" : "") << (c.convolutionReadTwice ? ", result read twice" : "") << ", "
                  << c.threads << " thread(s): op 0 " << name << ", largest difference " << worst << " of " << largest << "\n";
        EXPECT_EQ(fused, c.fuses);
        if (fused) {
            EXPECT_EQ((*cpu)->acceleratorOf(0, 1), "fused");
        }
        EXPECT_GE(worst, 0.0);
        EXPECT_LE(worst, 1e-5 * largest);
    }
}

}  // namespace
}  // namespace litestudio

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
// twice, and a dense one over fewer than 49 pixels (XNNPACK's kernel,
// which cannot add).

#include <cmath>
#include <iostream>
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
        {7, 7, 64, 0, 0.9, Residual::ConvolutionInput, false, false, 1, true},     // dense over 49 pixels: the 1x1 GEMM
        {6, 7, 64, 0, 0.9, Residual::ConvolutionInput, false, false, 1, false},    // dense over 42 pixels: XNNPACK
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

// RESIZE_BILINEAR -> ADD, as a feature pyramid adds its upsampled map to
// the lateral one: the cpu accelerator's resize adds as it writes and the
// ADD is folded ("RESIZE_BILINEAR+ADD (fused)"), the ADD's RELU6 after the
// sum (values beyond 6 and below 0). Either operand order, two images, one
// and two threads, half-pixel and aligned corners; left as written where
// the tensor added is computed after the resize, where the resize's result
// is read twice, and for a uint8 resize (whose kernel does not add).
struct ResizeAddCase {
    int batch, inH, inW, outH, outW, channels;
    bool halfPixel, resizeFirst, computedAfter, readTwice, quantized;
    int threads;
    bool fuses;
};

ResidualModel resizeAddModel(const ResizeAddCase& c) {
    ResidualModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const DataType type = c.quantized ? DataType::UInt8 : DataType::Float32;
    const std::vector<int32_t> outShape{c.batch, c.outH, c.outW, c.channels};
    auto tensor = [&](const std::string& name, std::vector<int32_t> shape) {
        TensorSpec t{name, type, std::move(shape)};
        if (c.quantized) {
            t.scales = {0.05f};
            t.zeroPoints = {128};
        }
        return b.addTensor(t);
    };
    m.input = tensor("x", {c.batch, c.inH, c.inW, c.channels});
    m.second = tensor("s", outShape);
    const int size = b.addConstant("size", DataType::Int32, {2}, bytesOf<int32_t>({c.outH, c.outW}));
    const int resized = tensor("u", outShape);
    const bool halfPixel = c.halfPixel;
    b.addOp({schema::BuiltinOperator_RESIZE_BILINEAR, {}, {m.input, size}, {resized}, [halfPixel](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ResizeBilinearOptions,
                                                     schema::CreateResizeBilinearOptions(fbb, !halfPixel, halfPixel).o};
             }});
    int lateral = m.second;
    if (c.computedAfter) {
        // The tensor added is s + s, an op after the resize.
        lateral = tensor("r", outShape);
        b.addOp({schema::BuiltinOperator_ADD, {}, {m.second, m.second}, {lateral}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb).o};
                 }});
    }
    const int sum = tensor("y", outShape);
    const std::vector<int> operands = c.resizeFirst ? std::vector<int>{resized, lateral} : std::vector<int>{lateral, resized};
    b.addOp({schema::BuiltinOperator_ADD, {}, operands, {sum}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions,
                                                     schema::CreateAddOptions(fbb, schema::ActivationFunctionType_RELU6).o};
             }});
    m.output = sum;
    if (c.readTwice) {
        m.output = tensor("both", {c.batch, c.outH, c.outW, 2 * c.channels});
        b.addOp({schema::BuiltinOperator_CONCATENATION, {}, {sum, resized}, {m.output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                     return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_ConcatenationOptions,
                                                         schema::CreateConcatenationOptions(fbb, 3).o};
                 }});
    }
    b.setInputs({m.input, m.second});
    b.setOutputs({m.output});
    return m;
}

TEST(ResidualAddFusion, ResizeAddsAsItWrites) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the resize kernel that adds is not used here";
    const std::vector<ResizeAddCase> cases = {
        {1, 7, 7, 14, 14, 192, true, true, false, false, false, 1, true},  // pose detection's head
        {1, 14, 14, 28, 28, 96, true, false, false, false, false, 2, true},
        {2, 5, 9, 10, 17, 24, false, true, false, false, false, 2, true},
        {1, 7, 7, 14, 14, 40, true, true, true, false, false, 1, false},
        {1, 7, 7, 14, 14, 40, true, true, false, true, false, 1, false},
        {1, 7, 7, 14, 14, 40, true, true, false, false, true, 1, false},
    };
    std::mt19937 random(31);
    std::uniform_real_distribution<float> values(-4.0f, 9.0f);
    std::uniform_int_distribution<int> bytes(0, 255);
    for (const ResizeAddCase& c : cases) {
        ResidualModel m = resizeAddModel(c);
        auto reference = testing::compileBuilt(m.builder, {"reference"});
        auto cpu = testing::compileBuilt(m.builder, {"cpu", "reference"}, c.threads);
        ASSERT_TRUE(reference) << reference.errorMessage();
        ASSERT_TRUE(cpu) << cpu.errorMessage();
        const Model& compiled = (*cpu)->model();
        const std::string name = compiled.runtimeOpName(compiled.subgraphs[0].ops[0]);
        double worst = 0, largest = 1;
        if (c.quantized) {
            std::vector<uint8_t> x(static_cast<size_t>(c.batch * c.inH * c.inW * c.channels)), s(static_cast<size_t>(c.batch * c.outH * c.outW * c.channels));
            for (uint8_t& v : x) v = static_cast<uint8_t>(bytes(random));
            for (uint8_t& v : s) v = static_cast<uint8_t>(bytes(random));
            ASSERT_TRUE(testing::setValues<uint8_t>(**reference, m.second, s));
            ASSERT_TRUE(testing::setValues<uint8_t>(**cpu, m.second, s));
            ASSERT_TRUE(testing::setValues<uint8_t>(**reference, m.input, x));
            ASSERT_TRUE(testing::setValues<uint8_t>(**cpu, m.input, x));
            ASSERT_TRUE((*reference)->run(0));
            ASSERT_TRUE((*cpu)->run(0));
        } else {
            std::vector<float> x(static_cast<size_t>(c.batch * c.inH * c.inW * c.channels)), s(static_cast<size_t>(c.batch * c.outH * c.outW * c.channels));
            for (float& v : x) v = values(random);
            for (float& v : s) v = values(random);
            ASSERT_TRUE(testing::setValues<float>(**reference, m.second, s));
            ASSERT_TRUE(testing::setValues<float>(**cpu, m.second, s));
            worst = testing::largestDifference(**cpu, **reference, m.input, x, m.output, false);
            for (float v : testing::tensorValues<float>(**reference, m.output)) largest = std::max(largest, double(std::fabs(v)));
        }
        std::cout << "  " << c.batch << "x" << c.inH << "x" << c.inW << "x" << c.channels << " -> " << c.outH << "x" << c.outW
                  << (c.halfPixel ? " half-pixel" : " aligned corners") << (c.resizeFirst ? ", resize the first operand" : ", resize the second")
                  << (c.computedAfter ? ", added tensor computed after" : "") << (c.readTwice ? ", result read twice" : "")
                  << (c.quantized ? ", uint8" : "") << ", " << c.threads << " thread(s): op 0 " << name;
        if (!c.quantized) std::cout << ", largest difference " << worst << " of " << largest;
        std::cout << "\n";
        EXPECT_EQ(name == "RESIZE_BILINEAR+ADD (fused)", c.fuses);
        EXPECT_LE(worst, 1e-5 * largest);
    }
}

}  // namespace
}  // namespace litestudio

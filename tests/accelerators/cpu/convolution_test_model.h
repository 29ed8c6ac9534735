#pragma once
// What the cpu convolution kernel tests build: one CONV_2D, after a PAD of
// zeros when the case asks for one, with the weights and bias the test
// chose (random, pruned, ...), stored float32 or float16.

#include <iostream>
#include <random>
#include <vector>

#include "core/kernels/reference/kernel_util.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio::testing {

struct ConvolutionCase {
    int batch, height, width, inChannels, outChannels, kernelH, kernelW, stride;
    schema::Padding padding;
    schema::ActivationFunctionType activation;
    int padBefore;  // a PAD op of this many zeros on every side first (0: none)
    int threads;
};

struct ConvolutionModel {
    ModelBuilder builder;
    int input = -1, output = -1;
    int convolution = 0;  // the CONV_2D's op index
};

inline int convolutionOutputSize(const ConvolutionCase& c, int in, int kernel) {
    return c.padding == schema::Padding_SAME ? (in + c.stride - 1) / c.stride : (in - kernel) / c.stride + 1;
}

// `weights` is [out, kh, kw, in]; float16 stores them rounded to half.
inline ConvolutionModel convolutionModel(const ConvolutionCase& c, const std::vector<float>& weights, const std::vector<float>& bias,
                                         bool float16 = false) {
    ConvolutionModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.input = b.addTensor({"x", DataType::Float32, {c.batch, c.height, c.width, c.inChannels}});
    int convolved = m.input;
    const int paddedH = c.height + 2 * c.padBefore, paddedW = c.width + 2 * c.padBefore;
    if (c.padBefore > 0) {
        const int p = c.padBefore;
        int paddings = b.addConstant("paddings", DataType::Int32, {4, 2}, bytesOf<int32_t>({0, 0, p, p, p, p, 0, 0}));
        convolved = b.addTensor({"padded", DataType::Float32, {c.batch, paddedH, paddedW, c.inChannels}});
        b.addOp({schema::BuiltinOperator_PAD, {}, {m.input, paddings}, {convolved}});
        m.convolution = 1;
    }
    const std::vector<int32_t> filterShape = {c.outChannels, c.kernelH, c.kernelW, c.inChannels};
    int w = -1;
    if (float16) {
        std::vector<uint16_t> halves;
        for (float v : weights) halves.push_back(reference::floatToHalf(v));
        w = b.addConstant("w", DataType::Float16, filterShape, bytesOf<uint16_t>(halves));
    } else {
        w = b.addFloatConstant("w", filterShape, weights);
    }
    int biasTensor = b.addFloatConstant("b", {c.outChannels}, bias);
    m.output = b.addTensor({"y", DataType::Float32,
                            {c.batch, convolutionOutputSize(c, paddedH, c.kernelH), convolutionOutputSize(c, paddedW, c.kernelW),
                             c.outChannels}});
    b.addOp({schema::BuiltinOperator_CONV_2D, {}, {convolved, w, biasTensor}, {m.output}, [c](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_Conv2DOptions,
                                                     schema::CreateConv2DOptions(fbb, c.padding, c.stride, c.stride, c.activation).o};
             }});
    b.setInputs({m.input});
    b.setOutputs({m.output});
    return m;
}

// A 1x1 convolution of `c`'s shape, each weight nonzero with odds
// `nonzeros` (pruned models keep a quarter), weights, bias and input drawn
// from [-1, 1) (the input times `inputScale`), run on the cpu accelerator
// and on the reference.
inline CpuComparison comparePointwiseWithReference(const ConvolutionCase& c, double nonzeros, bool float16, float inputScale,
                                                   std::mt19937& random) {
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    std::vector<float> weights(static_cast<size_t>(c.outChannels * c.inChannels));
    std::vector<float> bias(static_cast<size_t>(c.outChannels));
    for (float& w : weights) w = chance(random) < nonzeros ? values(random) : 0.0f;
    for (float& v : bias) v = values(random);
    ConvolutionModel m = convolutionModel(c, weights, bias, float16);
    std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.inChannels));
    for (float& v : x) v = inputScale * values(random);
    return compareCpuWithReference(m.builder, m.input, x, m.output, c.threads);
}

using KernelChoice = const KernelDef* (*)(const Model&, const Subgraph&, const Op&);

// Whether `kernel` takes the convolution of case `c` (weights of 0.5, as
// compiled for the reference: the choice reads shapes and options only).
inline bool kernelTakes(KernelChoice kernel, const ConvolutionCase& c) {
    const std::vector<float> weights(static_cast<size_t>(c.outChannels * c.kernelH * c.kernelW * c.inChannels), 0.5f);
    ConvolutionModel m = convolutionModel(c, weights, std::vector<float>(static_cast<size_t>(c.outChannels), 0.0f));
    auto model = compileBuilt(m.builder, {"reference"});
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return false;
    const Model& compiled = (*model)->model();
    return kernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[static_cast<size_t>(m.convolution)]) != nullptr;
}

// Each case with random weights, bias and input from `seed`: `kernel` must
// take the convolution, and the cpu accelerator's output must be within
// 1e-5 of the largest output of the reference kernel's (float sums in
// another order).
// Each output within `tolerance` times the largest output of the
// reference.
inline void expectCasesMatchTheReference(const std::vector<ConvolutionCase>& cases, KernelChoice kernel, unsigned seed,
                                         double tolerance = 1e-5) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const ConvolutionCase& c : cases) {
        std::vector<float> weights(static_cast<size_t>(c.outChannels * c.kernelH * c.kernelW * c.inChannels));
        std::vector<float> bias(static_cast<size_t>(c.outChannels));
        for (float& w : weights) w = values(random);
        for (float& v : bias) v = values(random);
        ConvolutionModel m = convolutionModel(c, weights, bias);
        std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.inChannels));
        for (float& v : x) v = values(random);
        CpuComparison compared = compareCpuWithReference(m.builder, m.input, x, m.output, c.threads);
        ASSERT_TRUE(compared.error.empty()) << compared.error;
        const Model& compiled = compared.cpu->model();
        ASSERT_NE(kernel(compiled, compiled.subgraphs[0], compiled.subgraphs[0].ops[static_cast<size_t>(m.convolution)]), nullptr)
            << "the kernel does not take this case";
        std::cout << "  " << c.kernelH << "x" << c.kernelW << "/" << c.stride << (c.padding == schema::Padding_SAME ? " SAME" : " VALID")
                  << (c.padBefore ? " after PAD" : "") << ", " << c.batch << "x" << c.height << "x" << c.width << "x" << c.inChannels
                  << " -> " << c.outChannels << ", " << c.threads << " thread(s): largest difference " << compared.worst
                  << " of outputs up to " << compared.largest << "\n";
        EXPECT_LE(compared.worst, tolerance * compared.largest);
    }
}

}  // namespace litestudio::testing

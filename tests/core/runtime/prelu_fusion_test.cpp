// A PRELU (slopes one per channel) after a convolution folds into it on the
// cpu accelerator (core/runtime/prelu_fusion.h): after a separable block
// (depthwise + 1x1, with the residual ADD that op_fusion.h folds into the
// PRELU taken in as the block's residual, even when the added tensor is
// made after the block), a dense 1x1, a standalone depthwise, a Winograd
// 3x3 and a stem convolution over 3 channels; the paired layouts of 8
// channels too. Each
// model runs against the reference, which runs the ops as written: within
// 1e-5 of the largest output, with inputs and weights that leave about
// half the values negative (slopes 0.05-0.6, so a slope dropped or applied
// to the wrong channel shows). The runtime op names say what fused. Left
// as written: slopes that vary along other axes than the channels, and a
// convolution whose result is also read elsewhere.

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/runtime/fusion_chain.h"

namespace litestudio {
namespace {

using testing::expectFusedAndMatching;
using testing::FusionCase;
using testing::FusionChain;

TEST(PreluFusion, FoldsIntoTheConvolutionBeforeIt) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernels that apply slopes are not used here";
    const std::vector<FusionCase> cases = {
        {"separable block -> PRELU", {1, 16, 16, 32}, 1, {"DEPTHWISE_CONV_2D+CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             int p = c.convolution(c.depthwise(c.input, s, 3, 1, "dw"), s, 48, 1, 1, "pw");
             return c.prelu(p, {1, 16, 16, 48}, {48});
         }},
        {"separable block -> ADD of its input -> PRELU", {1, 16, 15, 32}, 2, {"DEPTHWISE_CONV_2D+CONV_2D+ADD+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             int p = c.convolution(c.depthwise(c.input, s, 5, 1, "dw"), s, 32, 1, 1, "pw");
             return c.prelu(c.add(c.input, p, s), s, {1, 1, 32});
         }},
        {"separable block -> ADD of a tensor made after it -> PRELU", {1, 12, 12, 24}, 1,
         {"DEPTHWISE_CONV_2D", "DEPTHWISE_CONV_2D", "DEPTHWISE_CONV_2D+CONV_2D+ADD+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             int block = c.depthwise(c.input, s, 3, 1, "first");
             int p = c.convolution(c.depthwise(block, s, 3, 1, "dw"), s, 24, 1, 1, "pw");
             int shortcut = c.depthwise(block, s, 3, 1, "shortcut");  // after the block in the order
             return c.prelu(c.add(p, shortcut, s), s, {24});
         }},
        {"separable block of 8 outputs (pixel pairs) -> PRELU", {1, 10, 9, 16}, 1, {"DEPTHWISE_CONV_2D+CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             int p = c.convolution(c.depthwise(c.input, s, 3, 1, "dw"), s, 8, 1, 1, "pw");
             return c.prelu(p, {1, 10, 9, 8}, {8});
         }},
        {"separable block of 8 channels to 8 outputs (pixel pairs as they lie) -> PRELU", {1, 10, 11, 8}, 1,
         {"DEPTHWISE_CONV_2D+CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.convolution(c.depthwise(c.input, s, 3, 1, "dw"), s, 8, 1, 1, "pw"), s, {8}); }},
        {"1x1 -> PRELU", {1, 14, 14, 40}, 2, {"CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.convolution(c.input, s, 72, 1, 1, "pw"), {1, 14, 14, 72}, {72}); }},
        {"1x1 -> ADD -> PRELU", {1, 14, 14, 40}, 1, {"CONV_2D+ADD+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             return c.prelu(c.add(c.convolution(c.input, s, 40, 1, 1, "pw"), c.input, s), s, {40});
         }},
        {"depthwise 5x5 -> PRELU", {1, 14, 14, 40}, 1, {"DEPTHWISE_CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.depthwise(c.input, s, 5, 1, "dw"), s, {40}); }},
        {"depthwise of 8 channels (pixel pairs) -> PRELU", {1, 11, 13, 8}, 1, {"DEPTHWISE_CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.depthwise(c.input, s, 3, 1, "dw"), s, {8}); }},
        {"3x3 over 16 channels (Winograd's) -> PRELU", {1, 13, 12, 16}, 2, {"CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.convolution(c.input, s, 40, 3, 1, "conv"), {1, 13, 12, 40}, {40}); }},
        {"stem 3x3 stride 2 over 3 channels -> PRELU", {1, 32, 31, 3}, 2, {"CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.convolution(c.input, s, 24, 3, 2, "stem"), {1, 16, 16, 24}, {24}); }},
        // The PRELU runs over a whole row's values, slopes repeated over
        // lcm(channels, 16): 8 outputs, two pixels a vector (hair
        // segmentation's stem); 12 and 40 a period of 48 and 80 values,
        // and on two threads a depthwise's row split by channel blocks
        // goes pixel by pixel.
        {"stem 2x2 stride 2 over 4 channels to 8 -> PRELU", {1, 32, 30, 4}, 1, {"CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.convolution(c.input, s, 8, 2, 2, "stem"), {1, 16, 15, 8}, {8}); }},
        {"stem 3x3 stride 2 over 3 channels to 12 -> PRELU", {1, 21, 19, 3}, 2, {"CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.convolution(c.input, s, 12, 3, 2, "stem"), {1, 11, 10, 12}, {12}); }},
        {"depthwise 5x5 of 40 channels on two threads -> PRELU", {1, 14, 14, 40}, 2, {"DEPTHWISE_CONV_2D+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.depthwise(c.input, s, 5, 1, "dw"), s, {40}); }},
        {"slopes per element: left as written", {1, 8, 8, 16}, 1, {"CONV_2D", "PRELU"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.prelu(c.convolution(c.input, s, 16, 1, 1, "pw"), s, {8, 8, 16}); }},
        {"1x1 read twice: left as written", {1, 8, 8, 16}, 1, {"CONV_2D", "PRELU", "ADD"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             int p = c.convolution(c.input, s, 16, 1, 1, "pw");
             return c.add(c.prelu(p, s, {16}), p, s);
         }},
    };
    for (const FusionCase& c : cases) {
        int negative = 0, outputs = 0;
        for (float v : expectFusedAndMatching(c)) negative += v < 0, ++outputs;
        std::cout << "    " << negative << " of " << outputs << " outputs negative\n";
        EXPECT_GT(negative, outputs / 8) << c.what;
    }
}

}  // namespace
}  // namespace litestudio

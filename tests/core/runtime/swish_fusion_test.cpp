// x * LOGISTIC(x) after a convolution (swish, as EfficientNet and YOLO are
// converted) folds into it on the cpu accelerator
// (core/runtime/swish_fusion.h): after a dense 1x1, a depthwise (and its
// 8-channel pixel pairs), a stem convolution over 3 channels, a Winograd
// 3x3, a 3x3 at stride 1 and 2 through the patch kernel, and a separable
// block (and its pixel pairs), with the MUL's operands either way round;
// after a convolution none of our kernels runs (XNNPACK's 3x3 from 8
// channels to 16), the
// LOGISTIC computes the swish in one pass and the MUL goes. HARD_SWISH
// (MobileNetV3's) folds likewise after a 1x1, a depthwise, a stem, a
// Winograd 3x3 and a separable block. Each model runs against the reference, which runs the ops as
// written, within 1e-5 of the largest output (inputs either side of 0:
// swish bends below it). Left as written: a convolution whose result
// something else reads too.

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/runtime/fusion_chain.h"

namespace litestudio {
namespace {

using testing::expectFusedAndMatching;
using testing::FusionCase;
using testing::FusionChain;

TEST(SwishFusion, FoldsIntoTheConvolutionBeforeIt) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernels that apply it are not used here";
    const std::vector<FusionCase> cases = {
        {"1x1 -> swish", {1, 14, 14, 40}, 2, {"CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.convolution(c.input, s, 72, 1, 1, "pw"), {1, 14, 14, 72}); }},
        {"1x1 -> swish, MUL(sigmoid, x)", {1, 9, 9, 24}, 1, {"CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.convolution(c.input, s, 40, 1, 1, "pw"), {1, 9, 9, 40}, true); }},
        {"depthwise 5x5 -> swish", {1, 14, 14, 40}, 1, {"DEPTHWISE_CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.depthwise(c.input, s, 5, 1, "dw"), s); }},
        {"depthwise of 8 channels (pixel pairs) -> swish", {1, 11, 13, 8}, 2, {"DEPTHWISE_CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.depthwise(c.input, s, 3, 1, "dw"), s); }},
        {"stem 3x3 stride 2 over 3 channels -> swish", {1, 32, 31, 3}, 1, {"CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.convolution(c.input, s, 32, 3, 2, "stem"), {1, 16, 16, 32}); }},
        {"separable block -> swish", {1, 16, 16, 32}, 1, {"DEPTHWISE_CONV_2D+CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             return c.swish(c.convolution(c.depthwise(c.input, s, 3, 1, "dw"), s, 48, 1, 1, "pw"), {1, 16, 16, 48});
         }},
        {"separable block of 8 outputs (pixel pairs) -> swish", {1, 10, 9, 16}, 2, {"DEPTHWISE_CONV_2D+CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             return c.swish(c.convolution(c.depthwise(c.input, s, 3, 1, "dw"), s, 8, 1, 1, "pw"), {1, 10, 9, 8});
         }},
        {"depthwise 3x3 stride 2 over 48 channels (XNNPACK's when alone) -> swish", {1, 14, 14, 48}, 1,
         {"DEPTHWISE_CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.depthwise(c.input, s, 3, 2, "dw"), {1, 7, 7, 48}); }},
        {"3x3 convolution over 8 channels to 64 (the patch kernel's) -> swish", {1, 12, 12, 8}, 2, {"CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.convolution(c.input, s, 64, 3, 1, "conv"), {1, 12, 12, 64}); }},
        {"3x3 stride 2 over 16 channels to 80 (the patch kernel's) -> swish", {1, 15, 16, 16}, 2, {"CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.convolution(c.input, s, 80, 3, 2, "conv"), {1, 8, 8, 80}); }},
        {"3x3 convolution over 8 channels to 16 (XNNPACK's) -> swish: one pass for both", {1, 12, 12, 8}, 2, {"CONV_2D", "LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.convolution(c.input, s, 16, 3, 1, "conv"), {1, 12, 12, 16}); }},
        {"3x3 over 16 channels (Winograd's) -> swish", {1, 12, 12, 16}, 2, {"CONV_2D+LOGISTIC+MUL (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.swish(c.convolution(c.input, s, 32, 3, 1, "conv"), {1, 12, 12, 32}); }},
        {"3x3 over 24 channels (Winograd's, 4x4 tiles) -> HARD_SWISH", {1, 17, 15, 24}, 1, {"CONV_2D+HARD_SWISH (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.hardSwish(c.convolution(c.input, s, 48, 3, 1, "conv"), {1, 17, 15, 48}); }},
        {"1x1 -> HARD_SWISH", {1, 14, 14, 40}, 2, {"CONV_2D+HARD_SWISH (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.hardSwish(c.convolution(c.input, s, 72, 1, 1, "pw"), {1, 14, 14, 72}); }},
        {"depthwise 3x3 stride 2 -> HARD_SWISH", {1, 14, 14, 48}, 1, {"DEPTHWISE_CONV_2D+HARD_SWISH (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.hardSwish(c.depthwise(c.input, s, 3, 2, "dw"), {1, 7, 7, 48}); }},
        {"stem 3x3 stride 2 -> HARD_SWISH", {1, 32, 31, 3}, 1, {"CONV_2D+HARD_SWISH (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return c.hardSwish(c.convolution(c.input, s, 16, 3, 2, "stem"), {1, 16, 16, 16}); }},
        {"separable block of 8 outputs -> HARD_SWISH", {1, 10, 9, 16}, 1, {"DEPTHWISE_CONV_2D+CONV_2D+HARD_SWISH (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             return c.hardSwish(c.convolution(c.depthwise(c.input, s, 3, 1, "dw"), s, 8, 1, 1, "pw"), {1, 10, 9, 8});
         }},
        {"1x1 read elsewhere too: left as written", {1, 8, 8, 16}, 1, {"CONV_2D", "LOGISTIC", "MUL", "ADD"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             int p = c.convolution(c.input, s, 16, 1, 1, "pw");
             return c.add(c.swish(p, s), p, s);
         }},
    };
    for (const FusionCase& c : cases) expectFusedAndMatching(c);
}

}  // namespace
}  // namespace litestudio

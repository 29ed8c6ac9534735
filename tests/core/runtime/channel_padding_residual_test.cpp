// A residual ADD of PAD(q), where the PAD only appends zero channels to q
// (BlazeFace's shortcuts: q is the block's input, or its 2x2 max pool at
// stride 2), folds into the convolution before the ADD with q itself as the
// residual: the kernel adds q's channels and nothing past them, and the PAD
// goes (core/runtime/fusion_matching.h channelPaddingInput). Through each
// fusion that takes a residual: the separable block's own, a dense 1x1's
// (residual_add_fusion.h) and the PRELU's folded ADD (prelu_fusion.h);
// with 24 -> 32, 4 -> 8 (the separable block's pixel pairs) and 40 -> 72
// channels (a last vector of 8 added channels), on one and two threads.
// Each model runs against the reference, which runs the ops as written,
// within 1e-5 of the largest output. Left as written: a PAD that puts zeros
// before the channels, and a PAD whose result another op reads too (the
// block then adds the padded tensor).

#include "accelerators/cpu/cpu_features.h"
#include "tests/core/runtime/fusion_chain.h"

namespace litestudio {
namespace {

using testing::expectFusedAndMatching;
using testing::FusionCase;
using testing::FusionChain;

// x -> depthwise 3x3 -> 1x1 to `outputs` channels; + PAD(x) (zeros after its channels), RELU.
int separableBlockAddingPaddedInput(FusionChain& c, const std::vector<int32_t>& s, int outputs, int before) {
    const std::vector<int32_t> out{s[0], s[1], s[2], outputs};
    int p = c.convolution(c.depthwise(c.input, s, 3, 1, "dw"), s, outputs, 1, 1, "pw");
    return c.add(p, c.padChannels(c.input, s, before, outputs - s[3] - before), out, schema::ActivationFunctionType_RELU);
}

TEST(ChannelPaddingResidual, TheConvolutionAddsTheNarrowerTensor) {
    if (!cpu::cpuHasAvx512()) GTEST_SKIP() << "this CPU has no AVX-512; the kernels that add are not used here";
    const std::vector<FusionCase> cases = {
        {"separable block + PAD(x) 24 -> 32", {1, 16, 16, 24}, 1, {"DEPTHWISE_CONV_2D+CONV_2D+ADD (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return separableBlockAddingPaddedInput(c, s, 32, 0); }},
        {"separable block + PAD(x) 40 -> 72", {1, 12, 13, 40}, 2, {"DEPTHWISE_CONV_2D+CONV_2D+ADD (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return separableBlockAddingPaddedInput(c, s, 72, 0); }},
        {"separable block in pixel pairs + PAD(x) 4 -> 8", {1, 10, 9, 4}, 1, {"DEPTHWISE_CONV_2D+CONV_2D+ADD (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return separableBlockAddingPaddedInput(c, s, 8, 0); }},
        {"stride-2 block: 1x1 + PAD(max pool of x) 24 -> 32", {1, 16, 16, 24}, 2,
         {"MAX_POOL_2D", "DEPTHWISE_CONV_2D", "CONV_2D+ADD (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             const std::vector<int32_t> half{1, 8, 8, 24}, out{1, 8, 8, 32};
             int shortcut = c.maxPool(c.input, s);
             int p = c.convolution(c.depthwise(c.input, s, 3, 2, "dw"), half, 32, 1, 1, "pw");
             return c.add(p, c.padChannels(shortcut, half, 0, 8), out, schema::ActivationFunctionType_RELU);
         }},
        {"separable block + PAD(x) -> PRELU 24 -> 32", {1, 16, 16, 24}, 1, {"DEPTHWISE_CONV_2D+CONV_2D+ADD+PRELU (fused)"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             const std::vector<int32_t> out{1, 16, 16, 32};
             int p = c.convolution(c.depthwise(c.input, s, 3, 1, "dw"), s, 32, 1, 1, "pw");
             return c.prelu(c.add(p, c.padChannels(c.input, s, 0, 8), out), out, {32});
         }},
        {"zeros before the channels: left as written", {1, 16, 16, 24}, 1,
         {"DEPTHWISE_CONV_2D+CONV_2D (fused)", "PAD", "ADD"},
         [](FusionChain& c, const std::vector<int32_t>& s) { return separableBlockAddingPaddedInput(c, s, 32, 8); }},
        {"padded tensor read twice: the block adds it as written", {1, 16, 16, 24}, 1,
         {"PAD", "DEPTHWISE_CONV_2D+CONV_2D+ADD (fused)", "ADD"},
         [](FusionChain& c, const std::vector<int32_t>& s) {
             const std::vector<int32_t> out{1, 16, 16, 32};
             int padded = c.padChannels(c.input, s, 0, 8);
             int p = c.convolution(c.depthwise(c.input, s, 3, 1, "dw"), s, 32, 1, 1, "pw");
             return c.add(c.add(p, padded, out), padded, out);
         }},
    };
    for (const FusionCase& c : cases) expectFusedAndMatching(c);
}

}  // namespace
}  // namespace litestudio

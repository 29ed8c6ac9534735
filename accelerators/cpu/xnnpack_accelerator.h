#pragma once
// The "cpu" accelerator: XNNPACK (Debian's 2022 snapshot) on a pthreadpool
// for the ops it runs well: float32 convolution, depthwise convolution and
// fully connected layers with constant float32 or float16 weights (float16
// is widened once, at prepare, the way LiteRT folds its DEQUANTIZE), and
// uint8/int8 convolutions with per-tensor or per-channel weights. Every
// other op falls back to the next accelerator in the caller's list.

#include "core/runtime/accelerator.h"

namespace litestudio::cpu {

class XnnpackAccelerator final : public Accelerator {
public:
    XnnpackAccelerator();
    std::string_view name() const override { return "cpu"; }
    const KernelDef* kernelFor(const Model& model, const Subgraph& subgraph, const Op& op) const override;
    const KernelDef* fusedKernelFor(const Model& model, const Subgraph& subgraph, const Op& op) const override;
    std::shared_ptr<void> createCompileState(int threads) const override;
    // The cpu kernels' parallel loops inside `steps` on a ThreadSession
    // (accelerators/cpu/thread_session.h).
    Status runSession(void* compileState, const std::function<Status()>& steps) const override;
    bool available() const { return available_; }

private:
    bool available_ = false;
};

// The environment the apps use: "cpu" (when XNNPACK initialises) and "reference".
std::shared_ptr<const Environment> createStandardEnvironment();

// Accelerator lists for a user's choice: "cpu" means XNNPACK with the
// reference kernels behind it; "reference" means the reference kernels alone.
std::vector<std::string> acceleratorChain(const std::string& choice);

}  // namespace litestudio::cpu

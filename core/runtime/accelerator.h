#pragma once
// The interface every backend implements (the reference kernels today;
// XNNPACK, Vulkan and NPU plugins next). The runtime gives each op to the
// first accelerator, in the caller's priority order, that has a kernel for
// it, and falls back along that list op by op.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"

namespace litestudio {

// Where an accelerator wants its tensors; data moves only where two
// neighbouring ops disagree.
enum class BufferKind { Host, Vulkan };

class Accelerator {
public:
    virtual ~Accelerator() = default;
    virtual std::string_view name() const = 0;
    // The kernel that runs `op` here, or nullptr when this accelerator cannot.
    virtual const KernelDef* kernelFor(const Model& model, const Subgraph& subgraph, const Op& op) const = 0;
    // The kernel for an op the runtime's fusion passes rewrote (an
    // Op::fusedRmsNorm or Op::fusedRope), or nullptr to leave the chain as
    // the file wrote it.
    virtual const KernelDef* fusedKernelFor(const Model& model, const Subgraph& subgraph, const Op& op) const {
        (void)model, (void)subgraph, (void)op;
        return nullptr;
    }
    virtual std::vector<BufferKind> bufferKinds() const { return {BufferKind::Host}; }
    // State shared by this accelerator's kernels within one compiled model
    // (a thread pool sized by the compile options); may be null.
    virtual std::shared_ptr<void> createCompileState(int threads) const {
        (void)threads;
        return nullptr;
    }
    // Runs `steps` (consecutive ops of this accelerator with one compile
    // state, none KernelDef::runsOutsideThreadSessions) as one unit, so
    // that the accelerator's threads can stay with them from op to op
    // instead of being woken for each; returns what `steps` returns.
    virtual Status runSession(void* compileState, const std::function<Status()>& steps) const {
        (void)compileState;
        return steps();
    }
};

// The portable reference kernels: every builtin op we implement, on the host.
class ReferenceAccelerator final : public Accelerator {
public:
    std::string_view name() const override { return "reference"; }
    const KernelDef* kernelFor(const Model& model, const Subgraph& subgraph, const Op& op) const override;
};

// The accelerators a process can use, by name.
class Environment {
public:
    // Everything built into this binary.
    static std::shared_ptr<const Environment> createDefault();
    const Accelerator* find(std::string_view name) const;
    std::vector<std::string> acceleratorNames() const;
    void add(std::shared_ptr<const Accelerator> accelerator) { accelerators_.push_back(std::move(accelerator)); }

private:
    std::vector<std::shared_ptr<const Accelerator>> accelerators_;
};

}  // namespace litestudio

#include "core/runtime/accelerator.h"

#include "core/kernels/reference/reference_kernels.h"

namespace litestudio {

const KernelDef* ReferenceAccelerator::kernelFor(const Model& model, const Subgraph&, const Op& op) const {
    const OpCode& code = model.opCode(op);
    return code.isCustom() ? reference::findReferenceCustomKernel(code.customName) : findReferenceKernel(code.builtin);
}

std::shared_ptr<const Environment> Environment::createDefault() {
    auto environment = std::make_shared<Environment>();
    environment->add(std::make_shared<ReferenceAccelerator>());
    return environment;
}

const Accelerator* Environment::find(std::string_view name) const {
    for (const auto& accelerator : accelerators_)
        if (accelerator->name() == name) return accelerator.get();
    return nullptr;
}

std::vector<std::string> Environment::acceleratorNames() const {
    std::vector<std::string> names;
    for (const auto& accelerator : accelerators_) names.emplace_back(accelerator->name());
    return names;
}

}  // namespace litestudio

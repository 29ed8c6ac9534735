#pragma once
// What every XNNPACK-backed kernel does with its operator: keep it in the
// kernel state, find it and the thread pool again at eval, and turn an
// XNNPACK status into an error that names the op. Their KernelDefs set
// runsOutsideThreadSessions: XNNPACK dispatches on the pool itself.

#include <pthreadpool.h>
#include <xnnpack.h>

#include <memory>
#include <string>

#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"

namespace litestudio::cpu {

inline std::shared_ptr<void> ownOperator(xnn_operator_t op) {
    return std::shared_ptr<void>(op, [](void* pointer) { xnn_delete_operator(static_cast<xnn_operator_t>(pointer)); });
}

inline xnn_operator_t operatorOf(const KernelContext& context) { return static_cast<xnn_operator_t>(context.state.get()); }

// The pool to give XNNPACK (accelerators/cpu/thread_session.h: poolForLibrary).
inline pthreadpool_t poolOf(const KernelContext& context) {
    return poolForLibrary(static_cast<pthreadpool_t>(threadPoolOf(context)));
}

// The KernelDef of an op XNNPACK runs.
constexpr KernelDef xnnpackOperatorKernel(KernelFunction prepare, KernelFunction eval) {
    return {.prepare = prepare, .eval = eval, .runsOutsideThreadSessions = true};
}

inline Status checkXnnpack(const KernelContext& context, const char* what, xnn_status status) {
    if (status == xnn_status_success) return Status::ok();
    return context.error(std::string("XNNPACK ") + what + " failed (status " + std::to_string(static_cast<int>(status)) + ")");
}

}  // namespace litestudio::cpu

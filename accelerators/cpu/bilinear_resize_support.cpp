#include "accelerators/cpu/bilinear_resize_support.h"

#include <pthreadpool.h>

#include <algorithm>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/support/memory_limit.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

bool isConstantSizeResize(const Model& model, const Subgraph& subgraph, const Op& op) {
    // Two inputs, and a third where an ADD is folded in (Op::fusedResidual).
    const size_t inputs = op.fusedResidual ? 3 : 2;
    if (model.opCode(op).builtin != schema::BuiltinOperator_RESIZE_BILINEAR || op.inputs.size() != inputs || op.outputs.size() != 1 ||
        op.inputs[0] < 0 || op.inputs[1] < 0 || op.inputs.back() < 0 || op.outputs[0] < 0 || !op.options)
        return false;
    return subgraph.tensors[static_cast<size_t>(op.inputs[0])].shape.size() == 4 &&
           subgraph.tensors[static_cast<size_t>(op.inputs[1])].isConstant();
}

Status prepareBilinearResize(KernelContext& context, BilinearResizeGeometry& g) {
    // The reference checks the resize's own two inputs, not a folded ADD's tensor.
    LS_RETURN_IF_ERROR(withOwnInputs(
        context, [&] { return findReferenceKernel(schema::BuiltinOperator_RESIZE_BILINEAR)->prepare(context); }, 2));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& out = context.output(0);
    const auto* options = context.op->options->builtin_options_as_ResizeBilinearOptions();
    g.inH = input.dim(1), g.inW = input.dim(2), g.channels = input.dim(3);
    g.outH = out.dim(1), g.outW = out.dim(2);
    const bool alignCorners = options && options->align_corners(), halfPixel = options && options->half_pixel_centers();
    g.rows = reference::BilinearSampler(g.inH, g.outH, alignCorners, halfPixel);
    g.columns.clear();
    // An empty output never runs; one that cannot fit is refused (as the
    // runtime would right after) before a table sized by it.
    const size_t bytes = denseByteSize(out.type, out.shape);
    if (bytes == 0) return Status::ok();
    LS_RETURN_IF_ERROR(checkFitsInMemory(bytes, context.opLabel + " output '" + out.name + "' " + shapeText(out.shape)));
    // Besides the output, the kernel holds the column table and, on each
    // thread, two input rows resampled to the output's width: each could
    // fit where all of them do not. (A 2.4 KB file asked for a 14.5 GB
    // output, a 2.4 GB table and 4.8 GB of rows a thread; every check
    // passed one by one, and the studio was killed for memory.) They are
    // checked with the output and the rest of the model.
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int threads = pool ? static_cast<int>(pthreadpool_get_threads_count(pool)) : 1;
    const double rowBytes = double(g.outW) * double(g.channels) * double(kResampledValueBytes);
    LS_RETURN_IF_ERROR(context.holdMemory(static_cast<size_t>(g.outW) * sizeof(reference::BilinearSample), saturatedBytes(2.0 * rowBytes),
                                          context.opLabel + " output '" + out.name + "' " + shapeText(out.shape) +
                                              " with its column samples and rows resampled on " + std::to_string(threads) +
                                              " thread(s)"));
    auto columns = reference::BilinearSampler(g.inW, g.outW, alignCorners, halfPixel).table(g.outW, context.opLabel);
    if (!columns) return columns.status();
    g.columns = std::move(*columns);
    return Status::ok();
}

Status runResizeRows(KernelContext& context, const BilinearResizeGeometry& g, void (*task)(void*, size_t, size_t), void* argument) {
    const size_t rows = static_cast<size_t>(context.output(0).dim(0)) * static_cast<size_t>(g.outH);
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
    const size_t tile = std::max<size_t>(1, (rows + 4 * threads - 1) / (4 * threads));
    parallelize1dTile1d(pool, task, argument, rows, tile);
    return Status::ok();
}

}  // namespace litestudio::cpu

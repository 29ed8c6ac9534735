#include "accelerators/cpu/bilinear_resize_support.h"

#include <pthreadpool.h>

#include <algorithm>

#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/support/memory_limit.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

Status prepareBilinearResize(KernelContext& context, BilinearResizeGeometry& g) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_RESIZE_BILINEAR)->prepare(context));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& out = context.output(0);
    const auto* options = context.op->options->builtin_options_as_ResizeBilinearOptions();
    g.inH = input.dim(1), g.inW = input.dim(2), g.channels = input.dim(3);
    g.outH = out.dim(1), g.outW = out.dim(2);
    const bool alignCorners = options && options->align_corners(), halfPixel = options && options->half_pixel_centers();
    g.rows = reference::BilinearSampler(g.inH, g.outH, alignCorners, halfPixel);
    g.columns.clear();
    const size_t bytes = denseByteSize(out.type, out.shape);
    if (bytes == 0 || !checkFitsInMemory(bytes, out.name)) return Status::ok();
    const reference::BilinearSampler columns(g.inW, g.outW, alignCorners, halfPixel);
    g.columns.reserve(static_cast<size_t>(g.outW));
    for (int o = 0; o < g.outW; ++o) g.columns.push_back(columns.at(o));
    return Status::ok();
}

Status runResizeRows(KernelContext& context, const BilinearResizeGeometry& g, void (*task)(void*, size_t, size_t), void* argument) {
    if (g.columns.size() != static_cast<size_t>(g.outW)) return context.error("has no column samples for its output");
    const size_t rows = static_cast<size_t>(context.output(0).dim(0)) * static_cast<size_t>(g.outH);
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
    const size_t tile = std::max<size_t>(1, (rows + 4 * threads - 1) / (4 * threads));
    pthreadpool_parallelize_1d_tile_1d(pool, task, argument, rows, tile, 0);
    return Status::ok();
}

}  // namespace litestudio::cpu

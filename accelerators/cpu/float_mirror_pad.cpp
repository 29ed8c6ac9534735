#include "accelerators/cpu/float_mirror_pad.h"

#include <cstring>
#include <memory>

#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

struct MirrorPad {
    int64_t batch = 0, inH = 0, inW = 0, channels = 0, outH = 0, outW = 0, top = 0, left = 0;
    int64_t offset = 1;  // REFLECT skips the edge (1), SYMMETRIC repeats it (0)
    // The input coordinate an output one reads, along an axis of `size`
    // padded by `before`: inside, or mirrored about the edge.
    int64_t source(int64_t coordinate, int64_t before, int64_t size) const {
        coordinate -= before;
        if (coordinate < 0) return -coordinate - 1 + offset;
        if (coordinate >= size) return 2 * size - coordinate - 1 - offset;
        return coordinate;
    }
};

struct PadRun {
    const MirrorPad* p;
    const float* input;
    float* output;
};

// One output row.
void padRow(void* context, size_t row) {
    const auto& run = *static_cast<const PadRun*>(context);
    const MirrorPad& p = *run.p;
    const int64_t image = static_cast<int64_t>(row) / p.outH, y = static_cast<int64_t>(row) % p.outH;
    const float* from = run.input + ((image * p.inH + p.source(y, p.top, p.inH)) * p.inW) * p.channels;
    float* to = run.output + static_cast<int64_t>(row) * p.outW * p.channels;
    const auto pixelBytes = static_cast<size_t>(p.channels) * sizeof(float);
    std::memcpy(to + p.left * p.channels, from, static_cast<size_t>(p.inW) * pixelBytes);
    for (int64_t x = 0; x < p.outW; ++x)
        if (x < p.left || x >= p.left + p.inW) std::memcpy(to + x * p.channels, from + p.source(x, p.left, p.inW) * p.channels, pixelBytes);
}

Status prepareMirrorPad(KernelContext& context) {
    // The reference's prepare shapes the output and refuses paddings that
    // reach past an axis (so an empty axis is padded by nothing);
    // floatMirrorPadKernel took only constant paddings of height and width.
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_MIRROR_PAD)->prepare(context));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& out = context.output(0);
    if (input.rank() != 4 || out.rank() != 4) return context.error("pads a 4-D tensor, got " + shapeText(input.shape));
    const std::vector<int64_t> pads = reference::readIntegers(context.input(1));
    auto pad = std::make_shared<MirrorPad>();
    MirrorPad& p = *pad;
    p.batch = input.dim(0), p.inH = input.dim(1), p.inW = input.dim(2), p.channels = input.dim(3);
    p.outH = out.dim(1), p.outW = out.dim(2), p.top = pads[2], p.left = pads[4];
    const auto* options = context.op->options ? context.op->options->builtin_options_as_MirrorPadOptions() : nullptr;
    p.offset = options && options->mode() == schema::MirrorPadMode_SYMMETRIC ? 0 : 1;
    context.state = pad;
    return Status::ok();
}

Status evalMirrorPad(KernelContext& context) {
    const auto& p = *static_cast<const MirrorPad*>(context.state.get());
    if (p.channels == 0 || p.outW == 0) return Status::ok();
    PadRun run{&p, context.input(0).as<const float>(), context.output(0).as<float>()};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), padRow, &run, static_cast<size_t>(p.batch * p.outH));
    return Status::ok();
}

}  // namespace

const KernelDef* floatMirrorPadKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareMirrorPad, .eval = evalMirrorPad};
    if (model.opCode(op).builtin != schema::BuiltinOperator_MIRROR_PAD || op.inputs.size() != 2 || op.inputs[0] < 0 || op.inputs[1] < 0 ||
        op.outputs.size() != 1 || op.outputs[0] < 0)
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& paddings = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    if (input.type != DataType::Float32 || input.shape.size() != 4 || !paddings.isConstant() ||
        subgraph.tensors[static_cast<size_t>(op.outputs[0])].type != DataType::Float32)
        return nullptr;
    // Paddings of the batch or the channels stay with the reference.
    const std::vector<int64_t> pads = constantIntegers(subgraph, op.inputs[1]);
    return pads.size() == 8 && pads[0] == 0 && pads[1] == 0 && pads[6] == 0 && pads[7] == 0 ? &kernel : nullptr;
}

}  // namespace litestudio::cpu

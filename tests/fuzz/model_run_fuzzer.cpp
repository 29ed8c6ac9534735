// libFuzzer target: any bytes, opened as a model, compiled on the reference
// kernels (or, built with LITESTUDIO_FUZZ_CPU, on the cpu accelerator: XNNPACK
// and our own kernels in front of the reference) and run once on
// deterministic inputs. LITESTUDIO_FUZZ_THREADS (default 1) sets the
// compiled model's threads: with two, the kernels' splits over the pool
// (tile sizes, shares, channel groups) meet the same hostile shapes. Hostile models must give a clear error at open,
// compile or run: never a crash, hang or sanitizer report. Models too large
// to run quickly are skipped.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/bench/benchmark.h"
#include "core/format/model_file.h"
#include "core/runtime/compiled_model.h"
#include "tflite_schema_generated.h"
#ifdef LITESTUDIO_FUZZ_CPU
#include "accelerators/cpu/xnnpack_accelerator.h"
#endif
#ifndef LITESTUDIO_FUZZ_THREADS
#define LITESTUDIO_FUZZ_THREADS 1
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace litestudio;
    auto bytes = std::make_shared<std::vector<uint8_t>>(data, data + size);
    auto file = openModelBytes("fuzz", bytes, *bytes);
    if (!file || !file->model) return 0;
    for (const Subgraph& subgraph : file->model->subgraphs)
        for (const Tensor& tensor : subgraph.tensors)
            if (tensor.elementCount() < 0 || tensor.elementCount() > (1 << 20)) return 0;
    CompileOptions options;
    options.loopLimit = 10000;  // endless WHILE loops end quickly here; the app stops them at 10^9 or on cancel
    options.runTimeTensorLimit = 64u << 20;  // as the arena below: shapes made at run time stay as small
    options.threads = LITESTUDIO_FUZZ_THREADS;
#ifdef LITESTUDIO_FUZZ_CPU
    static const std::shared_ptr<const Environment> environment = cpu::createStandardEnvironment();
    options.accelerators = cpu::acceleratorChain("cpu");
    auto compiled = CompiledModel::create(environment, file->model, options);
#else
    auto compiled = CompiledModel::create(file->model, options);
#endif
    if (!compiled) return 0;
    CompiledModel& model = **compiled;
    if (model.arenaBytes() > (64u << 20)) return 0;
    // Shapes worked out at compile time too (a PAD by constants can make a
    // plane of 10^4 x 57 from a small one, then convolved by a 20x53
    // filter: 5 billion multiplies, legitimate work but minutes under ASan).
    // A shape still open (a dimension below 0, worked out at run time) is
    // the run's to check; its product may not fit int64.
    auto tooLarge = [](const std::vector<int32_t>& shape) {
        int64_t count = 1;
        for (int32_t dim : shape) {
            if (dim <= 0) return false;
            count *= dim;  // at most 2^20 x 2^31 before the check below
            if (count > (1 << 20)) return true;
        }
        return false;
    };
    // So is a convolution whose filter is itself a big tensor: a DEPTHWISE
    // of a 12294x7x8 input by that input as its filter, SAME, is 59 billion
    // multiply-adds over small tensors (minutes in a release build). Its
    // multiply-adds, the output's elements times each one's taps, stay
    // under 2^28.
    auto tooMuchWork = [&](int s, const Op& op) {
        const int32_t code = model.model().opCode(op).builtin;
        const bool convolution = code == schema::BuiltinOperator_CONV_2D || code == schema::BuiltinOperator_DEPTHWISE_CONV_2D ||
                                 code == schema::BuiltinOperator_CONV_3D || code == schema::BuiltinOperator_TRANSPOSE_CONV;
        if (!convolution || op.inputs.size() < 2 || op.inputs[1] < 0 || op.outputs.empty() || op.outputs[0] < 0) return false;
        const RuntimeTensor& filter = model.tensor(s, op.inputs[1]);
        const RuntimeTensor& output = model.tensor(s, op.outputs[0]);
        if (filter.rank() < 1 || filter.elementCount() <= 0 || output.elementCount() <= 0) return false;
        // Taps an output sums: the filter less its output-channel axis (first for CONV_2D and
        // TRANSPOSE_CONV, last for DEPTHWISE and CONV_3D).
        const bool lastAxis = code == schema::BuiltinOperator_DEPTHWISE_CONV_2D || code == schema::BuiltinOperator_CONV_3D;
        const int32_t outputChannels = std::max(1, filter.dim(lastAxis ? filter.rank() - 1 : 0));
        return double(output.elementCount()) * double(filter.elementCount() / outputChannels) > double(1 << 28);
    };
    for (int s = 0; s < static_cast<int>(model.model().subgraphs.size()); ++s) {
        if (!model.isCompiled(s)) continue;
        const Subgraph& subgraph = model.model().subgraphs[static_cast<size_t>(s)];
        for (int t = 0; t < static_cast<int>(subgraph.tensors.size()); ++t)
            if (tooLarge(model.tensor(s, t).shape)) return 0;
        for (const Op& op : subgraph.ops)
            if (tooMuchWork(s, op)) return 0;
    }
    const EntryPoint& entry = model.entryPoints()[0];
    uint32_t state = 1;
    for (const SignatureTensor& input : entry.inputs)
        if (!fillBenchmarkInput(model, entry.subgraph, input.tensor, state)) return 0;
    (void)model.run(0);
    return 0;
}

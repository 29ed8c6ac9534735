// Steady-state latency of one inference on real CNNs from ../shared, on the
// "cpu" (XNNPACK + reference) and "reference" accelerators, one thread.
//   run_benchmark [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <cstring>

#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/format/model_file.h"
#include "core/runtime/compiled_model.h"

namespace {

using namespace litestudio;

void runModel(benchmark::State& state, const std::string& path, const std::string& accelerator, int threads) {
    auto file = openModelFile(path);
    if (!file) {
        state.SkipWithError(file.errorMessage().c_str());
        return;
    }
    CompileOptions options;
    options.accelerators = cpu::acceleratorChain(accelerator);
    options.threads = threads;
    auto compiled = CompiledModel::create(cpu::createStandardEnvironment(), file->model, options);
    if (!compiled) {
        state.SkipWithError(compiled.errorMessage().c_str());
        return;
    }
    CompiledModel& model = **compiled;
    EntryPoint entry = model.inSubgraphOrder(0);
    for (const SignatureTensor& input : entry.inputs) {  // a fixed, finite input
        RuntimeTensor& tensor = model.tensor(entry.subgraph, input.tensor);
        std::memset(tensor.data, 0, tensor.bytes);
    }
    if (Status warm = model.run(0); !warm) {
        state.SkipWithError(warm.message().c_str());
        return;
    }
    for (auto _ : state) {
        Status status = model.run(0);
        if (!status) {
            state.SkipWithError(status.message().c_str());
            return;
        }
    }
}

const char* const kModels[] = {
    "mediapipe/face_detection_short_range.tflite", "mediapipe/face_landmark.tflite",
    "mediapipe/palm_detection_lite.tflite",        "mediapipe/hand_landmark_lite.tflite",
    "coral/mobilenet_v2_1.0_224_quant.tflite",     "coral/movenet_single_pose_lightning_ptq.tflite",
};

}  // namespace

int main(int argc, char** argv) {
    for (const char* model : kModels)
        for (const char* accelerator : {"cpu", "reference"})
            for (int threads : {1, 2}) {
                if (std::string(accelerator) == "reference" && threads == 2) continue;  // single-threaded
                std::string path = std::string(LITESTUDIO_SHARED_DIR) + "/models/" + model;
                benchmark::RegisterBenchmark(
                    (std::string(model) + "/" + accelerator + "/threads:" + std::to_string(threads)).c_str(), runModel, path,
                    std::string(accelerator), threads)
                    ->Unit(benchmark::kMillisecond)
                    ->MinTime(0.5)
                    ->Repetitions(5)
                    ->ReportAggregatesOnly(true)
                    ->UseRealTime();
            }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}

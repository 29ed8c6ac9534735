// How long `inspect` takes: open (map + verify + build the graph IR) and
// summarise a model. The target is < 50 ms for the largest shared model.
//   inspect_benchmark [--benchmark_filter=...]   (reads ../shared/models)

#include <benchmark/benchmark.h>

#include <filesystem>

#include "core/format/model_file.h"
#include "core/inspect/model_summary.h"

namespace {

void inspectFile(benchmark::State& state, const std::string& path) {
    for (auto _ : state) {
        auto file = litestudio::openModelFile(path);
        if (!file) {
            state.SkipWithError(file.errorMessage().c_str());
            return;
        }
        litestudio::FileSummary summary = litestudio::summarizeFile(*file);
        benchmark::DoNotOptimize(summary);
    }
    state.SetLabel(std::filesystem::path(path).filename().string() + ", " +
                   std::to_string(std::filesystem::file_size(path)) + " bytes");
}

// The three largest shared models, and the widest graph.
const char* const kModels[] = {
    "tflite-micro/mobilenet_v2_quantized_1x3x224x224.tflite",
    "coral/mobilenet_v2_1.0_224_quant.tflite",
    "mediapipe/pose_detection.tflite",
    "mediapipe/selfie_segmentation.tflite",
};

}  // namespace

int main(int argc, char** argv) {
    for (const char* model : kModels) {
        std::string path = std::string(LITESTUDIO_SHARED_DIR) + "/models/" + model;
        benchmark::RegisterBenchmark(("inspect/" + std::string(model)).c_str(), inspectFile, path)
            ->Unit(benchmark::kMillisecond)
            ->Repetitions(5)
            ->ReportAggregatesOnly(true);
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}

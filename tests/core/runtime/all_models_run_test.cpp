// Every model in ../shared/models that loads either compiles and runs on
// deterministic inputs, or fails with one clear error: never a crash. And
// where both run, the cpu accelerator's outputs against the reference's.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <chrono>
#include <cstring>
#include <thread>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/format/model_file.h"
#include "core/bench/benchmark.h"
#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/runtime/compiled_model.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

namespace fs = std::filesystem;

// How long one model may run before it counts as a hang. Under ASan the
// reference kernels run 10-20x slower: testdata_conv_huge_im2col's 2.6 G
// multiply-adds took 58-62 s there, against a limit that was 60 s.
constexpr int kHangSeconds = LITESTUDIO_SANITIZED ? 240 : 60;

// xorshift32 bytes, the golden generator's stream, so runs are repeatable.
void fillInput(RuntimeTensor& tensor, uint32_t& state) {
    for (size_t i = 0; i < tensor.bytes; ++i) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        tensor.data[i] = static_cast<uint8_t>(state >> 24);
    }
    if (tensor.type == DataType::Float32)  // finite values in [-1, 1)
        for (int64_t i = 0; i < tensor.elementCount(); ++i) tensor.as<float>()[i] = float(int8_t(tensor.data[4 * i])) / 128.0f;
    if (tensor.type == DataType::Int32 || tensor.type == DataType::Int64)  // small, valid as indices
        std::memset(tensor.data, 0, tensor.bytes);
}

// Golden inputs where there are some (loop bounds in them are sane),
// otherwise the deterministic stream.
bool setInputs(CompiledModel& compiled, const std::string& name) {
    uint32_t state = 1;
    EntryPoint entry = compiled.inSubgraphOrder(0);
    fs::path golden = testing::sharedDir() / "golden" / name;
    for (size_t k = 0; k < entry.inputs.size(); ++k) {
        RuntimeTensor& tensor = compiled.tensor(entry.subgraph, entry.inputs[k].tensor);
        fs::path file = golden / ("input_" + std::to_string(k) + ".bin");
        std::vector<uint8_t> bytes = fs::exists(file) ? testing::readFileBytes(file) : std::vector<uint8_t>();
        if (!bytes.empty() && bytes.size() == tensor.bytes) std::memcpy(tensor.data, bytes.data(), bytes.size());
        else if (tensor.type == DataType::String) {
            if (!fillBenchmarkInput(compiled, entry.subgraph, entry.inputs[k].tensor, state)) return false;
        } else fillInput(tensor, state);
    }
    return true;
}

std::vector<fs::path> modelPaths() {
    fs::path root = testing::sharedDir() / "models";
    std::vector<fs::path> paths;
    for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.is_regular_file()) paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    return paths;
}

// Runs the model's entry 0 with a watchdog that cancels it after
// kHangSeconds, so that a hang fails the test naming the model (`where`
// says on which kernels).
Status runWatched(CompiledModel& model, const std::string& name, const char* where) {
    std::atomic<bool> done{false};
    std::thread watchdog([&] {
        for (int i = 0; i < 10 * kHangSeconds && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!done) model.cancel();
    });
    Status status = model.run(0);
    done = true;
    watchdog.join();
    EXPECT_NE(status.message(), model.model().label() + ": cancelled") << name << " ran for over " << kHangSeconds << " s " << where;
    return status;
}

// The largest differences the comparison below met, and where.
struct WorstDifferences {
    float floatShare = 0.0f;  // of the output's range
    int64_t steps = 0;        // 8-bit
    std::string floatModel, stepsModel;
};

// `fast`'s outputs against `reference`'s at the golden tolerances of
// shared/README.md: float outputs within 1e-3 of the largest reference
// value (at least 1), 8-bit outputs within 2 steps with at least 99 %
// within 1, integers exact.
void expectOutputsMatch(CompiledModel& reference, CompiledModel& fast, const std::string& name, WorstDifferences& worst) {
    EntryPoint entry = reference.inSubgraphOrder(0);
    for (const auto& output : entry.outputs) {
        const RuntimeTensor& want = reference.tensor(entry.subgraph, output.tensor);
        const RuntimeTensor& got = fast.tensor(entry.subgraph, output.tensor);
        ASSERT_EQ(got.bytes, want.bytes) << output.name;
        if (want.type == DataType::Float32) {
            float largest = 1.0f, difference = 0.0f;
            for (int64_t i = 0; i < want.elementCount(); ++i) largest = std::max(largest, std::fabs(want.as<float>()[i]));
            for (int64_t i = 0; i < want.elementCount(); ++i)
                difference = std::max(difference, std::fabs(got.as<float>()[i] - want.as<float>()[i]));
            EXPECT_LE(difference, 1e-3f * largest) << output.name;
            if (difference / largest > worst.floatShare) worst.floatShare = difference / largest, worst.floatModel = name;
        } else if (want.type == DataType::Int8 || want.type == DataType::UInt8) {
            int64_t offByOne = 0, steps = 0;
            for (int64_t i = 0; i < want.elementCount(); ++i) {
                int64_t a = want.type == DataType::Int8 ? want.as<int8_t>()[i] : want.as<uint8_t>()[i];
                int64_t b = got.type == DataType::Int8 ? got.as<int8_t>()[i] : got.as<uint8_t>()[i];
                steps = std::max(steps, std::abs(a - b));
                offByOne += std::abs(a - b) == 1;
            }
            EXPECT_LE(steps, 2) << output.name;
            if (steps > worst.steps) worst.steps = steps, worst.stepsModel = name;
            EXPECT_LE(offByOne * 100, want.elementCount()) << output.name;
        } else if (want.type != DataType::String && want.type != DataType::Float16) {
            EXPECT_EQ(std::memcmp(got.data, want.data, want.bytes), 0) << output.name;
        }
    }
}

// Every model that loads, on the reference kernels: it compiles and runs
// on deterministic inputs, or fails with one clear error, never a crash or
// a hang. Then the cpu accelerator (XNNPACK and our own kernels, with op
// fusion) against that reference run, on the same inputs: this is what
// checks the fast kernels on models that have no golden case. One
// reference run a model serves both (as two tests, under ASan, the
// reference pass ran twice: 141 s and most of 174 s).
TEST(AllModels, RunOrFailClearlyAndTheCpuMatchesTheReference) {
    static const std::shared_ptr<const Environment> environment = cpu::createStandardEnvironment();
    fs::path root = testing::sharedDir() / "models";
    ASSERT_TRUE(fs::exists(root));
    int ran = 0, refused = 0, failedRun = 0, compared = 0, notCompared = 0;
    WorstDifferences worst;
    for (const fs::path& path : modelPaths()) {
        std::string name = fs::relative(path, root).string();
        auto file = openModelFile(path.string());
        if (!file || !file->model) continue;  // load errors are covered by the format tests
        SCOPED_TRACE(name);
        CompileOptions referenceOptions, cpuOptions;
        referenceOptions.accelerators = {"reference"};
        cpuOptions.accelerators = cpu::acceleratorChain("cpu");
        auto reference = CompiledModel::create(environment, file->model, referenceOptions);
        if (!reference) {
            EXPECT_FALSE(reference.errorMessage().empty());
            EXPECT_EQ(reference.errorMessage().find('\n'), std::string::npos);
            std::cout << "  refused " << name << ": " << reference.errorMessage().substr(path.string().size() + 2) << "\n";
            ++refused;
            continue;
        }
        ASSERT_TRUE(setInputs(**reference, name));
        Status status = runWatched(**reference, name, "on the reference");
        if (!status) {
            // A run may stop on bad data (the inputs are arbitrary), but says why.
            EXPECT_FALSE(status.message().empty());
            std::cout << "  run error " << name << ": " << status.message().substr(path.string().size() + 2) << "\n";
            ++failedRun;
            continue;
        }
        ++ran;
        auto fast = CompiledModel::create(environment, file->model, cpuOptions);
        if (!fast) {
            ++notCompared;
            continue;
        }
        ASSERT_TRUE(setInputs(**fast, name));
        if (!runWatched(**fast, name, "on the cpu")) {
            ++notCompared;
            continue;
        }
        expectOutputsMatch(**reference, **fast, name, worst);
        ++compared;
    }
    std::cout << "  " << ran << " models ran, " << failedRun << " stopped with an error, " << refused
              << " refused with the unsupported-op error\n";
    std::cout << "  " << compared << " models compared, " << notCompared << " ran on the reference only; largest float difference "
              << worst.floatShare << " of the output's range (" << worst.floatModel << "), largest 8-bit difference " << worst.steps
              << " steps (" << (worst.stepsModel.empty() ? "none" : worst.stepsModel) << ")\n";
    EXPECT_GE(ran, 130);  // floors: fewer means a kernel regressed
    EXPECT_GE(compared, 130);
}

}  // namespace
}  // namespace litestudio

// Every model in ../shared/models that loads either compiles and runs on
// deterministic inputs, or fails with one clear error: never a crash.

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/format/model_file.h"
#include "core/bench/benchmark.h"
#include "core/runtime/compiled_model.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

namespace fs = std::filesystem;

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

TEST(AllModels, RunOrFailClearly) {
    fs::path root = testing::sharedDir() / "models";
    ASSERT_TRUE(fs::exists(root));
    std::vector<fs::path> paths;
    for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.is_regular_file()) paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    int ran = 0, refused = 0, failedRun = 0;
    for (const fs::path& path : paths) {
        std::string name = fs::relative(path, root).string();
        auto file = openModelFile(path.string());
        if (!file || !file->model) continue;  // load errors are covered by the format tests
        SCOPED_TRACE(name);
        auto compiled = CompiledModel::create(file->model);
        if (!compiled) {
            EXPECT_FALSE(compiled.errorMessage().empty());
            EXPECT_EQ(compiled.errorMessage().find('\n'), std::string::npos);
            std::cout << "  refused " << name << ": " << compiled.errorMessage().substr(path.string().size() + 2) << "\n";
            ++refused;
            continue;
        }
        uint32_t state = 1;
        EntryPoint entry = (*compiled)->inSubgraphOrder(0);
        // Golden inputs where there are some (loop bounds in them are sane),
        // otherwise the deterministic stream.
        fs::path golden = testing::sharedDir() / "golden" / name;
        for (size_t k = 0; k < entry.inputs.size(); ++k) {
            RuntimeTensor& tensor = (*compiled)->tensor(entry.subgraph, entry.inputs[k].tensor);
            fs::path file = golden / ("input_" + std::to_string(k) + ".bin");
            std::vector<uint8_t> bytes = fs::exists(file) ? testing::readFileBytes(file) : std::vector<uint8_t>();
            if (!bytes.empty() && bytes.size() == tensor.bytes) std::memcpy(tensor.data, bytes.data(), bytes.size());
            else if (tensor.type == DataType::String)
                ASSERT_TRUE(fillBenchmarkInput(**compiled, entry.subgraph, entry.inputs[k].tensor, state));
            else fillInput(tensor, state);
        }
        // A watchdog turns a hang into a failure that names the model.
        std::atomic<bool> done{false};
        std::thread watchdog([&] {
            for (int i = 0; i < 600 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (!done) (*compiled)->cancel();
        });
        Status status = (*compiled)->run(0);
        done = true;
        watchdog.join();
        EXPECT_NE(status.message(), (*compiled)->model().label() + ": cancelled") << name << " ran for over 60 s";
        if (!status) {
            // A run may stop on bad data (the inputs are arbitrary), but says why.
            EXPECT_FALSE(status.message().empty());
            std::cout << "  run error " << name << ": " << status.message().substr(path.string().size() + 2) << "\n";
            ++failedRun;
            continue;
        }
        ++ran;
    }
    std::cout << "  " << ran << " models ran, " << failedRun << " stopped with an error, " << refused
              << " refused with the unsupported-op error\n";
    EXPECT_GE(ran, 130);  // a floor: fewer means a kernel regressed
}

}  // namespace
}  // namespace litestudio

// Every golden case in ../shared/golden, run through the reference CPU path
// and compared with LiteRT's outputs at the tolerances of shared/README.md:
// float32 max |got-want| <= 1e-3 * max(1, max|want|); uint8/int8 every
// element within 2 and >= 99 % within 1; int32/bool exact.
//
// Every case must compile and run, and match unless its golden output is
// shown to be untrustworthy below.

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/format/model_file.h"
#include "core/kernels/reference/kernel_util.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/runtime/compiled_model.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

namespace fs = std::filesystem;

// Cases whose golden output cannot be trusted, with the evidence.
const std::map<std::string, std::string> kUntrustedGolden = {
    {"litert-testdata/testdata_segment_sum_invalid_buffer.bin",
     "its segment ids tensor has no data (LiteRT.js read uninitialised memory: output_0 holds values such as "
     "813612 that no segment sum of 1680 inputs in 0..3 can reach); our loader rejects the model"},
    {"litert-testdata/simple_floor_mod.tflite",
     "the golden inputs divide by zero (input_1 = 0,0,0,1,2), which TFLite rejects at invoke; LiteRT.js left "
     "output_0 uninitialised: it reads 0,0,0,0,5 where floor_mod(2, 2) must be 0. We fail with 'integer "
     "division by zero' (GoldenInputs.FloorModGoldenInputsDivideByZero)"},
    {"litert-testdata/simple_scatter_nd_op.tflite",
     "the golden indices (0,0,2,0) and (2,0,0,0) scatter into shape [1,128,4,128], whose first dimension has size 1; "
     "TFLite's SCATTER_ND rejects an out-of-range index, and the golden output holds only the first update (1.0 at "
     "flat index 256) with the second dropped. We fail with 'index 2 out of range' "
     "(GoldenInputs.ScatterNdGoldenIndicesAreOutOfRange)"},
};

// Cases that run but do not match yet, and why. They are run and reported
// on every test run; the issue that owns them stays open until this is empty.
const std::map<std::string, std::string> kKnownMismatches = {
};

struct Comparison {
    bool ok = true;
    std::string detail;
};

Comparison compare(const RuntimeTensor& got, const std::vector<uint8_t>& want, const std::string& dtype) {
    Comparison result;
    if (got.bytes != want.size()) {
        result.ok = false;
        result.detail = "size " + std::to_string(got.bytes) + " bytes, want " + std::to_string(want.size());
        return result;
    }
    int64_t count = got.elementCount();
    if (dtype == "float32") {
        const float* g = got.as<float>();
        const float* w = reinterpret_cast<const float*>(want.data());
        double maxWant = 0, maxDiff = 0;
        for (int64_t i = 0; i < count; ++i) maxWant = std::max(maxWant, std::abs(double(w[i])));
        for (int64_t i = 0; i < count; ++i) {
            double diff = std::abs(double(g[i]) - double(w[i]));
            if (std::isnan(g[i]) != std::isnan(w[i])) diff = INFINITY;
            else if (std::isnan(g[i])) diff = 0;
            maxDiff = std::max(maxDiff, diff);
        }
        double tolerance = 1e-3 * std::max(1.0, maxWant);
        result.ok = maxDiff <= tolerance;
        result.detail = "float32 max diff " + std::to_string(maxDiff) + " (tolerance " + std::to_string(tolerance) + ")";
    } else if (dtype == "uint8" || dtype == "int8") {
        int64_t withinOne = 0, worst = 0;
        for (int64_t i = 0; i < count; ++i) {
            int g = dtype == "uint8" ? got.as<uint8_t>()[i] : got.as<int8_t>()[i];
            int w = dtype == "uint8" ? want[static_cast<size_t>(i)] : static_cast<int8_t>(want[static_cast<size_t>(i)]);
            int64_t diff = std::abs(g - w);
            worst = std::max(worst, diff);
            withinOne += diff <= 1;
        }
        result.ok = worst <= 2 && withinOne * 100 >= count * 99;
        result.detail = dtype + " worst diff " + std::to_string(worst) + ", " + std::to_string(withinOne) + "/" +
                        std::to_string(count) + " within 1";
    } else {
        result.ok = std::memcmp(got.data, want.data(), want.size()) == 0;
        result.detail = dtype + (result.ok ? " exact" : " differs");
    }
    return result;
}

// The accelerator chain and thread count a pass runs on. Two threads put the
// cpu kernels' parallel loops on a thread session (one per run of ops
// between XNNPACK operators) instead of one pool dispatch each.
struct GoldenPass {
    std::string accelerator;
    int threads;
};

// ctest lists each pass by this instead of the struct's bytes.
void PrintTo(const GoldenPass& pass, std::ostream* out) { *out << pass.accelerator << " on " << pass.threads << " thread(s)"; }

class Golden : public ::testing::TestWithParam<GoldenPass> {};

TEST_P(Golden, EveryCaseRunsAndMatches) {
    CompileOptions options;
    options.accelerators = cpu::acceleratorChain(GetParam().accelerator);
    options.threads = GetParam().threads;
    std::shared_ptr<const Environment> environment = cpu::createStandardEnvironment();
    fs::path root = testing::sharedDir() / "golden";
    ASSERT_TRUE(fs::exists(root)) << "missing " << root;
    std::vector<fs::path> cases;
    for (const auto& set : fs::directory_iterator(root))
        for (const auto& entry : fs::directory_iterator(set.path())) cases.push_back(entry.path());
    std::sort(cases.begin(), cases.end());
    ASSERT_GE(cases.size(), 96u);
    const size_t narrowedBefore = cpu::libraryCallsNarrowedInSessions();
    int passed = 0, unsupported = 0, untrusted = 0, knownMismatches = 0, opsOnFirstAccelerator = 0;
    for (const fs::path& dir : cases) {
        std::string name = dir.parent_path().filename().string() + "/" + dir.filename().string();
        SCOPED_TRACE(name);
        if (kUntrustedGolden.count(name)) {
            ++untrusted;
            std::cout << "  untrusted " << name << ": " << kUntrustedGolden.at(name) << "\n";
            continue;
        }
        std::ifstream metaFile(dir / "meta.json");
        nlohmann::json meta = nlohmann::json::parse(metaFile);
        auto file = openModelFile((testing::sharedDir() / "models" / name).string());
        ASSERT_TRUE(file) << file.errorMessage();
        auto compiled = CompiledModel::create(environment, file->model, options);
        if (!compiled) {
            const std::string& message = compiled.errorMessage();
            ADD_FAILURE() << "every golden case must run: " << message;
            std::cout << "  unsupported " << name << ": " << message.substr(message.find(": ") + 2) << "\n";
            ++unsupported;
            continue;
        }
        CompiledModel& model = **compiled;
        for (size_t s = 0; s < file->model->subgraphs.size(); ++s)
            for (size_t o = 0; o < file->model->subgraphs[s].ops.size(); ++o)
                opsOnFirstAccelerator += model.acceleratorOf(static_cast<int>(s), static_cast<int>(o)) == options.accelerators[0];
        EntryPoint entry = model.inSubgraphOrder(0);
        ASSERT_EQ(entry.inputs.size(), meta["inputs"].size());
        for (size_t k = 0; k < entry.inputs.size(); ++k) {
            std::vector<int32_t> shape = meta["inputs"][k]["shape"].get<std::vector<int32_t>>();
            Status resized = model.resizeInput(entry.subgraph, entry.inputs[k].tensor, shape);
            ASSERT_TRUE(resized) << resized.message();
        }
        for (size_t k = 0; k < entry.inputs.size(); ++k) {
            Status set = model.setInput(entry.subgraph, entry.inputs[k].tensor,
                                        testing::readFileBytes(dir / ("input_" + std::to_string(k) + ".bin")));
            ASSERT_TRUE(set) << set.message();
        }
        Status ran = model.run(0);
        ASSERT_TRUE(ran) << ran.message();
        bool all = true;
        std::string details;
        for (size_t k = 0; k < entry.outputs.size(); ++k) {
            const RuntimeTensor& got = model.tensor(entry.subgraph, entry.outputs[k].tensor);
            Comparison result = compare(got, testing::readFileBytes(dir / ("output_" + std::to_string(k) + ".bin")),
                                        meta["outputs"][k]["dtype"].get<std::string>());
            if (!kKnownMismatches.count(name)) {
                EXPECT_TRUE(result.ok) << "output " << k << " '" << got.name << "': " << result.detail;
            }
            all &= result.ok;
            details += " [" + result.detail + "]";
        }
        bool known = !all && kKnownMismatches.count(name);
        std::cout << "  " << (all ? "passed " : known ? "KNOWN MISMATCH " : "FAILED ") << name << details << "\n";
        if (known) std::cout << "    why: " << kKnownMismatches.at(name) << "\n";
        passed += all;
        knownMismatches += known;
    }
    const size_t narrowed = cpu::libraryCallsNarrowedInSessions() - narrowedBefore;
    std::cout << "  golden (" << GetParam().accelerator << ", " << GetParam().threads << " thread(s)): " << passed << " passed, "
              << knownMismatches << " known mismatches, " << unsupported << " unsupported, " << untrusted << " untrusted, of "
              << cases.size() << " cases; " << opsOnFirstAccelerator << " ops ran on '" << options.accelerators[0] << "'; "
              << narrowed << " XNNPACK calls inside a thread session\n";
    EXPECT_GT(opsOnFirstAccelerator, 0);
    // An XNNPACK operator inside a session runs on one thread (its pool would
    // deadlock): every such kernel must end the session before it.
    EXPECT_EQ(narrowed, 0u);
}


INSTANTIATE_TEST_SUITE_P(Accelerators, Golden,
                         ::testing::Values(GoldenPass{"cpu", 1}, GoldenPass{"cpu", 2}, GoldenPass{"reference", 1}),
                         [](const ::testing::TestParamInfo<GoldenPass>& pass) {
                             return pass.param.accelerator + "_" + std::to_string(pass.param.threads) + "_threads";
                         });

// Runs a golden case's inputs and returns the run's status.
Status runGoldenInputs(const std::string& name) {
    fs::path dir = testing::sharedDir() / "golden" / name;
    auto file = openModelFile((testing::sharedDir() / "models" / name).string());
    if (!file) return file.status();
    auto compiled = CompiledModel::create(file->model);
    if (!compiled) return compiled.status();
    EntryPoint entry = (*compiled)->inSubgraphOrder(0);
    for (size_t k = 0; k < entry.inputs.size(); ++k)
        LS_RETURN_IF_ERROR((*compiled)->setInput(entry.subgraph, entry.inputs[k].tensor,
                                                 testing::readFileBytes(dir / ("input_" + std::to_string(k) + ".bin"))));
    return (*compiled)->run(0);
}

TEST(GoldenInputs, ScatterNdGoldenIndicesAreOutOfRange) {
    Status ran = runGoldenInputs("litert-testdata/simple_scatter_nd_op.tflite");
    ASSERT_FALSE(ran);
    std::cout << "  " << ran.message() << "\n";
    EXPECT_NE(ran.message().find("op 0 (SCATTER_ND): index 2 out of range"), std::string::npos);
}

TEST(GoldenInputs, FloorModGoldenInputsDivideByZero) {
    Status ran = runGoldenInputs("litert-testdata/simple_floor_mod.tflite");
    ASSERT_FALSE(ran);
    std::cout << "  " << ran.message() << "\n";
    EXPECT_NE(ran.message().find("op 0 (FLOOR_MOD): integer division by zero"), std::string::npos);
}

}  // namespace
}  // namespace litestudio

#include "app/cli/run_command.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/command_line.h"
#include "accelerators/cpu/xnnpack_accelerator.h"
#include "app/version.h"
#include "core/format/model_file.h"
#include "core/runtime/compiled_model.h"
#include "core/support/atomic_file.h"

namespace litestudio::cli {

namespace fs = std::filesystem;

const char* const kRunUsage =
    "usage: litestudio-cli run MODEL --inputs DIR --outputs DIR [--signature KEY] [--accelerator cpu|reference]\n"
    "                          [--threads N]\n"
    "  Runs one inference. Reads DIR/input_K.bin (raw little-endian data, K in the order of the\n"
    "  signature's subgraph inputs; an optional DIR/meta.json gives their shapes for dynamic\n"
    "  dimensions) and writes output_K.bin and meta.json to the outputs directory, in the golden-case\n"
    "  format of shared/README.md.\n"
    "  --accelerator cpu         XNNPACK where it applies, reference kernels for the rest (default)\n"
    "  --accelerator reference   the portable reference kernels alone\n"
    "  --threads N               threads for XNNPACK (default 1)\n";

namespace {

Expected<std::vector<uint8_t>> readAll(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::error(path.string() + ": cannot read");
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

nlohmann::json tensorJson(const std::string& name, const RuntimeTensor& tensor) {
    return {{"name", name}, {"dtype", dataTypeName(tensor.type)}, {"shape", tensor.shape}};
}

}  // namespace

int runRun(const std::vector<std::string>& arguments) {
    auto parsed = parseArguments(arguments, {"--help"}, {"--inputs", "--outputs", "--signature", "--accelerator", "--threads"});
    if (!parsed) return reportError("run: " + parsed.errorMessage());
    if (parsed->has("--help")) {
        std::cout << kRunUsage;
        return 0;
    }
    if (parsed->positional.size() != 1) return reportError("run: expected one MODEL path (see --help)");
    if (!parsed->options.count("--inputs") || !parsed->options.count("--outputs"))
        return reportError("run: --inputs DIR and --outputs DIR are required");
    std::string accelerator = parsed->options.count("--accelerator") ? parsed->options["--accelerator"] : "cpu";
    CompileOptions options;
    options.accelerators = cpu::acceleratorChain(accelerator);
    if (parsed->options.count("--threads")) {
        try {
            options.threads = std::stoi(parsed->options["--threads"]);
        } catch (...) {
            options.threads = 0;
        }
        if (options.threads < 1) return reportError("run: --threads needs a positive number");
    }

    auto file = openModelFile(parsed->positional[0]);
    if (!file) return reportError(file.errorMessage());
    if (!file->model) return reportError(parsed->positional[0] + ": run takes a .tflite model; this is a bundle");
    auto compiled = CompiledModel::create(cpu::createStandardEnvironment(), file->model, options);
    if (!compiled) return reportError(compiled.errorMessage());
    CompiledModel& model = **compiled;
    std::string key = parsed->options.count("--signature") ? parsed->options["--signature"] : "";
    int entryIndex = model.findEntry(key);
    if (entryIndex < 0) return reportError("run: the model has no signature '" + key + "'");
    EntryPoint entry = model.inSubgraphOrder(entryIndex);

    fs::path inputs = parsed->options["--inputs"], outputs = parsed->options["--outputs"];
    nlohmann::json inputMeta;
    if (fs::exists(inputs / "meta.json")) {
        std::ifstream metaFile(inputs / "meta.json");
        inputMeta = nlohmann::json::parse(metaFile, nullptr, false);
        if (inputMeta.is_discarded()) return reportError((inputs / "meta.json").string() + ": not valid JSON");
    }
    for (size_t k = 0; k < entry.inputs.size(); ++k) {
        if (inputMeta.contains("inputs") && k < inputMeta["inputs"].size() && inputMeta["inputs"][k].contains("shape")) {
            Status resized = model.resizeInput(entry.subgraph, entry.inputs[k].tensor,
                                               inputMeta["inputs"][k]["shape"].get<std::vector<int32_t>>());
            if (!resized) return reportError(resized.message());
        }
    }
    for (size_t k = 0; k < entry.inputs.size(); ++k) {
        auto bytes = readAll(inputs / ("input_" + std::to_string(k) + ".bin"));
        if (!bytes) return reportError(bytes.errorMessage());
        Status set = model.setInput(entry.subgraph, entry.inputs[k].tensor, *bytes);
        if (!set) return reportError("input_" + std::to_string(k) + ".bin: " + set.message());
    }
    auto start = std::chrono::steady_clock::now();
    Status ran = model.run(entryIndex);
    double milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!ran) return reportError(ran.message());

    std::error_code error;
    fs::create_directories(outputs, error);
    if (error) return reportError(outputs.string() + ": cannot create: " + error.message());
    nlohmann::json meta = {{"runtime", std::string("LiteStudio ") + LITESTUDIO_VERSION + " (" + accelerator + ")"},
                           {"inputs", nlohmann::json::array()},
                           {"outputs", nlohmann::json::array()},
                           {"ms_per_run", milliseconds}};
    for (const SignatureTensor& input : entry.inputs)
        meta["inputs"].push_back(tensorJson(input.name, model.tensor(entry.subgraph, input.tensor)));
    for (size_t k = 0; k < entry.outputs.size(); ++k) {
        const RuntimeTensor& tensor = model.tensor(entry.subgraph, entry.outputs[k].tensor);
        meta["outputs"].push_back(tensorJson(entry.outputs[k].name, tensor));
        Status written = writeFileAtomically((outputs / ("output_" + std::to_string(k) + ".bin")).string(), tensor.data, tensor.bytes);
        if (!written) return reportError(written.message());
    }
    std::string metaText = meta.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    Status written = writeFileAtomically((outputs / "meta.json").string(), metaText);
    if (!written) return reportError(written.message());
    std::cout << "ran " << entry.key << " in " << milliseconds << " ms; wrote " << entry.outputs.size()
              << " outputs to " << outputs.string() << "\n";
    return 0;
}

}  // namespace litestudio::cli

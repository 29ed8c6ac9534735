#include "app/cli/llm_commands.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/command_line.h"
#include "core/bench/machine_info.h"
#include "core/support/atomic_file.h"
#include "genai/gemma_builder.h"
#include "genai/llm_session.h"
#include "genai/tokenizer_corpus.h"

namespace litestudio::cli {

const char* const kMakeModelUsage =
    "usage: litestudio-cli make-model gemma OUT.litertlm|OUT.task [--preset tiny|270m|1b] [--weights float32|int8|int4]\n"
    "       litestudio-cli make-model gemma OUT.tflite --only prefill|decode [--preset P] [--weights W]\n"
    "  Writes a Gemma-3-architecture LLM bundle with deterministic random weights and a\n"
    "  SentencePiece tokenizer trained on text kept in the repository, for testing the\n"
    "  loading and generation code without downloading a model. --only writes one signature\n"
    "  as a plain .tflite (the golden cases run each through LiteRT.js). int8: one scale\n"
    "  per output row; int4: blocks of 32 with a float16 scale each (4.5 bits per weight).\n";

const char* const kChatUsage =
    "usage: litestudio-cli chat MODEL.litertlm [--prompt TEXT] [--system TEXT] [--max-tokens N]\n"
    "                           [--temperature T] [--top-k K] [--top-p P] [--seed S] [--threads N]\n"
    "  Streams the answer to --prompt; without it, a multi-turn conversation on the terminal\n"
    "  (an empty line ends it). Speed goes to stderr after each answer.\n";

const char* const kLlmBenchUsage =
    "usage: litestudio-cli llm-bench MODEL.litertlm --prefill N --decode N [--threads N] [--repetitions R] [--json FILE]\n"
    "  Load time, time to first token, prefill and decode tokens per second: one\n"
    "  warm-up generation, then the median of R (default 3) from an empty cache.\n";

namespace {

bool number(const std::map<std::string, std::string>& options, const std::string& name, double& value) {
    auto found = options.find(name);
    if (found == options.end()) return true;
    try {
        size_t used = 0;
        value = std::stod(found->second, &used);
        return used == found->second.size() && std::isfinite(value);
    } catch (...) {
        return false;
    }
}

}  // namespace

int runMakeModel(const std::vector<std::string>& arguments) {
    auto parsed = parseArguments(arguments, {"--help"}, {"--preset", "--weights", "--only"});
    if (!parsed) return reportError("make-model: " + parsed.errorMessage());
    if (parsed->has("--help")) {
        std::cout << kMakeModelUsage;
        return 0;
    }
    if (parsed->positional.size() != 2 || parsed->positional[0] != "gemma")
        return reportError("make-model: expected `gemma OUT.litertlm` (see --help)");
    auto weights = genai::parseGemmaWeights(parsed->options.count("--weights") ? parsed->options["--weights"] : "float32");
    if (!weights) return reportError("make-model: --weights: " + weights.errorMessage());
    std::string preset = parsed->options.count("--preset") ? parsed->options["--preset"] : "tiny";
    if (parsed->options.count("--only")) {
        std::string only = parsed->options["--only"];
        if (only != "prefill" && only != "decode") return reportError("make-model: --only takes prefill or decode");
        auto config = genai::gemmaConfigFor(preset, genai::tokenizerCorpus(), *weights);
        if (!config) return reportError(config.errorMessage());
        auto model = genai::buildGemmaModel(*config, only == "prefill" ? genai::GemmaSignatures::PrefillOnly
                                                                       : genai::GemmaSignatures::DecodeOnly);
        Status written = writeFileAtomically(parsed->positional[1], model.data(), model.size());
        if (!written) return reportError(written.message());
        std::cout << "wrote " << parsed->positional[1] << " (" << model.size() << " bytes, " << only << " only)\n";
        return 0;
    }
    const std::string& out = parsed->positional[1];
    if (out.size() > 5 && out.compare(out.size() - 5, 5, ".task") == 0) {
        Status written = genai::writeGemmaTask(out, preset, genai::tokenizerCorpus(), *weights);
        if (!written) return reportError(written.message());
        std::cout << "wrote " << out << " (MediaPipe .task, preset " << preset << ")\n";
        return 0;
    }
    auto bundle = genai::buildGemmaBundle(preset, genai::tokenizerCorpus(), *weights);
    if (!bundle) return reportError(bundle.errorMessage());
    Status written = writeFileAtomically(parsed->positional[1], bundle->data(), bundle->size());
    if (!written) return reportError(written.message());
    std::cout << "wrote " << parsed->positional[1] << " (" << bundle->size() << " bytes, preset " << preset << ")\n";
    return 0;
}

int runChat(const std::vector<std::string>& arguments) {
    auto parsed = parseArguments(arguments, {"--help"},
                                 {"--prompt", "--system", "--max-tokens", "--temperature", "--top-k", "--top-p", "--seed", "--threads"});
    if (!parsed) return reportError("chat: " + parsed.errorMessage());
    if (parsed->has("--help")) {
        std::cout << kChatUsage;
        return 0;
    }
    if (parsed->positional.size() != 1) return reportError("chat: expected one MODEL path (see --help)");
    double maxTokens = 256, temperature = 0.8, topK = 40, topP = 0.95, seed = 0, threads = 1;
    const auto& o = parsed->options;
    if (!number(o, "--max-tokens", maxTokens) || maxTokens < 1) return reportError("chat: --max-tokens needs a number of at least 1");
    if (!number(o, "--temperature", temperature) || temperature < 0) return reportError("chat: --temperature needs a number >= 0");
    if (!number(o, "--top-k", topK) || topK < 0) return reportError("chat: --top-k needs a whole number >= 0");
    if (!number(o, "--top-p", topP) || topP <= 0 || topP > 1) return reportError("chat: --top-p needs a number in (0, 1]");
    if (!number(o, "--seed", seed) || seed < 0) return reportError("chat: --seed needs a whole number >= 0");
    if (!number(o, "--threads", threads) || threads < 1) return reportError("chat: --threads needs a whole number >= 1");
    genai::LlmOptions options;
    options.threads = static_cast<int>(threads);
    auto session = genai::LlmSession::open(parsed->positional[0], options);
    if (!session) return reportError(session.errorMessage());
    genai::SamplerOptions sampling{static_cast<float>(temperature), static_cast<int>(topK), static_cast<float>(topP),
                                   static_cast<uint64_t>(seed)};
    std::string system = o.count("--system") ? o.at("--system") : "";
    auto turn = [&](const std::string& user) {
        std::vector<genai::ChatMessage> messages;
        if ((*session)->position() == 0 && !system.empty()) messages.push_back({genai::ChatMessage::Role::System, system});
        messages.push_back({genai::ChatMessage::Role::User, user});
        auto stats = (*session)->reply(messages, sampling, static_cast<int>(maxTokens), [](const std::string& text) {
            std::cout << text << std::flush;
            return true;
        });
        std::cout << "\n";
        if (!stats) return reportError(stats.errorMessage());
        std::fprintf(stderr, "[%d prompt tokens, %d answer tokens (%s); first token %.1f ms, prefill %.1f tok/s, decode %.1f tok/s]\n",
                     stats->promptTokens, stats->generatedTokens, stats->stopReason.c_str(), stats->timeToFirstTokenMs,
                     stats->prefillTokensPerSecond(), stats->decodeTokensPerSecond());
        return 0;
    };
    if (o.count("--prompt")) return turn(o.at("--prompt"));
    std::string line;
    while (true) {
        std::cout << "> " << std::flush;
        if (!std::getline(std::cin, line) || line.empty()) break;
        if (int status = turn(line); status != 0) return status;
    }
    return 0;
}

int runLlmBench(const std::vector<std::string>& arguments) {
    auto parsed = parseArguments(arguments, {"--help"}, {"--prefill", "--decode", "--threads", "--repetitions", "--json"});
    if (!parsed) return reportError("llm-bench: " + parsed.errorMessage());
    if (parsed->has("--help")) {
        std::cout << kLlmBenchUsage;
        return 0;
    }
    if (parsed->positional.size() != 1) return reportError("llm-bench: expected one MODEL path (see --help)");
    double prefill = 0, decode = 0, threads = 1;
    if (!number(parsed->options, "--prefill", prefill) || prefill < 1 || !number(parsed->options, "--decode", decode) || decode < 1)
        return reportError("llm-bench: --prefill N and --decode N are needed, both at least 1");
    if (!number(parsed->options, "--threads", threads) || threads < 1) return reportError("llm-bench: --threads needs a whole number >= 1");
    double repetitions = 3;
    if (!number(parsed->options, "--repetitions", repetitions) || repetitions < 1 || repetitions > 1000)
        return reportError("llm-bench: --repetitions needs a whole number from 1 to 1000");
    genai::LlmOptions options;
    options.threads = static_cast<int>(threads);
    auto start = std::chrono::steady_clock::now();
    auto session = genai::LlmSession::open(parsed->positional[0], options);
    if (!session) return reportError(session.errorMessage());
    double loadMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    // A prompt of exactly --prefill tokens: ids cycled from the vocabulary,
    // above the special pieces, decoded back to text the tokenizer splits the same way.
    const auto& tokenizer = *(*session)->tokenizer();
    std::string prompt;
    for (int i = 0; static_cast<int>(tokenizer.encode(prompt).size()) + 1 < static_cast<int>(prefill); ++i)
        prompt += tokenizer.decode({6 + i % (tokenizer.vocabularySize() - 6)});
    genai::SamplerOptions greedy{0.0f};
    // Stop tokens would end the run early: decode runs the full count. Like
    // llama-bench: a warm-up first (first-touch page faults, thread start),
    // then each repetition from an empty cache; the median of each figure.
    std::vector<genai::GenerationStats> runs;
    for (int r = 0; r <= static_cast<int>(repetitions); ++r) {
        (*session)->reset();
        auto run = (*session)->generate(prompt, greedy, static_cast<int>(decode));
        if (!run) return reportError(run.errorMessage());
        if (r > 0) runs.push_back(*run);
    }
    auto median = [&](auto field) {
        std::vector<double> values;
        for (const auto& run : runs) values.push_back(field(run));
        std::sort(values.begin(), values.end());
        size_t n = values.size();
        return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    };
    genai::GenerationStats stats = runs.front();  // the token counts are the same in every run
    stats.prefillMs = median([](const genai::GenerationStats& run) { return run.prefillMs; });
    stats.timeToFirstTokenMs = median([](const genai::GenerationStats& run) { return run.timeToFirstTokenMs; });
    stats.decodeMs = median([](const genai::GenerationStats& run) { return run.decodeMs; });
    MachineInfo machine = currentMachine();
    std::printf("model          %s\n", parsed->positional[0].c_str());
    std::printf("machine        %s, %d cores, %d thread%s\n", machine.cpu.c_str(), machine.cores, static_cast<int>(threads),
                threads == 1 ? "" : "s");
    std::printf("load           %.1f ms\n", loadMs);
    std::printf("repetitions    %d after one warm-up, medians below\n", static_cast<int>(repetitions));
    std::printf("prefill        %d tokens in %.1f ms = %.1f tokens/s\n", stats.promptTokens, stats.prefillMs,
                stats.prefillTokensPerSecond());
    std::printf("first token    %.1f ms\n", stats.timeToFirstTokenMs);
    std::printf("decode         %d tokens in %.1f ms = %.1f tokens/s (%s)\n", stats.generatedTokens, stats.decodeMs,
                stats.decodeTokensPerSecond(), stats.stopReason.c_str());
    std::printf("peak memory    %.1f MiB\n", static_cast<double>(peakResidentBytes()) / (1024.0 * 1024.0));
    if (parsed->options.count("--json")) {
        nlohmann::json json = {{"model", parsed->positional[0]},
                               {"machine", {{"cpu", machine.cpu}, {"cores", machine.cores}, {"os", machine.os}}},
                               {"threads", static_cast<int>(threads)},
                               {"repetitions", static_cast<int>(repetitions)},
                               {"load_ms", loadMs},
                               {"prefill_tokens", stats.promptTokens},
                               {"decode_tokens", stats.generatedTokens},
                               {"time_to_first_token_ms", stats.timeToFirstTokenMs},
                               {"prefill_tokens_per_s", stats.prefillTokensPerSecond()},
                               {"decode_tokens_per_s", stats.decodeTokensPerSecond()},
                               {"peak_rss_bytes", peakResidentBytes()}};
        Status written = writeFileAtomically(parsed->options["--json"], json.dump(2) + "\n");
        if (!written) return reportError(written.message());
    }
    return 0;
}

}  // namespace litestudio::cli

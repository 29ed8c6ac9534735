// litestudio-cli: the studio's engine without the window, so every figure
// the GUI shows can be reproduced in a terminal or CI.

#include <iostream>
#include <string>
#include <vector>

#include "app/cli/command_line.h"
#include "app/cli/inspect_command.h"
#include "app/cli/run_command.h"
#include "app/cli/classify_command.h"
#include "app/cli/bench_command.h"
#include "app/cli/llm_commands.h"
#include "app/version.h"

namespace {

const char* const kUsage =
    "usage: litestudio-cli <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL [--json]   summarise a .tflite model or .litertlm/.task bundle\n"
    "  run MODEL --inputs DIR --outputs DIR [--signature KEY]\n"
    "                           run one inference on golden-format input files\n"
    "  classify MODEL IMAGE [--labels FILE] [--top K]\n"
    "                           top-K classes of a BMP/PNG/JPEG image\n"
    "  bench MODEL [--accelerator cpu|reference] [--threads N] [--runs N | --min-seconds S]\n"
    "              [--warmup N] [--op-profile] [--json FILE]\n"
    "                           latency statistics, memory and a per-op profile\n"
    "  make-model gemma OUT.litertlm [--preset tiny]\n"
    "                           write a Gemma-3-architecture test bundle (random weights)\n"
    "  chat MODEL [--prompt TEXT] [--system TEXT] [--max-tokens N] [--temperature T]\n"
    "             [--top-k K] [--top-p P] [--seed S]\n"
    "                           talk to an LLM bundle; without --prompt, a conversation\n"
    "  llm-bench MODEL --prefill N --decode N [--threads N] [--json FILE]\n"
    "                           time to first token, prefill and decode tokens/s\n"
    "\n"
    "  litestudio-cli <command> --help   shows a command's options\n"
    "  litestudio-cli --version          prints the version\n";

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> arguments(argv + 1, argv + argc);
    if (arguments.empty()) {
        std::cerr << kUsage;
        return litestudio::cli::reportError("no command given");
    }
    const std::string command = arguments.front();
    arguments.erase(arguments.begin());
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << kUsage;
        return 0;
    }
    if (command == "--version") {
        std::cout << "litestudio-cli " << LITESTUDIO_VERSION << "\n";
        return 0;
    }
    if (command == "inspect") return litestudio::cli::runInspect(arguments);
    if (command == "run") return litestudio::cli::runRun(arguments);
    if (command == "classify") return litestudio::cli::runClassify(arguments);
    if (command == "bench") return litestudio::cli::runBench(arguments);
    if (command == "make-model") return litestudio::cli::runMakeModel(arguments);
    if (command == "chat") return litestudio::cli::runChat(arguments);
    if (command == "llm-bench") return litestudio::cli::runLlmBench(arguments);
    return litestudio::cli::reportError("unknown command '" + command + "' (see litestudio-cli --help)");
}

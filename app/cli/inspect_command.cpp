#include "app/cli/inspect_command.h"

#include <iostream>

#include "app/cli/command_line.h"
#include "core/format/model_file.h"
#include "core/inspect/summary_json.h"
#include "core/inspect/summary_text.h"

namespace litestudio::cli {

const char* const kInspectUsage =
    "usage: litestudio-cli inspect MODEL [--json]\n"
    "  Summarises a .tflite model or a .litertlm/.task bundle: signatures, subgraphs,\n"
    "  op histogram, parameters by dtype, quantization, metadata, custom and NPU ops.\n"
    "  --json   print the summary as JSON (format_version 1)\n";

int runInspect(const std::vector<std::string>& arguments) {
    auto parsed = parseArguments(arguments, {"--json", "--help"}, {});
    if (!parsed) return reportError("inspect: " + parsed.errorMessage());
    if (parsed->has("--help")) {
        std::cout << kInspectUsage;
        return 0;
    }
    if (parsed->positional.size() != 1) return reportError("inspect: expected one MODEL path (see --help)");
    auto file = openModelFile(parsed->positional[0]);
    if (!file) return reportError(file.errorMessage());
    FileSummary summary = summarizeFile(*file);
    if (parsed->has("--json")) {
        // Names inside a model are not guaranteed UTF-8; replace bad bytes
        // rather than fail the whole report.
        std::cout << fileSummaryToJson(summary).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        std::cout << fileSummaryToText(summary);
    }
    return 0;
}

}  // namespace litestudio::cli

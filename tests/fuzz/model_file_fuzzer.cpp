// libFuzzer target: any bytes, opened as a model file (TFLite, .litertlm or
// .task, told apart by content), then summarised and rendered the way
// `inspect` does. Must never crash, hang or trip a sanitizer.

#include <cstdint>
#include <memory>
#include <vector>

#include "core/format/model_file.h"
#include "core/inspect/model_summary.h"
#include "core/inspect/summary_json.h"
#include "core/inspect/summary_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto bytes = std::make_shared<std::vector<uint8_t>>(data, data + size);
    auto file = litestudio::openModelBytes("fuzz", bytes, *bytes);
    if (!file) return 0;
    litestudio::FileSummary summary = litestudio::summarizeFile(*file);
    (void)litestudio::fileSummaryToText(summary);
    (void)litestudio::fileSummaryToJson(summary).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return 0;
}

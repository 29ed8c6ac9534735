#pragma once
// Opens whatever the user hands us: a .tflite model, a .litertlm bundle or a
// .task bundle, told apart by their bytes, not their names.

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/format/bundle.h"
#include "core/graph/model.h"
#include "core/support/status.h"

namespace litestudio {

enum class FileKind { TfliteModel, LitertlmBundle, TaskBundle };

struct ModelFile {
    std::string path;
    uint64_t fileSize = 0;
    FileKind kind = FileKind::TfliteModel;
    std::shared_ptr<Model> model;  // for TfliteModel
    std::optional<Bundle> bundle;  // for the bundle kinds
};

Expected<ModelFile> openModelFile(const std::string& path);
// The same from bytes in memory (tests, fuzzing); `storage` keeps them alive.
Expected<ModelFile> openModelBytes(const std::string& label, std::shared_ptr<const void> storage,
                                   std::span<const uint8_t> bytes);

const char* fileKindName(FileKind kind);

}  // namespace litestudio

#include "core/format/model_file.h"

#include "core/format/tflite_reader.h"
#include "core/support/mapped_file.h"

namespace litestudio {

const char* fileKindName(FileKind kind) {
    switch (kind) {
    case FileKind::TfliteModel: return "tflite";
    case FileKind::LitertlmBundle: return "litertlm";
    case FileKind::TaskBundle: return "task";
    }
    return "unknown";
}

Expected<ModelFile> openModelBytes(const std::string& label, std::shared_ptr<const void> storage,
                                   std::span<const uint8_t> bytes) {
    ModelFile file;
    file.path = label;
    file.fileSize = bytes.size();
    if (bytes.empty()) return Status::error(label + ": the file is empty");
    if (hasLitertlmMagic(bytes)) {
        auto bundle = readLitertlmBundle(label, storage, bytes);
        if (!bundle) return bundle.status();
        file.kind = FileKind::LitertlmBundle;
        file.bundle = std::move(*bundle);
        return file;
    }
    // A TFLite model with metadata also carries a zip after its flatbuffer,
    // but it starts with the flatbuffer, so the zip check sees no "PK" here.
    if (hasZipMagic(bytes)) {
        auto bundle = readTaskBundle(label, bytes);
        if (!bundle) return bundle.status();
        file.kind = FileKind::TaskBundle;
        file.bundle = std::move(*bundle);
        return file;
    }
    auto model = readTfliteModel(label, std::move(storage), bytes);
    if (!model) return model.status();
    file.kind = FileKind::TfliteModel;
    file.model = std::move(*model);
    return file;
}

Expected<ModelFile> openModelFile(const std::string& path) {
    auto mapped = MappedFile::open(path);
    if (!mapped) return mapped.status();
    std::shared_ptr<const MappedFile> mapping = *mapped;
    return openModelBytes(path, mapping, mapping->bytes());
}

}  // namespace litestudio

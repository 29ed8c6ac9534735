#pragma once
// What a model's metadata entries say: the TFLite metadata flatbuffer
// ("TFLITE_METADATA"), the minimum runtime version, and the associated files
// (label maps, vocabularies) zipped after the flatbuffer. Damaged metadata
// never fails the model: it becomes a warning.

#include <cstdint>
#include <string>
#include <vector>

#include "core/graph/model.h"
#include "core/support/status.h"

namespace litestudio {

struct AssociatedFileInfo {
    std::string name;
    std::string description;
    std::string type;        // "TENSOR_AXIS_LABELS", ...
    std::string attachedTo;  // "model", "input 'image'", "output 'scores'"
    uint64_t bytes = 0;      // size of the packed file; 0 if not packed
    int lineCount = -1;      // for label and vocabulary files
    bool packed = false;     // present in the zip after the flatbuffer
};

struct ModelMetadataInfo {
    std::string name;
    std::string description;
    std::string version;
    std::string author;
    std::string license;
    std::string minParserVersion;
    std::string minRuntimeVersion;
    std::vector<AssociatedFileInfo> associatedFiles;
    std::vector<std::string> warnings;
};

ModelMetadataInfo readModelMetadata(const Model& model);

// The text of a file packed after the flatbuffer (a label map), by name.
Expected<std::string> readPackedFile(const Model& model, const std::string& name);

// The descriptive fields that are set, in display order, for every renderer:
// `key` for JSON, `label` for people.
struct MetadataField {
    const char* key;
    const char* label;
    const std::string* value;
};
std::vector<MetadataField> presentMetadataFields(const ModelMetadataInfo& info);

}  // namespace litestudio

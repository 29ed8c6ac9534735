#include "core/format/model_metadata.h"

#include <algorithm>
#include <cstddef>
#include <map>

#include "core/format/zip_archive.h"
#include "model_metadata_schema_generated.h"

namespace litestudio {

namespace {

constexpr uint64_t kMaxAssociatedFileBytes = 64ull << 20;

std::string text(const flatbuffers::String* value) { return value ? value->str() : std::string(); }

std::string trimNulls(std::span<const uint8_t> data) {
    std::string value(data.begin(), data.end());
    value.erase(std::find(value.begin(), value.end(), '\0'), value.end());
    return value;
}

void addFiles(const flatbuffers::Vector<flatbuffers::Offset<metadata::AssociatedFile>>* files,
              const std::string& attachedTo, std::vector<AssociatedFileInfo>& out) {
    if (!files) return;
    for (const metadata::AssociatedFile* file : *files) {
        AssociatedFileInfo info;
        info.name = text(file->name());
        info.description = text(file->description());
        const char* type = metadata::EnumNameAssociatedFileType(file->type());
        info.type = type && *type ? type : "UNKNOWN";
        info.attachedTo = attachedTo;
        out.push_back(std::move(info));
    }
}

void addTensorFiles(const flatbuffers::Vector<flatbuffers::Offset<metadata::TensorMetadata>>* tensors,
                    const char* role, std::vector<AssociatedFileInfo>& out) {
    if (!tensors) return;
    for (uint32_t i = 0; i < tensors->size(); ++i) {
        const metadata::TensorMetadata* tensor = tensors->Get(i);
        std::string name = text(tensor->name());
        addFiles(tensor->associated_files(),
                 std::string(role) + " " + (name.empty() ? std::to_string(i) : "'" + name + "'"), out);
    }
}

void readMetadataFlatbuffer(std::span<const uint8_t> data, ModelMetadataInfo& info) {
    // The buffer may sit anywhere in a hostile file; flatbuffers need it aligned.
    std::vector<uint8_t> aligned;
    if (reinterpret_cast<uintptr_t>(data.data()) % alignof(std::max_align_t) != 0) {
        aligned.assign(data.begin(), data.end());
        data = aligned;
    }
    flatbuffers::Verifier verifier(data.data(), data.size());
    if (!verifier.VerifyBuffer<metadata::ModelMetadata>(nullptr)) {
        info.warnings.push_back("TFLITE_METADATA is not a valid metadata flatbuffer; ignored");
        return;
    }
    const auto* root = flatbuffers::GetRoot<metadata::ModelMetadata>(data.data());
    info.name = text(root->name());
    info.description = text(root->description());
    info.version = text(root->version());
    info.author = text(root->author());
    info.license = text(root->license());
    info.minParserVersion = text(root->min_parser_version());
    addFiles(root->associated_files(), "model", info.associatedFiles);
    if (root->subgraph_metadata()) {
        for (const metadata::SubGraphMetadata* subgraph : *root->subgraph_metadata()) {
            addFiles(subgraph->associated_files(), "subgraph", info.associatedFiles);
            addTensorFiles(subgraph->input_tensor_metadata(), "input", info.associatedFiles);
            addTensorFiles(subgraph->output_tensor_metadata(), "output", info.associatedFiles);
        }
    }
}

// Associated files are zipped after the flatbuffer, so the whole file is
// also a zip archive whose offsets count from the file start.
void readPackedFiles(const Model& model, ModelMetadataInfo& info) {
    auto archive = ZipArchive::open(model.bytes());
    if (!archive) return;  // no files packed: the common case
    const auto& entries = (*archive)->entries();
    for (size_t i = 0; i < entries.size(); ++i) {
        auto known = std::find_if(info.associatedFiles.begin(), info.associatedFiles.end(),
                                  [&](const AssociatedFileInfo& file) { return file.name == entries[i].name; });
        if (known == info.associatedFiles.end()) {
            AssociatedFileInfo extra;
            extra.name = entries[i].name;
            extra.type = "UNKNOWN";
            extra.attachedTo = "model";
            info.associatedFiles.push_back(std::move(extra));
            known = info.associatedFiles.end() - 1;
        }
        known->packed = true;
        known->bytes = entries[i].size;
        bool isText = known->type == "TENSOR_AXIS_LABELS" || known->type == "TENSOR_VALUE_LABELS" ||
                      known->type == "VOCABULARY" || known->name.ends_with(".txt");
        if (!isText) continue;
        auto contents = (*archive)->read(i, kMaxAssociatedFileBytes);
        if (!contents) {
            info.warnings.push_back("associated file '" + known->name + "': " + contents.errorMessage());
            continue;
        }
        int lines = static_cast<int>(std::count(contents->begin(), contents->end(), '\n'));
        if (!contents->empty() && contents->back() != '\n') ++lines;
        known->lineCount = lines;
    }
}

}  // namespace

ModelMetadataInfo readModelMetadata(const Model& model) {
    ModelMetadataInfo info;
    if (const MetadataEntry* entry = model.findMetadata("min_runtime_version"))
        info.minRuntimeVersion = trimNulls(entry->data);
    if (const MetadataEntry* entry = model.findMetadata("TFLITE_METADATA")) readMetadataFlatbuffer(entry->data, info);
    readPackedFiles(model, info);
    return info;
}

Expected<std::string> readPackedFile(const Model& model, const std::string& name) {
    auto archive = ZipArchive::open(model.bytes());
    if (!archive) return Status::error(model.label() + ": no files are packed in the model");
    const auto& entries = (*archive)->entries();
    for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].name != name) continue;
        auto contents = (*archive)->read(i, kMaxAssociatedFileBytes);
        if (!contents) return contents.status().withContext(model.label());
        return std::string(contents->begin(), contents->end());
    }
    return Status::error(model.label() + ": no packed file named '" + name + "'");
}

std::vector<MetadataField> presentMetadataFields(const ModelMetadataInfo& info) {
    const MetadataField all[] = {
        {"name", "Name", &info.name},
        {"description", "Description", &info.description},
        {"version", "Version", &info.version},
        {"author", "Author", &info.author},
        {"license", "License", &info.license},
        {"min_runtime_version", "Min runtime version", &info.minRuntimeVersion},
        {"min_parser_version", "Min metadata parser version", &info.minParserVersion},
    };
    std::vector<MetadataField> present;
    for (const MetadataField& field : all)
        if (!field.value->empty()) present.push_back(field);
    return present;
}

}  // namespace litestudio

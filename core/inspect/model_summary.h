#pragma once
// Everything `inspect` reports about a file, computed once from the graph IR
// and rendered as text (CLI), JSON (CLI --json) or HTML (the GUI).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/format/model_file.h"
#include "core/format/model_metadata.h"
#include "core/format/npu_dispatch.h"
#include "core/graph/data_type.h"

namespace litestudio {

struct TensorSummary {
    std::string name;
    int index = 0;
    DataType type = DataType::Float32;
    std::vector<int32_t> shape;           // dynamic dimensions shown as -1
    std::string quantization;             // "" when not quantized
};

struct SignatureSummary {
    std::string key;
    int subgraph = 0;
    std::vector<TensorSummary> inputs;
    std::vector<TensorSummary> outputs;
};

struct SubgraphSummary {
    int index = 0;
    std::string name;
    size_t tensorCount = 0;
    size_t opCount = 0;
    std::vector<TensorSummary> inputs;
    std::vector<TensorSummary> outputs;
};

struct NamedCount {
    std::string name;
    int count = 0;
};

struct ParameterGroup {
    DataType type = DataType::Float32;
    int tensors = 0;
    uint64_t elements = 0;
    uint64_t bytes = 0;
};

struct ModelSummary {
    std::string label;
    uint64_t bytes = 0;
    uint32_t schemaVersion = 0;
    std::string description;
    std::vector<SignatureSummary> signatures;
    std::vector<SubgraphSummary> subgraphs;
    int opCount = 0;
    std::vector<NamedCount> opHistogram;       // most used first
    std::vector<ParameterGroup> parameters;    // by dtype, largest first
    uint64_t parameterCount = 0;
    uint64_t parameterBytes = 0;
    std::vector<NamedCount> quantization;      // scheme -> tensors using it
    std::vector<std::pair<std::string, uint64_t>> metadataEntries;  // name, bytes
    ModelMetadataInfo metadata;
    std::vector<NamedCount> customOps;
    std::vector<std::string> flexOps;          // TensorFlow ops a Flex delegate would run
    NpuTarget npuTarget;
    std::vector<DispatchOpInfo> dispatchOps;
};

struct SectionSummary {
    std::string name;
    std::string type;
    uint64_t offset = 0;
    uint64_t size = 0;
    std::vector<std::pair<std::string, std::string>> properties;
    std::optional<ModelSummary> model;
    std::string modelError;
};

struct FileSummary {
    std::string path;
    uint64_t fileSize = 0;
    FileKind kind = FileKind::TfliteModel;
    std::optional<ModelSummary> model;
    // Bundles only:
    std::string bundleVersion;
    std::vector<std::pair<std::string, std::string>> bundleProperties;
    std::vector<SectionSummary> sections;
};

ModelSummary summarizeModel(const Model& model);
FileSummary summarizeFile(const ModelFile& file);

std::string shapeToString(const std::vector<int32_t>& shape);
// "int8 per-channel", "int4 blockwise (block 32)"; empty when not quantized.
std::string quantizationScheme(const Tensor& tensor);

}  // namespace litestudio

#pragma once
// Writes TFLite flatbuffers. Used for the sample models in resources/, for
// tests that need a model with one specific property (or one specific
// defect: the builder checks nothing, on purpose), and later for the
// generated LLM bundles.

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/graph/data_type.h"

namespace flatbuffers { class FlatBufferBuilder; }

namespace litestudio {

// One traversed dimension of a sparse constant (TFLite's format): dense,
// of `denseSize`, or compressed (CSR) by segments and indices.
struct SparseDimension {
    bool dense = true;
    int32_t denseSize = 0;
    std::vector<int32_t> segments, indices;
};

struct TensorSpec {
    std::string name;
    DataType type = DataType::Float32;
    std::vector<int32_t> shape;
    std::vector<int32_t> shapeSignature;
    std::vector<uint8_t> data;       // constant contents; empty for activations
    std::vector<float> scales;       // quantization, if any
    std::vector<int64_t> zeroPoints;
    int quantizedDimension = 0;
    int blockSize = 0;               // > 0: blockwise quantization with scales in
    int blockScalesTensor = -1;      // this tensor (and zero points in that one)
    int blockZeroPointsTensor = -1;
    bool isVariable = false;
    int bufferOverride = -1;         // point at an existing buffer instead of `data`
    // Sparse constants: `data` holds the stored values in traversal order.
    std::vector<int32_t> traversalOrder, blockMap;
    std::vector<SparseDimension> sparseDimensions;
};

// Builds an op's options table: returns (union type, table offset).
using OptionsWriter = std::function<std::pair<uint8_t, uint32_t>(flatbuffers::FlatBufferBuilder&)>;

struct OpSpec {
    int32_t builtin = 0;
    std::string customName;          // for CUSTOM (32)
    std::vector<int> inputs;
    std::vector<int> outputs;
    OptionsWriter options;           // builtin_options; may be empty
    OptionsWriter options2;          // builtin_options_2 (StableHLO); may be empty
    std::vector<uint8_t> customOptions;
};

struct SignatureSpec {
    std::string key;
    int subgraph = 0;
    std::vector<std::pair<std::string, int>> inputs;   // name, tensor index
    std::vector<std::pair<std::string, int>> outputs;
};

struct SubgraphSpec {
    std::string name;
    std::vector<TensorSpec> tensors;
    std::vector<OpSpec> ops;
    std::vector<int> inputs;
    std::vector<int> outputs;
};

class ModelBuilder {
public:
    // Returns the new subgraph's index; it becomes the current one.
    int addSubgraph(std::string name = {});
    SubgraphSpec& subgraph(int index) { return subgraphs_.at(static_cast<size_t>(index)); }
    SubgraphSpec& current() { return subgraphs_.back(); }

    int addTensor(TensorSpec spec);
    int addConstant(std::string name, DataType type, std::vector<int32_t> shape, std::vector<uint8_t> data);
    int addFloatConstant(std::string name, std::vector<int32_t> shape, const std::vector<float>& values);
    void addOp(OpSpec spec);
    void setInputs(std::vector<int> inputs) { current().inputs = std::move(inputs); }
    void setOutputs(std::vector<int> outputs) { current().outputs = std::move(outputs); }
    void addSignature(SignatureSpec signature) { signatures_.push_back(std::move(signature)); }
    void addMetadata(std::string name, std::vector<uint8_t> data) { metadata_.emplace_back(std::move(name), std::move(data)); }
    void setDescription(std::string description) { description_ = std::move(description); }
    void setSchemaVersion(uint32_t version) { version_ = version; }
    // Store constant data after the flatbuffer, addressed by offset and size,
    // as LiteRT does for models over 2 GB.
    void setBuffersAfterFlatbuffer(bool outside) { buffersOutside_ = outside; }

    std::vector<uint8_t> finish() const;

private:
    // With buffers outside, `dataStart` is where the first one goes.
    std::vector<uint8_t> serialize(uint64_t dataStart, std::vector<const std::vector<uint8_t>*>& outside) const;

    std::vector<SubgraphSpec> subgraphs_;
    std::vector<SignatureSpec> signatures_;
    std::vector<std::pair<std::string, std::vector<uint8_t>>> metadata_;
    std::string description_ = "LiteStudio";
    uint32_t version_ = 3;
    bool buffersOutside_ = false;
};

// The bytes of `values` as they sit in memory (a constant tensor's data).
template <typename T>
std::vector<uint8_t> bytesOf(const std::vector<T>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

}  // namespace litestudio

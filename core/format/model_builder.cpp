#include "core/format/model_builder.h"

#include <cstring>
#include <map>

#include "tflite_schema_generated.h"

namespace litestudio {

int ModelBuilder::addSubgraph(std::string name) {
    subgraphs_.push_back({});
    subgraphs_.back().name = std::move(name);
    return static_cast<int>(subgraphs_.size()) - 1;
}

int ModelBuilder::addTensor(TensorSpec spec) {
    if (subgraphs_.empty()) addSubgraph();
    current().tensors.push_back(std::move(spec));
    return static_cast<int>(current().tensors.size()) - 1;
}

int ModelBuilder::addConstant(std::string name, DataType type, std::vector<int32_t> shape, std::vector<uint8_t> data) {
    TensorSpec spec;
    spec.name = std::move(name);
    spec.type = type;
    spec.shape = std::move(shape);
    spec.data = std::move(data);
    return addTensor(std::move(spec));
}

int ModelBuilder::addFloatConstant(std::string name, std::vector<int32_t> shape, const std::vector<float>& values) {
    return addConstant(std::move(name), DataType::Float32, std::move(shape), bytesOf(values));
}

void ModelBuilder::addOp(OpSpec spec) {
    if (subgraphs_.empty()) addSubgraph();
    current().ops.push_back(std::move(spec));
}

namespace {
constexpr uint64_t kOutsideAlignment = 64;
uint64_t alignUp(uint64_t value) { return (value + kOutsideAlignment - 1) / kOutsideAlignment * kOutsideAlignment; }
}  // namespace

std::vector<uint8_t> ModelBuilder::finish() const {
    std::vector<const std::vector<uint8_t>*> outside;
    std::vector<uint8_t> bytes = serialize(0, outside);
    if (!buffersOutside_) return bytes;
    // Offsets are fixed-width fields, so the second pass, with the real
    // offsets, produces a flatbuffer of the same size.
    outside.clear();
    bytes = serialize(alignUp(bytes.size()), outside);
    for (const std::vector<uint8_t>* data : outside) {
        bytes.resize(alignUp(bytes.size()), 0);
        bytes.insert(bytes.end(), data->begin(), data->end());
    }
    return bytes;
}

std::vector<uint8_t> ModelBuilder::serialize(uint64_t dataStart,
                                             std::vector<const std::vector<uint8_t>*>& outside) const {
    using namespace flatbuffers;
    FlatBufferBuilder fbb;
    // Buffer 0 is the empty sentinel that activations point at.
    std::vector<Offset<schema::Buffer>> buffers{schema::CreateBuffer(fbb)};
    uint64_t nextOffset = dataStart;
    auto addBuffer = [&](const std::vector<uint8_t>& data) {
        if (buffersOutside_) {
            // The first pass only needs non-default values of the same width.
            uint64_t offset = dataStart == 0 ? 2 : nextOffset;
            nextOffset = alignUp(nextOffset + data.size());
            outside.push_back(&data);
            buffers.push_back(schema::CreateBuffer(fbb, 0, offset, data.size() ? data.size() : 1));
        } else {
            fbb.ForceVectorAlignment(data.size(), 1, 16);
            auto vector = fbb.CreateVector(data);
            buffers.push_back(schema::CreateBuffer(fbb, vector));
        }
        return static_cast<uint32_t>(buffers.size() - 1);
    };

    // Operator codes are shared by all subgraphs: one per (builtin, custom name).
    std::map<std::pair<int32_t, std::string>, uint32_t> codeIndex;
    std::vector<Offset<schema::OperatorCode>> codes;
    auto codeFor = [&](const OpSpec& op) {
        auto key = std::make_pair(op.builtin, op.customName);
        auto found = codeIndex.find(key);
        if (found != codeIndex.end()) return found->second;
        auto custom = op.customName.empty() ? Offset<String>() : fbb.CreateString(op.customName);
        int8_t deprecated = static_cast<int8_t>(op.builtin < 127 ? op.builtin : 127);
        codes.push_back(schema::CreateOperatorCode(fbb, deprecated, custom, 1,
                                                   static_cast<schema::BuiltinOperator>(op.builtin)));
        uint32_t index = static_cast<uint32_t>(codes.size() - 1);
        codeIndex[key] = index;
        return index;
    };

    std::vector<Offset<schema::SubGraph>> subgraphs;
    for (const SubgraphSpec& subgraph : subgraphs_) {
        std::vector<Offset<schema::Tensor>> tensors;
        for (const TensorSpec& tensor : subgraph.tensors) {
            uint32_t buffer = tensor.bufferOverride >= 0 ? static_cast<uint32_t>(tensor.bufferOverride)
                              : tensor.data.empty()      ? 0
                                                         : addBuffer(tensor.data);
            // Nested objects are created in separate statements: argument
            // evaluation order differs between compilers, and the bytes must not.
            Offset<schema::QuantizationParameters> quantization;
            if (!tensor.scales.empty()) {
                auto scales = fbb.CreateVector(tensor.scales);
                auto zeroPoints = fbb.CreateVector(tensor.zeroPoints);
                quantization = schema::CreateQuantizationParameters(fbb, 0, 0, scales, zeroPoints,
                                                                    schema::QuantizationDetails_NONE, 0,
                                                                    tensor.quantizedDimension);
            } else if (tensor.blockSize > 0) {
                auto details = schema::CreateBlockwiseQuantization(fbb, tensor.blockScalesTensor,
                                                                   tensor.blockZeroPointsTensor, tensor.blockSize);
                quantization = schema::CreateQuantizationParameters(fbb, 0, 0, 0, 0,
                                                                    schema::QuantizationDetails_BlockwiseQuantization,
                                                                    details.Union(), 0);
            }
            Offset<schema::SparsityParameters> sparsity;
            if (!tensor.traversalOrder.empty()) {
                std::vector<Offset<schema::DimensionMetadata>> dimensions;
                for (const SparseDimension& dimension : tensor.sparseDimensions) {
                    if (dimension.dense) {
                        dimensions.push_back(schema::CreateDimensionMetadata(fbb, schema::DimensionType_DENSE, dimension.denseSize));
                        continue;
                    }
                    auto segmentValues = fbb.CreateVector(dimension.segments);
                    auto segments = schema::CreateInt32Vector(fbb, segmentValues);
                    auto indexValues = fbb.CreateVector(dimension.indices);
                    auto indices = schema::CreateInt32Vector(fbb, indexValues);
                    dimensions.push_back(schema::CreateDimensionMetadata(fbb, schema::DimensionType_SPARSE_CSR, 0,
                                                                         schema::SparseIndexVector_Int32Vector, segments.Union(),
                                                                         schema::SparseIndexVector_Int32Vector, indices.Union()));
                }
                auto traversal = fbb.CreateVector(tensor.traversalOrder);
                auto blockMap = tensor.blockMap.empty() ? Offset<Vector<int32_t>>() : fbb.CreateVector(tensor.blockMap);
                auto dimensionVector = fbb.CreateVector(dimensions);
                sparsity = schema::CreateSparsityParameters(fbb, traversal, blockMap, dimensionVector);
            }
            auto signature = tensor.shapeSignature.empty() ? Offset<Vector<int32_t>>()
                                                           : fbb.CreateVector(tensor.shapeSignature);
            auto shape = fbb.CreateVector(tensor.shape);
            auto name = fbb.CreateString(tensor.name);
            tensors.push_back(schema::CreateTensor(fbb, shape, static_cast<schema::TensorType>(tensor.type), buffer,
                                                   name, quantization, tensor.isVariable, sparsity, signature));
        }
        std::vector<Offset<schema::Operator>> ops;
        for (const OpSpec& op : subgraph.ops) {
            uint32_t code = codeFor(op);
            std::pair<uint8_t, uint32_t> options{0, 0}, options2{0, 0};
            if (op.options) options = op.options(fbb);
            if (op.options2) options2 = op.options2(fbb);
            auto custom = op.customOptions.empty() ? Offset<Vector<uint8_t>>() : fbb.CreateVector(op.customOptions);
            auto inputs = fbb.CreateVector(op.inputs);
            auto outputs = fbb.CreateVector(op.outputs);
            ops.push_back(schema::CreateOperator(
                fbb, code, inputs, outputs,
                static_cast<schema::BuiltinOptions>(options.first), Offset<void>(options.second), custom,
                schema::CustomOptionsFormat_FLEXBUFFERS, 0, 0, 0, 0,
                static_cast<schema::BuiltinOptions2>(options2.first), Offset<void>(options2.second)));
        }
        auto tensorVector = fbb.CreateVector(tensors);
        auto inputs = fbb.CreateVector(subgraph.inputs);
        auto outputs = fbb.CreateVector(subgraph.outputs);
        auto opVector = fbb.CreateVector(ops);
        auto name = fbb.CreateString(subgraph.name);
        subgraphs.push_back(schema::CreateSubGraph(fbb, tensorVector, inputs, outputs, opVector, name));
    }

    std::vector<Offset<schema::SignatureDef>> signatures;
    for (const SignatureSpec& signature : signatures_) {
        auto maps = [&](const std::vector<std::pair<std::string, int>>& entries) {
            std::vector<Offset<schema::TensorMap>> out;
            for (const auto& [name, tensor] : entries) {
                auto nameOffset = fbb.CreateString(name);
                out.push_back(schema::CreateTensorMap(fbb, nameOffset, static_cast<uint32_t>(tensor)));
            }
            return fbb.CreateVector(out);
        };
        auto inputs = maps(signature.inputs);
        auto outputs = maps(signature.outputs);
        auto key = fbb.CreateString(signature.key);
        signatures.push_back(
            schema::CreateSignatureDef(fbb, inputs, outputs, key, static_cast<uint32_t>(signature.subgraph)));
    }

    std::vector<Offset<schema::Metadata>> metadata;
    for (const auto& [name, data] : metadata_) {
        uint32_t buffer = addBuffer(data);
        auto nameOffset = fbb.CreateString(name);
        metadata.push_back(schema::CreateMetadata(fbb, nameOffset, buffer));
    }

    auto codeVector = fbb.CreateVector(codes);
    auto subgraphVector = fbb.CreateVector(subgraphs);
    auto description = fbb.CreateString(description_);
    auto bufferVector = fbb.CreateVector(buffers);
    auto metadataVector = fbb.CreateVector(metadata);
    auto signatureVector = fbb.CreateVector(signatures);
    auto model = schema::CreateModel(fbb, version_, codeVector, subgraphVector, description, bufferVector, 0,
                                     metadataVector, signatureVector);
    fbb.Finish(model, "TFL3");
    return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

}  // namespace litestudio

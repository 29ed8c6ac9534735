#include "core/format/tflite_reader.h"

#include <bit>
#include <cstddef>
#include <vector>
#include <cstring>

#include "core/format/model_validator.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

constexpr int32_t kPlaceholderForGreaterOpCodes = 127;
// Deep enough for any real model; bounds the work a hostile file can cause.
constexpr flatbuffers::uoffset_t kMaxVerifierDepth = 128;
constexpr flatbuffers::uoffset_t kMaxVerifierTables = 100'000'000;

static_assert(std::endian::native == std::endian::little, "the TFLite format is little-endian");

// The verifier only proves vectors 4-byte aligned, so 8-byte elements
// (zero points) may sit misaligned in a hostile file: copy bytes, never
// dereference.
template <typename T, typename V>
std::vector<T> toVector(const flatbuffers::Vector<V>* values) {
    std::vector<T> out;
    if (!values) return out;
    out.reserve(values->size());
    const uint8_t* raw = values->Data();
    for (uint32_t i = 0; i < values->size(); ++i) {
        V value;
        std::memcpy(&value, raw + i * sizeof(V), sizeof(V));
        out.push_back(static_cast<T>(value));
    }
    return out;
}

std::string toString(const flatbuffers::String* text) { return text ? text->str() : std::string(); }

class Reader {
public:
    Reader(std::string label, std::span<const uint8_t> bytes) : label_(std::move(label)), bytes_(bytes) {}

    // Messages are bare here; readTfliteModel() puts the file name in front.
    static Status error(const std::string& what) { return Status::error(what); }

    // Bytes of buffer `index`: inline data, or a range after the flatbuffer
    // (models over 2 GB store weights there, addressed from the file start).
    Expected<std::span<const uint8_t>> bufferBytes(const schema::Model& model, uint32_t index) const {
        const auto* buffers = model.buffers();
        if (!buffers || index >= buffers->size()) {
            if (index == 0) return std::span<const uint8_t>();  // the implicit empty sentinel
            return error("buffer " + std::to_string(index) + " does not exist (the model has " +
                         std::to_string(buffers ? buffers->size() : 0) + " buffers)");
        }
        const schema::Buffer* buffer = buffers->Get(index);
        if (buffer->offset() > 1) {
            uint64_t offset = buffer->offset(), size = buffer->size();
            if (offset > bytes_.size() || size > bytes_.size() - offset)
                return error("buffer " + std::to_string(index) + " points at bytes [" + std::to_string(offset) + ", " +
                             std::to_string(offset + size) + ") beyond the end of the file (" +
                             std::to_string(bytes_.size()) + " bytes); the file is truncated");
            return bytes_.subspan(offset, size);
        }
        if (buffer->data()) return std::span<const uint8_t>(buffer->data()->data(), buffer->data()->size());
        return std::span<const uint8_t>();
    }

    Status readQuantization(const schema::QuantizationParameters* params, Tensor& tensor) const {
        Quantization& q = tensor.quantization;
        if (!params) return Status::ok();
        if (params->details_type() != schema::QuantizationDetails_NONE && !params->details())
            return error("quantization details of type " + std::to_string(params->details_type()) + " are missing");
        if (const auto* details = params->details_as_BlockwiseQuantization()) {
            q.scheme = Quantization::Scheme::Blockwise;
            q.scalesTensor = details->scales();
            q.zeroPointsTensor = details->zero_points();
            q.blockSize = details->block_size();
            return Status::ok();
        }
        if (const auto* details = params->details_as_MultiAxisQuantization()) {
            q.scheme = Quantization::Scheme::MultiAxis;
            q.scalesTensor = details->scales();
            q.zeroPointsTensor = details->zero_points();
            q.blockSize = details->block_size();
            return Status::ok();
        }
        if (params->details_type() == schema::QuantizationDetails_CustomQuantization) {
            q.scheme = Quantization::Scheme::Custom;
            return Status::ok();
        }
        q.scales = toVector<float>(params->scale());
        q.zeroPoints = toVector<int64_t>(params->zero_point());
        q.axis = params->quantized_dimension();
        if (q.scales.empty()) return Status::ok();
        q.scheme = q.scales.size() > 1 ? Quantization::Scheme::PerChannel : Quantization::Scheme::PerTensor;
        return Status::ok();
    }

    Expected<OpCode> readOpCode(const schema::OperatorCode* code) const {
        OpCode out;
        // Files written before the enum outgrew a byte only set the
        // deprecated field; newer ones set both. The larger one is the truth.
        int32_t deprecated = code->deprecated_builtin_code();
        int32_t extended = static_cast<int32_t>(code->builtin_code());
        out.builtin = deprecated < kPlaceholderForGreaterOpCodes ? std::max(deprecated, extended) : extended;
        if (out.builtin < 0) return error("operator code has negative builtin code " + std::to_string(out.builtin));
        out.customName = toString(code->custom_code());
        out.version = code->version();
        return out;
    }

    // A union's type tag may name a table whose value the file leaves out:
    // every options pointer below can be null.
    static void collectCalledSubgraphs(const schema::Operator& raw, Op& op) {
        auto add = [&](int index) { op.calledSubgraphs.push_back(index); };
        if (const auto* options = raw.builtin_options_as_WhileOptions()) {
            add(options->cond_subgraph_index());
            add(options->body_subgraph_index());
        } else if (const auto* options = raw.builtin_options_as_IfOptions()) {
            add(options->then_subgraph_index());
            add(options->else_subgraph_index());
        } else if (const auto* options = raw.builtin_options_as_CallOnceOptions()) {
            add(options->init_subgraph_index());
        } else if (const auto* options = raw.builtin_options_as_CallOptions()) {
            add(options->subgraph() > 0x7fffffffu ? -1 : static_cast<int>(options->subgraph()));
        }
        if (const auto* options = raw.builtin_options_2_as_StableHLOCompositeOptions()) {
            add(options->decomposition_subgraph_index());
        } else if (const auto* options = raw.builtin_options_2_as_StablehloWhileOptions()) {
            add(options->cond_subgraph_index());
            add(options->body_subgraph_index());
        } else if (const auto* options = raw.builtin_options_2_as_StablehloReduceOptions()) {
            add(options->body_subgraph_index());
        } else if (const auto* options = raw.builtin_options_2_as_StablehloReduceWindowOptions()) {
            add(options->body_subgraph_index());
        } else if (const auto* options = raw.builtin_options_2_as_StablehloSortOptions()) {
            add(options->comparator_subgraph_index());
        } else if (const auto* options = raw.builtin_options_2_as_StablehloScatterOptions()) {
            add(options->update_computation_subgraph_index());
        } else if (const auto* options = raw.builtin_options_2_as_StablehloCaseOptions()) {
            for (int index : toVector<int>(options->branch_subgraph_indices())) add(index);
        }
    }

    Expected<std::span<const uint8_t>> customOptions(const schema::Operator& raw) const {
        if (raw.large_custom_options_offset() > 1) {
            uint64_t offset = raw.large_custom_options_offset(), size = raw.large_custom_options_size();
            if (offset > bytes_.size() || size > bytes_.size() - offset)
                return error("custom options at byte " + std::to_string(offset) + " (" + std::to_string(size) +
                             " bytes) lie beyond the end of the file");
            return bytes_.subspan(offset, size);
        }
        if (!raw.custom_options()) return std::span<const uint8_t>();
        return std::span<const uint8_t>(raw.custom_options()->data(), raw.custom_options()->size());
    }

    Status readSubgraph(const schema::Model& model, const schema::SubGraph& raw, Subgraph& out, int index) const {
        std::string where = "subgraph " + std::to_string(index);
        out.name = toString(raw.name());
        out.inputs = toVector<int>(raw.inputs());
        out.outputs = toVector<int>(raw.outputs());
        if (raw.tensors()) {
            out.tensors.reserve(raw.tensors()->size());
            for (uint32_t t = 0; t < raw.tensors()->size(); ++t) {
                const schema::Tensor* rawTensor = raw.tensors()->Get(t);
                Tensor tensor;
                tensor.name = toString(rawTensor->name());
                auto type = dataTypeFromFormat(rawTensor->type());
                if (!type)
                    return error(where + " tensor " + std::to_string(t) + " '" + tensor.name + "' has unknown type " +
                                 std::to_string(rawTensor->type()));
                tensor.type = *type;
                tensor.shape = toVector<int32_t>(rawTensor->shape());
                tensor.shapeSignature = toVector<int32_t>(rawTensor->shape_signature());
                tensor.buffer = rawTensor->buffer();
                tensor.isVariable = rawTensor->is_variable();
                tensor.isSparse = rawTensor->sparsity() != nullptr;
                auto data = bufferBytes(model, tensor.buffer);
                if (!data)
                    return data.status().withContext(where + " tensor " + std::to_string(t) + " '" + tensor.name + "'");
                tensor.data = *data;
                LS_RETURN_IF_ERROR(readQuantization(rawTensor->quantization(), tensor)
                                       .withContext(where + " tensor " + std::to_string(t) + " '" + tensor.name + "'"));
                out.tensors.push_back(std::move(tensor));
            }
        }
        if (raw.operators()) {
            out.ops.reserve(raw.operators()->size());
            for (const schema::Operator* rawOp : *raw.operators()) {
                Op op;
                op.code = static_cast<int>(rawOp->opcode_index());
                if (rawOp->opcode_index() >= (model.operator_codes() ? model.operator_codes()->size() : 0))
                    return error(where + " op " + std::to_string(out.ops.size()) + " uses operator code " +
                                 std::to_string(rawOp->opcode_index()) + ", but the model defines " +
                                 std::to_string(model.operator_codes() ? model.operator_codes()->size() : 0));
                op.inputs = toVector<int>(rawOp->inputs());
                op.outputs = toVector<int>(rawOp->outputs());
                op.intermediates = toVector<int>(rawOp->intermediates());
                auto custom = customOptions(*rawOp);
                if (!custom) return custom.status().withContext(where + " op " + std::to_string(out.ops.size()));
                op.customOptions = *custom;
                op.options = rawOp;
                collectCalledSubgraphs(*rawOp, op);
                out.ops.push_back(std::move(op));
            }
        }
        return Status::ok();
    }

    Expected<std::shared_ptr<Model>> read(std::shared_ptr<const void> storage) const {
        if (bytes_.size() < 8)
            return error("file is " + std::to_string(bytes_.size()) + " bytes, too small to be a TFLite model");
        // The verifier's limit is 2 GB; bigger models keep their weights
        // after the flatbuffer, which the buffer range checks cover.
        size_t verifySize = std::min<size_t>(bytes_.size(), FLATBUFFERS_MAX_BUFFER_SIZE - 1);
        flatbuffers::Verifier verifier(bytes_.data(), verifySize, kMaxVerifierDepth, kMaxVerifierTables);
        if (!verifier.VerifyBuffer<schema::Model>(nullptr)) {
            if (!hasTfliteIdentifier(bytes_))
                return error("not a TFLite model: no \"TFL3\" identifier at byte 4 and the contents are not a valid "
                             "TFLite flatbuffer");
            return error("corrupt TFLite flatbuffer: an offset, vector or string points outside the file "
                         "(truncated or damaged file)");
        }
        const schema::Model* raw = flatbuffers::GetRoot<schema::Model>(bytes_.data());
        auto model = std::make_shared<Model>(label_, std::move(storage), bytes_);
        model->root = raw;
        model->schemaVersion = raw->version();
        model->description = toString(raw->description());
        model->bufferCount = raw->buffers() ? raw->buffers()->size() : 0;
        if (raw->version() != 3) {
            // Without the identifier, a version mismatch means the bytes merely
            // happen to parse; it is some other flatbuffer.
            if (!hasTfliteIdentifier(bytes_))
                return error("not a TFLite model: no \"TFL3\" identifier, and read as a model it claims schema "
                             "version " + std::to_string(raw->version()));
            return error("unsupported TFLite schema version " + std::to_string(raw->version()) + " (expected 3)");
        }
        if (raw->operator_codes()) {
            for (const schema::OperatorCode* code : *raw->operator_codes()) {
                auto opCode = readOpCode(code);
                if (!opCode) return opCode.status();
                model->opCodes.push_back(std::move(*opCode));
            }
        }
        if (!raw->subgraphs() || raw->subgraphs()->size() == 0) return error("the model has no subgraphs");
        model->subgraphs.resize(raw->subgraphs()->size());
        for (uint32_t s = 0; s < raw->subgraphs()->size(); ++s)
            LS_RETURN_IF_ERROR(readSubgraph(*raw, *raw->subgraphs()->Get(s), model->subgraphs[s], static_cast<int>(s)));
        if (raw->signature_defs()) {
            for (const schema::SignatureDef* rawSignature : *raw->signature_defs()) {
                Signature signature;
                signature.key = toString(rawSignature->signature_key());
                signature.subgraph = static_cast<int>(rawSignature->subgraph_index());
                if (rawSignature->subgraph_index() > 0x7fffffffu) signature.subgraph = -1;
                auto readMap = [](const auto* maps, std::vector<SignatureTensor>& out) {
                    if (!maps) return;
                    for (const schema::TensorMap* map : *maps)
                        out.push_back({toString(map->name()), map->tensor_index() > 0x7fffffffu
                                                                  ? -1
                                                                  : static_cast<int>(map->tensor_index())});
                };
                readMap(rawSignature->inputs(), signature.inputs);
                readMap(rawSignature->outputs(), signature.outputs);
                model->signatures.push_back(std::move(signature));
            }
        }
        if (raw->metadata()) {
            for (const schema::Metadata* rawEntry : *raw->metadata()) {
                auto data = bufferBytes(*raw, rawEntry->buffer());
                if (!data) return data.status().withContext("metadata '" + toString(rawEntry->name()) + "'");
                model->metadata.push_back({toString(rawEntry->name()), *data});
            }
        }
        LS_RETURN_IF_ERROR(validateModel(*model));
        return model;
    }

private:
    std::string label_;
    std::span<const uint8_t> bytes_;
};

}  // namespace

bool hasTfliteIdentifier(std::span<const uint8_t> bytes) {
    return bytes.size() >= 8 && std::memcmp(bytes.data() + 4, "TFL3", 4) == 0;
}

Expected<std::shared_ptr<Model>> readTfliteModel(const std::string& label, std::shared_ptr<const void> storage,
                                                 std::span<const uint8_t> bytes) {
    // Flatbuffers read scalars in place, so the buffer must start aligned.
    // Files and bundle sections written by LiteRT always are; anything else
    // (a hostile bundle) is copied once.
    if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(std::max_align_t) != 0) {
        auto aligned = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
        bytes = std::span<const uint8_t>(*aligned);
        storage = aligned;
    }
    auto model = Reader(label, bytes).read(std::move(storage));
    if (!model) return model.status().withContext(label);
    return model;
}

}  // namespace litestudio

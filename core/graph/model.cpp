#include "core/graph/model.h"

#include <limits>

#include "core/format/builtin_op_names.h"
#include "tflite_schema_generated.h"

namespace litestudio {

std::string shapeText(const std::vector<int32_t>& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) text += ',';
        text += std::to_string(shape[i]);
    }
    return text + "]";
}

bool Tensor::hasDynamicShape() const {
    for (int32_t dim : shapeSignature)
        if (dim < 0) return true;
    return false;
}

int64_t Tensor::elementCount() const {
    int64_t count = 1;
    for (int32_t dim : shape) {
        if (dim < 0) return -1;
        if (dim != 0 && count > std::numeric_limits<int64_t>::max() / dim) return -1;
        count *= dim;
    }
    return count;
}

std::string OpCode::displayName() const {
    if (isCustom()) return customName.empty() ? std::string("CUSTOM") : customName;
    return builtinOpName(builtin);
}

std::string Model::runtimeOpName(const Op& op) const {
    if (op.fusedEpilogue == Op::Epilogue::Swish && opCode(op).builtin == schema::BuiltinOperator_LOGISTIC) return "LOGISTIC+MUL (fused)";
    if (op.fusedEpilogue != Op::Epilogue::None) {
        Op withoutEpilogue = op;
        withoutEpilogue.fusedEpilogue = Op::Epilogue::None;
        std::string chain = runtimeOpName(withoutEpilogue);
        const size_t fusedAt = chain.find(" (fused)");
        if (fusedAt != std::string::npos) chain.resize(fusedAt);
        chain.append(op.fusedEpilogue == Op::Epilogue::Prelu   ? "+PRELU"
                     : op.fusedEpilogue == Op::Epilogue::Swish ? "+LOGISTIC+MUL"
                                                               : "+HARD_SWISH");
        chain.append(" (fused)");
        return chain;
    }
    if (op.fusedRmsNorm) return "RMS_NORM (fused)";
    if (op.fusedAttention) return "ATTENTION (fused)";
    if (op.fusedRope) return "ROPE (fused)";
    if (op.fusedSeparableBlock) {
        const std::string chain = op.fusedResidual ? "DEPTHWISE_CONV_2D+CONV_2D+ADD (fused)" : "DEPTHWISE_CONV_2D+CONV_2D (fused)";
        return op.fusedExpansion || op.fusedStem ? "CONV_2D+" + chain : chain;
    }
    if (op.fusedExpansion)
        return op.expansionEpilogue == Op::Epilogue::Swish       ? "CONV_2D+LOGISTIC+MUL+DEPTHWISE_CONV_2D (fused)"
               : op.expansionEpilogue == Op::Epilogue::HardSwish ? "CONV_2D+HARD_SWISH+DEPTHWISE_CONV_2D (fused)"
                                                                 : "CONV_2D+DEPTHWISE_CONV_2D (fused)";
    if (op.fusedBroadcastConcat) return "CONCATENATION+CONV_2D (fused)";  // the RESIZE of the 1x1 map goes too
    if (op.fusedInputAffine) {
        // Scales alone: a squeeze-and-excitation's MUL (core/runtime/channel_scale_fusion.h).
        if (op.inputs.size() == 6 && op.inputs[5] < 0) return op.fusedResidual ? "MUL+CONV_2D+ADD (fused)" : "MUL+CONV_2D (fused)";
        return "MUL+ADD+CONV_2D (fused)";
    }
    if (op.fusedMoments) return "MEAN+SQUARED_DIFFERENCE+MEAN (fused)";
    if (op.fusedArgMax) return "RESIZE_BILINEAR+ARG_MAX (fused)";
    if (op.fusedResidual) return opCode(op).displayName() + "+ADD (fused)";
    return opCode(op).displayName();
}

const MetadataEntry* Model::findMetadata(std::string_view name) const {
    for (const MetadataEntry& entry : metadata)
        if (entry.name == name) return &entry;
    return nullptr;
}

}  // namespace litestudio

#pragma once
// The graph IR shared by the runtime and the GUI: tensors, ops, subgraphs and
// signatures of one loaded model. Constant data stays inside the file
// mapping; spans point into it and `storage()` keeps it alive.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/graph/data_type.h"

namespace litestudio {

namespace schema { struct Operator; struct Model; }

struct Quantization {
    enum class Scheme { None, PerTensor, PerChannel, Blockwise, MultiAxis, Custom };
    Scheme scheme = Scheme::None;
    std::vector<float> scales;
    std::vector<int64_t> zeroPoints;
    int axis = 0;                 // per-channel: the dimension the scales run along
    int scalesTensor = -1;        // blockwise / multi-axis: tensors holding scales
    int zeroPointsTensor = -1;
    int blockSize = 0;
};

struct Tensor {
    std::string name;
    DataType type = DataType::Float32;
    std::vector<int32_t> shape;
    std::vector<int32_t> shapeSignature;  // -1 marks a dynamic dimension; empty if none given
    uint32_t buffer = 0;
    std::span<const uint8_t> data;        // constant contents, empty for activations
    bool isVariable = false;
    bool isSparse = false;
    Quantization quantization;

    bool isConstant() const { return !data.empty(); }
    bool hasDynamicShape() const;
    // Element count of `shape`; -1 when it overflows int64.
    int64_t elementCount() const;
};

// "[1,224,224,3]", as error messages print shapes.
std::string shapeText(const std::vector<int32_t>& shape);

struct OpCode {
    int32_t builtin = 0;       // BuiltinOperator value; 32 is CUSTOM
    std::string customName;    // for custom ops
    int version = 1;
    bool isCustom() const { return builtin == 32; }
    // "CONV_2D", or the custom code for custom ops.
    std::string displayName() const;
};

struct Op {
    int code = 0;                       // index into Model::opCodes()
    std::vector<int> inputs;            // -1 marks an omitted optional input
    std::vector<int> outputs;
    std::vector<int> intermediates;
    std::vector<int> calledSubgraphs;   // WHILE/IF/CALL_ONCE/composite bodies
    std::span<const uint8_t> customOptions;
    const schema::Operator* options = nullptr;  // the op's table in the file, for its options
    bool folded = false;                // computed at compile time (runtime copies only)
    // Runtime copies only: work moved between neighbouring ops by the
    // runtime's fusion pass (core/runtime/op_fusion.h).
    bool fused = false;                 // a neighbour does this op's work
    int fusedActivation = -1;           // ActivationFunctionType to apply after this op, or -1
    std::array<int32_t, 4> fusedPadding{};  // zeros around input 0: top, bottom, left, right
    bool fusedAddend = false;           // input 2 is added to input 0 first (a folded ADD)
    // A BATCH_MATMUL that does a whole attention (core/runtime/attention_fusion.h):
    // inputs q, k, v, mask, scale (or -1), output the context.
    bool fusedAttention = false;
    // RMS normalisation over the last axis (core/runtime/rms_norm_fusion.h):
    // inputs x, epsilon (a scalar), scale (a vector, or -1), output the result.
    bool fusedRmsNorm = false;
    // Rotary position embedding, rotate-half form (core/runtime/rope_fusion.h):
    // inputs x, cos, sin (both broadcast to x), output the rotated x.
    bool fusedRope = false;
    // A stride-1 DEPTHWISE_CONV_2D with the 1x1 CONV_2D that reads its
    // output and, where fusedResidual, the ADD of that and input 5
    // (core/runtime/separable_block_fusion.h): inputs x, depthwise filter,
    // depthwise bias, 1x1 filter, 1x1 bias (a bias may be -1) [, the tensor
    // added], output the last op's. The depthwise keeps its own activation (or
    // fusedActivation); the other two are applied after the 1x1 and the ADD.
    bool fusedSeparableBlock = false;
    // The tensors a fused separable block no longer writes, -1 where it has
    // none: the depthwise's result and the 1x1's (before the ADD), and the
    // expansion's (fusedExpansion). 8-bit kernels requantize to theirs.
    int depthwiseResult = -1, pointwiseResult = -1, expansionResult = -1;
    // A DEPTHWISE_CONV_2D, or a fused separable block, that makes its input
    // as it goes from the 1x1 CONV_2D producing it
    // (core/runtime/expansion_fusion.h). Input 0 is the 1x1's input. On a
    // plain depthwise, inputs 3 and 4 are the 1x1's filter and bias (or
    // -1); on a separable block, inputs 6 and 7, input 5 then the tensor
    // added or -1. The 1x1's activation is expansionActivation, or the
    // swish or HARD_SWISH after it (expansionEpilogue, the ops that computed
    // it folded in; a plain depthwise only); the depthwise keeps its own
    // (or fusedActivation, fusedEpilogue) and fusedPadding, zeros around
    // the 1x1's result.
    bool fusedExpansion = false;
    int expansionActivation = -1;
    // A fused separable block (no expansion) that makes its input rows as it
    // goes from the stem CONV_2D producing them (core/runtime/stem_fusion.h):
    // input 0 is the stem's input (an image of 1-4 channels), inputs 6 and
    // 7 its filter and bias (or -1), input 5 the tensor added or -1.
    // stemOptions is the stem's table in the file (stride, padding),
    // stemPadding its folded PAD's zeros (top, bottom, left, right) and
    // stemActivation the activation after it.
    bool fusedStem = false;
    const schema::Operator* stemOptions = nullptr;
    std::array<int32_t, 4> stemPadding{};
    int stemActivation = -1;
    // On a fused separable block, the ADD of input 5; on a CONV_2D
    // (core/runtime/residual_add_fusion.h), the ADD of input 3 (inputs x,
    // filter, bias or -1, the tensor added), on a RESIZE_BILINEAR of input
    // 2 (x, size, the tensor added): after the op's own activation, then
    // residualActivation.
    bool fusedResidual = false;
    int pointwiseActivation = -1;  // ActivationFunctionType, -1 for none
    int residualActivation = -1;
    // An activation after the op that its kernel applies as it writes, the
    // ops that computed it folded in, last (after the residual ADD): a PRELU
    // (its slopes, one per output channel, are the op's last input;
    // core/runtime/prelu_fusion.h), x * sigmoid(x) written as LOGISTIC and
    // MUL, or HARD_SWISH (core/runtime/swish_fusion.h).
    enum class Epilogue : uint8_t { None, Prelu, Swish, HardSwish };
    Epilogue fusedEpilogue = Epilogue::None;
    Epilogue expansionEpilogue = Epilogue::None;  // Swish or HardSwish, on a fusedExpansion (above)
    // A 1x1 CONV_2D over a CONCATENATION (last axis) of a feature map and a
    // RESIZE of a 1x1 map, which is the same at every pixel
    // (core/runtime/broadcast_concat_fusion.h): inputs the feature map,
    // the filter over both parts, the bias (or -1), the 1x1 map [1, 1, 1, C].
    // The 1x1 map's part of every output is worked out once a run, as a
    // bias. broadcastChannelsFirst: its channels come first in the filter.
    bool fusedBroadcastConcat = false;
    bool broadcastChannelsFirst = false;
    // A RESIZE_BILINEAR whose result only an ARG_MAX over the last axis
    // reads (core/runtime/resize_arg_max_fusion.h): inputs x, size; output
    // the ARG_MAX's indices, int32 or int64, one per output pixel.
    bool fusedArgMax = false;
    // A 1x1 CONV_2D whose input is a per-channel affine of a feature map,
    // MUL by one constant per channel then ADD of another, clamped by the
    // ADD's activation: a batch norm before the convolution, as DenseNet's
    // and pre-activation ResNets' layers have (core/runtime/input_affine_fusion.h).
    // Inputs: the feature map before the MUL, the filter, the bias (or -1),
    // -1, the scales, the shifts; the kernel applies them as it reads.
    // Or, shifts -1, a squeeze-and-excitation's MUL by scales of each image
    // and channel made at run time ([N or 1, 1, 1, C]), input 3 then a
    // fused residual's tensor or -1 (core/runtime/channel_scale_fusion.h).
    bool fusedInputAffine = false;
    int inputAffineActivation = -1;  // ActivationFunctionType, -1 for none
    // A MEAN over height and width (kept) that also makes the MEAN, over
    // the same axes, of SQUARED_DIFFERENCE(x, that mean): an instance
    // norm's moments (core/runtime/spatial_moments_fusion.h). Inputs x and
    // the axes; outputs the mean and the variance, [N, 1, 1, C] each.
    bool fusedMoments = false;
    // The op's index in the file when a runtime pass moved it to another
    // place in the order (core/runtime/resize_convolution_swap.h), else -1:
    // the op profile reports ops by their index in the file.
    int sourceIndex = -1;
};

struct Subgraph {
    std::string name;
    std::vector<Tensor> tensors;
    std::vector<Op> ops;          // in execution order
    std::vector<int> inputs;
    std::vector<int> outputs;
};

struct SignatureTensor {
    std::string name;
    int tensor = 0;               // index into the signature's subgraph
};

struct Signature {
    std::string key;
    int subgraph = 0;
    std::vector<SignatureTensor> inputs;
    std::vector<SignatureTensor> outputs;
};

struct MetadataEntry {
    std::string name;
    std::span<const uint8_t> data;
};

class Model {
public:
    // Bytes of the whole file (or bundle section) and who keeps them alive.
    Model(std::string label, std::shared_ptr<const void> storage, std::span<const uint8_t> bytes)
        : label_(std::move(label)), storage_(std::move(storage)), bytes_(bytes) {}

    const std::string& label() const { return label_; }
    std::span<const uint8_t> bytes() const { return bytes_; }

    uint32_t schemaVersion = 0;
    std::string description;
    std::vector<OpCode> opCodes;
    std::vector<Subgraph> subgraphs;
    std::vector<Signature> signatures;
    std::vector<MetadataEntry> metadata;
    size_t bufferCount = 0;
    const schema::Model* root = nullptr;

    const OpCode& opCode(const Op& op) const { return opCodes[static_cast<size_t>(op.code)]; }
    // What the op does as the runtime runs it: the builtin's name, or the
    // chain's ("RMS_NORM (fused)") for an op a fusion pass rewrote.
    std::string runtimeOpName(const Op& op) const;
    const MetadataEntry* findMetadata(std::string_view name) const;

private:
    std::string label_;
    std::shared_ptr<const void> storage_;
    std::span<const uint8_t> bytes_;
};

}  // namespace litestudio

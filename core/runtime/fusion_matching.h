#pragma once
// What the runtime's chain fusions (attention, RMS norm) ask of a graph
// before folding ops together: who produces and who reads each tensor, and
// whether an op is the plain builtin a pattern expects.

#include <cstdint>
#include <array>
#include <vector>

#include <initializer_list>

#include "core/graph/model.h"
#include "core/runtime/accelerator.h"

namespace litestudio {

struct TensorUse {
    std::vector<int> producer;  // op index, -1 for inputs and constants
    std::vector<int> reader;    // the only reading op, -1 for none, -2 for several (or a subgraph output)
};

TensorUse tensorUse(const Subgraph& subgraph);

// A float32 tensor of static shape.
bool isStaticFloat(const Subgraph& subgraph, int tensor);

// A float32 feature map the convolution fusions take: of static shape, or
// 4-D with only its batch open (-1 first in the signature, as Keras
// exports write it; MediaPipe's Objectron models have no fusion without
// this). The run's batch reaches each fused kernel through its shapes at
// prepare, where a kernel checks them again.
bool isFeatureMap(const Subgraph& subgraph, int tensor);

// A feature map as above, or the same of 8-bit values with one scale: the
// inverted residual fusions (separable_block_fusion.h, expansion_fusion.h),
// whose kernels check the types they take; the other fusions stay float.
bool isFloatOrQuantizedFeatureMap(const Subgraph& subgraph, int tensor);

// Feature maps `a` and `b` of one shape at any batch: equal declared
// shapes, the batch open in both or in neither (an open batch beside a
// fixed 1 broadcasts at a larger batch, which no fused kernel does).
bool sameFeatureMapShape(const Subgraph& subgraph, int a, int b);

// The declared shape of `tensor`.
const std::vector<int32_t>& shapeOf(const Subgraph& subgraph, int tensor);

// The activation applied after `op`: a folded RELU's, else `own` (the op's
// options').
int activationAfter(const Op& op, int own);

// `op` is `builtin` with `inputs` inputs and one output, not yet folded or
// fused, and with no activation of its own applied.
bool isPlainOp(const Model& model, const Op& op, int32_t builtin, size_t inputs);

// `op` is `builtin` with one output, and no earlier pass folded, fused or
// rewrote it (separable block, folded ADD, residual ADD, broadcast concat).
bool isUntouched(const Model& model, const Op& op, int32_t builtin);

// The single op reading `tensor` if it is a plain `builtin`, else -1.
int onlyPlainReader(const Model& model, const Subgraph& subgraph, const TensorUse& use, int tensor, int32_t builtin,
                    size_t inputs);

// The op making `tensor` if it is a plain `builtin` and `reader` is the
// only op reading `tensor`, else -1.
int plainProducerFor(const Model& model, const Subgraph& subgraph, const TensorUse& use, int tensor, int32_t builtin, size_t inputs,
                     int reader);

// A CONV_2D with its input and filter that no pass rewrote, but for a
// fused residual ADD (input 3): no folded padding, activation or block.
bool isUnfusedConvolution(const Model& model, const Op& conv);

// How many ops read each tensor (an op reading it twice counts twice), a
// subgraph output counting as one more.
std::vector<int> readerCounts(const Subgraph& subgraph);

// How tensor `e` is a swish of another, `p`, read by nothing else:
// MUL(p, LOGISTIC(p)) (either order; Op::Epilogue::Swish, `ops` the
// LOGISTIC and the MUL) or HARD_SWISH(p) (HardSwish, `ops` it and -1),
// each plain and of p's static float shape. None, `ops` both -1, when e is
// made otherwise. `readerCount` is readerCounts(subgraph).
Op::Epilogue swishMaking(const Model& model, const Subgraph& subgraph, const TensorUse& use, const std::vector<int>& readerCount, int e,
                         int& p, std::array<int, 2>& ops);

// An ADD/MUL/SUB/DIV whose options ask for no fused activation.
bool hasNoActivation(const Op& op);

// A constant int32 or int64 tensor's values, or nothing when `tensor` is
// not one (or its data is short).
std::vector<int64_t> constantIntegers(const Subgraph& subgraph, int tensor);

// A constant float32 tensor of `count` elements, its data all there.
bool isConstantFloat(const Subgraph& subgraph, int tensor, int64_t count);

// A convolution or a separable block that a fused activation may follow
// (Op::fusedEpilogue): one output, none after it yet. Whether its kernel
// applies it is the accelerator's to say.
bool takesFusedEpilogue(const Model& model, const Op& op);

// Where `tensor` is the output of a PAD (or a PADV2 of zeros) that only
// appends zeros to the last axis of a 4-D float32 tensor and that one op
// reads: the PAD's input, and `pad` its index. Else -1. (BlazeFace's
// shortcuts widen their input so; a residual ADD can add the narrower
// tensor and take zeros past its channels.)
int channelPaddingInput(const Model& model, const Subgraph& subgraph, const TensorUse& use, int tensor, int& pad);

// Marks `ops` (-1 skipped) as done by a neighbour: fused, no operands.
// Returns how many were marked.
int absorbOps(Subgraph& subgraph, std::initializer_list<int> ops);

// Puts `fusedOp` in the place of op `o`, run by `kernel` on `chosen`, and
// marks `absorbed` (-1 skipped) as done by it. Returns how many it marked.
int placeFusedOp(Subgraph& subgraph, size_t o, Op fusedOp, const KernelDef* kernel, const Accelerator* chosen,
                 std::vector<const KernelDef*>& kernels, std::vector<const Accelerator*>& assignment, std::initializer_list<int> absorbed);

// The first of `candidates` (null ones skipped) with a kernel for the
// rewritten `fusedOp`; sets `chosen` to it. Null when none has one.
const KernelDef* fusedKernelOf(const Model& model, const Subgraph& subgraph, const Op& fusedOp,
                               std::initializer_list<const Accelerator*> candidates, const Accelerator*& chosen);

}  // namespace litestudio

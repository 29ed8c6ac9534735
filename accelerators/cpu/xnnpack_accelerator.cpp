#include "accelerators/cpu/xnnpack_accelerator.h"

#include "accelerators/cpu/byte_table_lookup.h"
#include "accelerators/cpu/float_batch_matmul.h"
#include "accelerators/cpu/float_depthwise_convolution.h"
#include "accelerators/cpu/float_dilated_depthwise_convolution.h"
#include "accelerators/cpu/float_expanded_depthwise.h"
#include "accelerators/cpu/float_exp_activations.h"
#include "accelerators/cpu/float_local_response_normalization.h"
#include "accelerators/cpu/float_max_pooling_with_argmax.h"
#include "accelerators/cpu/float_patch_convolution.h"
#include "accelerators/cpu/float_pointwise_convolution.h"
#include "accelerators/cpu/float_winograd_convolution.h"
#include "accelerators/cpu/float_resize_bilinear.h"
#include "accelerators/cpu/float_rms_norm.h"
#include "accelerators/cpu/float_rope.h"
#include "accelerators/cpu/float_mirror_pad.h"
#include "accelerators/cpu/float_spatial_moments.h"
#include "accelerators/cpu/float_separable_block.h"
#include "accelerators/cpu/float_stem_convolution.h"
#include "accelerators/cpu/narrow_output_convolution.h"
#include "accelerators/cpu/sparse_inverted_residual.h"
#include "accelerators/cpu/sparse_pointwise_convolution.h"
#include "accelerators/cpu/int4_blockwise_fully_connected.h"
#include "accelerators/cpu/int8_weight_fully_connected.h"
#include "accelerators/cpu/joins_and_splits_on_threads.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include "accelerators/cpu/quantized_arg_max.h"
#include "accelerators/cpu/quantized_average_pooling.h"
#include "accelerators/cpu/quantized_depthwise_convolution.h"
#include "accelerators/cpu/quantized_elementwise.h"
#include "accelerators/cpu/quantized_inverted_residual.h"
#include "accelerators/cpu/quantized_resize_bilinear.h"
#include "accelerators/cpu/quantized_stem_convolution.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/vnni_pointwise_convolution.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "accelerators/cpu/xnnpack_transpose_convolution.h"
#include "core/support/huge_page_pool.h"
#include "tflite_schema_generated.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>

namespace litestudio::cpu {

namespace {

// What the cpu kernels of one compiled model share.
struct CompileState {
    pthreadpool_t pool = nullptr;
    std::unique_ptr<ThreadSession> session;
    std::mutex packedMutex;
    std::map<std::vector<uintptr_t>, std::shared_ptr<void>> packed;
    ~CompileState() {
        if (pool) pthreadpool_destroy(pool);
    }
};

bool constantFloatWeights(const Tensor& weights) {
    return weights.isConstant() && !weights.isSparse &&
           (weights.type == DataType::Float32 || weights.type == DataType::Float16);
}

// XNNPACK's packed weights come from the huge-page pool too
// (core/support/huge_page_pool.h); its other memory from the heap.
void* xnnpackAllocate(void*, size_t size) { return std::malloc(size); }
void* xnnpackReallocate(void*, void* pointer, size_t size) { return std::realloc(pointer, size); }
void xnnpackDeallocate(void*, void* pointer) { std::free(pointer); }
void* xnnpackAlignedAllocate(void*, size_t alignment, size_t size) {
    if (size >= kHugePagePoolLeastBytes && alignment <= 64) return allocateFromHugePagePool(size);
    return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}
void xnnpackAlignedDeallocate(void*, void* pointer) {
    if (pointer && isFromHugePagePool(pointer)) return releaseToHugePagePool(pointer);
    std::free(pointer);
}
const xnn_allocator kXnnpackAllocator{nullptr, xnnpackAllocate, xnnpackReallocate, xnnpackDeallocate, xnnpackAlignedAllocate,
                                      xnnpackAlignedDeallocate};

}  // namespace

XnnpackAccelerator::XnnpackAccelerator() { available_ = xnn_initialize(&kXnnpackAllocator) == xnn_status_success; }

std::shared_ptr<void> XnnpackAccelerator::createCompileState(int threads) const {
    auto state = std::make_shared<CompileState>();
    if (threads > 1) state->pool = pthreadpool_create(static_cast<size_t>(threads));
    state->session = std::make_unique<ThreadSession>(state->pool);
    return state;
}

Status XnnpackAccelerator::runSession(void* compileState, const std::function<Status()>& steps) const {
    auto* state = static_cast<CompileState*>(compileState);
    return state ? state->session->run(steps) : steps();
}

bool xnnpackRequantizes(const Tensor& input, const Tensor& filter, const Tensor& output) {
    if (input.quantization.scales.empty() || filter.quantization.scales.empty() || output.quantization.scales.empty()) return false;
    const float inputScale = input.quantization.scales[0], outputScale = output.quantization.scales[0];
    auto usable = [](float scale) { return scale > 0.0f && std::isnormal(scale); };
    if (!usable(inputScale) || !usable(outputScale)) return false;
    for (float filterScale : filter.quantization.scales) {
        const float requantization = inputScale * filterScale / outputScale;
        if (!usable(filterScale) || !(requantization >= 0x1.0p-32f && requantization < 256.0f)) return false;
    }
    return true;
}

void* threadPoolOf(const KernelContext& context) {
    auto* state = static_cast<CompileState*>(context.acceleratorState);
    return state ? state->pool : nullptr;
}

float* alignedScratch(const KernelContext& context) {
    const auto address = reinterpret_cast<uintptr_t>(context.scratch);
    return reinterpret_cast<float*>(context.scratch + (64 - address % 64) % 64);
}

constexpr size_t kSharesPerThread = 4;

void parallelizeTiles(const KernelContext& context, void (*task)(void*, size_t, size_t), void* argument, size_t count, size_t leastTile,
                      size_t granule) {
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
    // Up to kSharesPerThread equal shares a thread, a whole number a thread
    // where there are enough: pthreadpool gives each thread its own run of
    // them, and one that finishes first (or a worker slow to wake for a
    // run's first op) takes the other's last ones.
    size_t shares = std::min(threads * kSharesPerThread, count / std::max<size_t>(leastTile, 1));
    if (shares >= threads) shares -= shares % threads;
    if (shares < 2) return task(argument, 0, count);
    granule = std::max<size_t>(granule, 1);
    const size_t share = ((count + shares - 1) / shares + granule - 1) / granule * granule;
    parallelize1dTile1d(pool, task, argument, count, share);
}

std::shared_ptr<void> sharedPackedWeights(const KernelContext& context, const std::vector<uintptr_t>& identity,
                                          const std::function<std::shared_ptr<void>()>& make) {
    auto* state = static_cast<CompileState*>(context.acceleratorState);
    if (!state) return make();
    std::lock_guard<std::mutex> lock(state->packedMutex);
    std::shared_ptr<void>& packed = state->packed[identity];
    if (!packed) packed = make();
    return packed;
}

const KernelDef* XnnpackAccelerator::kernelFor(const Model& model, const Subgraph& subgraph, const Op& op) const {
    if (!available_) return nullptr;
    const OpCode& code = model.opCode(op);
    if (const KernelDef* transpose = transposeConvolutionKernel(model, subgraph, op)) return transpose;
    if (const KernelDef* pooling = floatMaxPoolingWithArgmaxKernel(model, subgraph, op)) return pooling;
    if (code.isCustom() || op.inputs.empty() || op.inputs[0] < 0) return nullptr;
    if (const KernelDef* elementwise = floatElementwiseKernel(model, subgraph, op)) return elementwise;
    if (const KernelDef* resize = floatResizeBilinearKernel(model, subgraph, op)) return resize;
    if (const KernelDef* mirror = floatMirrorPadKernel(model, subgraph, op)) return mirror;
    if (const KernelDef* layout = floatLayoutKernel(model, subgraph, op)) return layout;
    if (const KernelDef* movement = joinAndSplitOnThreadsKernel(model, subgraph, op)) return movement;
    if (const KernelDef* stem = quantizedStemConvolutionKernel(model, subgraph, op)) return stem;
    if (const KernelDef* pointwise = vnniPointwiseConvolutionKernel(model, subgraph, op)) return pointwise;
    if (const KernelDef* depthwise = quantizedDepthwiseConvolutionKernel(model, subgraph, op)) return depthwise;
    if (const KernelDef* depthwise = floatDepthwiseConvolutionKernel(model, subgraph, op)) return depthwise;
    if (const KernelDef* dilated = floatDilatedDepthwiseConvolutionKernel(model, subgraph, op)) return dilated;
    if (const KernelDef* stem = floatStemConvolutionKernel(model, subgraph, op)) return stem;
    if (const KernelDef* sparse = sparsePointwiseConvolutionKernel(model, subgraph, op)) return sparse;
    if (const KernelDef* narrow = narrowOutputConvolutionKernel(model, subgraph, op)) return narrow;
    if (const KernelDef* pointwise = floatPointwiseConvolutionKernel(model, subgraph, op)) return pointwise;
    if (const KernelDef* winograd = floatWinogradConvolutionKernel(model, subgraph, op)) return winograd;
    if (const KernelDef* patches = floatPatchConvolutionKernel(model, subgraph, op)) return patches;
    // Before the fixed-point elementwise kernel: against a constant, a table is faster (MoveNet's 192x192x3 SUB 0.032 -> 0.017 ms).
    if (const KernelDef* table = byteTableLookupKernel(model, subgraph, op)) return table;
    if (const KernelDef* quantized = quantizedElementwiseKernel(model, subgraph, op)) return quantized;
    if (const KernelDef* resize = quantizedResizeBilinearKernel(model, subgraph, op)) return resize;
    if (const KernelDef* arg = quantizedArgMaxKernel(model, subgraph, op)) return arg;
    if (const KernelDef* pool = quantizedAveragePoolingKernel(model, subgraph, op)) return pool;
    if (const KernelDef* projection = floatConstantBatchMatmulKernel(model, subgraph, op)) return projection;
    if (const KernelDef* attention = floatBatchMatmulKernel(model, subgraph, op)) return attention;
    if (const KernelDef* gelu = floatGeluKernel(model, subgraph, op)) return gelu;
    if (const KernelDef* tanh = floatTanhKernel(model, subgraph, op)) return tanh;
    if (const KernelDef* normalization = floatLocalResponseNormalizationKernel(model, subgraph, op)) return normalization;
    if (const KernelDef* projection = int8WeightFullyConnectedKernel(model, subgraph, op)) return projection;
    if (const KernelDef* projection = int4BlockwiseFullyConnectedKernel(model, subgraph, op)) return projection;
    if (op.inputs.size() < 2 || op.inputs[1] < 0) return nullptr;
    auto tensor = [&](size_t input) -> const Tensor& { return subgraph.tensors[static_cast<size_t>(op.inputs[input])]; };
    const Tensor& input = tensor(0);
    const Tensor& weights = tensor(1);
    bool hasBias = op.inputs.size() > 2 && op.inputs[2] >= 0;
    const Tensor* bias = hasBias ? &tensor(2) : nullptr;
    switch (code.builtin) {
    case schema::BuiltinOperator_CONV_2D:
    case schema::BuiltinOperator_DEPTHWISE_CONV_2D:
        if (input.type == DataType::Float32 && constantFloatWeights(weights) &&
            (!bias || (bias->isConstant() && (bias->type == DataType::Float32 || bias->type == DataType::Float16))))
            return &floatConvolutionKernel();
        if ((input.type == DataType::UInt8 || input.type == DataType::Int8) && weights.type == input.type &&
            weights.isConstant() && (!bias || (bias->isConstant() && bias->type == DataType::Int32)) &&
            op.outputs.size() == 1 && op.outputs[0] >= 0 &&
            xnnpackRequantizes(input, weights, subgraph.tensors[static_cast<size_t>(op.outputs[0])]) &&
            (input.type == DataType::Int8 || weights.quantization.scheme == Quantization::Scheme::PerTensor))
            return &quantizedConvolutionKernel();
        return nullptr;
    case schema::BuiltinOperator_FULLY_CONNECTED:
        if (input.type == DataType::Float32 && constantFloatWeights(weights) && weights.shape.size() == 2 &&
            (!bias || (bias->isConstant() && (bias->type == DataType::Float32 || bias->type == DataType::Float16))))
            return &floatFullyConnectedKernel();
        return nullptr;
    default: return nullptr;
    }
}

const KernelDef* XnnpackAccelerator::fusedKernelFor(const Model& model, const Subgraph& subgraph, const Op& op) const {
    if (!available_) return nullptr;
    if (op.fusedArgMax) return quantizedResizeBilinearKernel(model, subgraph, op);
    if (op.fusedMoments) return floatSpatialMomentsKernel(model, subgraph, op);
    // Only the dense kernels apply a fused activation (Op::fusedEpilogue).
    if (op.fusedEpilogue == Op::Epilogue::Swish && model.opCode(op).builtin == schema::BuiltinOperator_LOGISTIC) return floatSwishKernel(model, subgraph, op);
    if (op.fusedEpilogue != Op::Epilogue::None) {
        if (op.fusedSeparableBlock) return floatSeparableBlockKernel(model, subgraph, op);
        if (model.opCode(op).builtin == schema::BuiltinOperator_CONV_2D) {
            if (const KernelDef* pointwise = floatPointwiseConvolutionKernel(model, subgraph, op)) return pointwise;
            if (const KernelDef* winograd = floatWinogradConvolutionKernel(model, subgraph, op)) return winograd;
            if (const KernelDef* stem = floatStemConvolutionKernel(model, subgraph, op)) return stem;
            return floatPatchConvolutionKernel(model, subgraph, op);
        }
        if (op.fusedExpansion) return floatExpandedDepthwiseKernel(model, subgraph, op);
        if (model.opCode(op).builtin == schema::BuiltinOperator_DEPTHWISE_CONV_2D) return floatDepthwiseConvolutionKernel(model, subgraph, op);
        return nullptr;
    }
    if (const KernelDef* norm = floatRmsNormKernel(model, subgraph, op)) return norm;
    if (op.fusedStem) return sparseInvertedResidualKernel(model, subgraph, op);  // the only kernel that makes a stem's rows
    if (const KernelDef* block = quantizedInvertedResidualKernel(model, subgraph, op)) return block;
    if (const KernelDef* block = sparseInvertedResidualKernel(model, subgraph, op)) return block;
    if (const KernelDef* block = floatSeparableBlockKernel(model, subgraph, op)) return block;
    if (const KernelDef* expanded = floatExpandedDepthwiseKernel(model, subgraph, op)) return expanded;
    if (op.fusedBroadcastConcat || op.fusedInputAffine) return floatPointwiseConvolutionKernel(model, subgraph, op);
    if (op.fusedResidual && model.opCode(op).builtin == schema::BuiltinOperator_RESIZE_BILINEAR) return floatResizeBilinearKernel(model, subgraph, op);
    if (op.fusedResidual && model.opCode(op).builtin == schema::BuiltinOperator_CONV_2D) {
        if (const KernelDef* sparse = sparsePointwiseConvolutionKernel(model, subgraph, op)) return sparse;
        return floatPointwiseConvolutionKernel(model, subgraph, op);
    }
    return floatRopeKernel(model, subgraph, op);
}

std::shared_ptr<const Environment> createStandardEnvironment() {
    auto environment = std::make_shared<Environment>();
    auto xnnpack = std::make_shared<XnnpackAccelerator>();
    if (xnnpack->available()) environment->add(xnnpack);
    environment->add(std::make_shared<ReferenceAccelerator>());
    return environment;
}

std::vector<std::string> acceleratorChain(const std::string& choice) {
    if (choice == "cpu") return {"cpu", "reference"};
    return {choice};
}

}  // namespace litestudio::cpu

#pragma once
// What a compiled subgraph holds between runs: its tensors, the steps and
// kernels its ops run as, the activation arena and the run-time buffers.
// Shared by compiled_model.cpp (compiling and planning) and
// compiled_model_run.cpp (running); not part of the runtime's API.
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/runtime/aligned_buffer.h"
#include "core/runtime/compiled_model.h"

namespace litestudio {

struct CompiledModel::SubgraphRuntime {
    std::vector<RuntimeTensor> tensors;
    std::vector<std::vector<int32_t>> declaredShapes;  // -1 where the model leaves a dimension open
    std::vector<KernelContext> steps;
    std::vector<const KernelDef*> kernels;
    std::vector<const Accelerator*> assignment;  // per op
    // Per op: its output shares input 0's memory (onlyRelabels), so it does not run.
    std::vector<bool> relabels;
    std::unique_ptr<uint8_t, AlignedFree> arena;
    std::vector<std::unique_ptr<uint8_t, AlignedFree>> persistent;  // variables
    size_t persistentBytes = 0;
    size_t arenaBytes = 0;
    size_t lowerBoundBytes = 0;
    bool prepared = false;
    // Steps from here on are prepared during each run, once their inputs
    // hold values; their outputs live in `runTimeTensors`.
    size_t runTimeShapesFrom = SIZE_MAX;
    std::map<int, GrowingBuffer> runTimeTensors;
    std::map<size_t, GrowingBuffer> runTimeScratch;
    std::map<int, std::vector<uint8_t>> strings;  // non-constant string tensors, by index
    std::map<int, std::pair<uint8_t*, size_t>> bound;  // caller-owned memory and its size, by tensor (bindBuffers)
};

// A step the kernel cannot take because an operand is a string tensor, as an error naming it.
Status rejectStringOperands(const KernelContext& step, const KernelDef& kernel);

// Whether a step's op was folded at compile time (into a constant or into
// the op after it), so it has nothing to run.
bool isFoldedAway(const KernelDef* kernel);

// Whether a shape still has a dimension the model left open (-1).
bool hasOpenDimension(const std::vector<int32_t>& shape);

}  // namespace litestudio

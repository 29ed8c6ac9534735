#pragma once
// A model prepared to run: every op of the entry subgraphs has a kernel,
// every activation an offset in one arena planned from tensor lifetimes.
// `run()` allocates nothing, except for models whose shapes depend on
// values computed during the run (WHERE, TILE by computed multiples): ops
// from the first such shape on are prepared in the run, their outputs kept
// in buffers that grow and are reused.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/graph/model.h"
#include "core/kernels/kernel.h"
#include "core/runtime/accelerator.h"
#include "core/support/status.h"

namespace litestudio {

// Receives the time of every op a run executes (the benchmark's op profile
// and the graph view's latency colouring read it). Called on the running thread.
class OpProfiler {
public:
    virtual ~OpProfiler() = default;
    virtual void opFinished(int subgraph, int op, int64_t nanoseconds) = 0;
};

struct CompileOptions {
    // Accelerator names in priority order; each op goes to the first that runs it.
    std::vector<std::string> accelerators{"reference"};
    int threads = 1;
    // A WHILE whose condition stays true this long is stopped with an error
    // (a hostile model must not hang the app; cancel() stops sooner ones).
    int64_t loopLimit = 1'000'000'000;
    // An output whose shape is only known at run time and would take more
    // bytes than this is refused with an error before any work (besides the
    // physical-memory check every tensor gets). The fuzz harness keeps it
    // to its arena limit, so that a resize to a billion values is an error,
    // not minutes of legitimate work.
    size_t runTimeTensorLimit = SIZE_MAX;
};

// What a caller runs: a signature, or subgraph 0 of a model without any.
struct EntryPoint {
    std::string key;
    int subgraph = 0;
    std::vector<SignatureTensor> inputs;   // in the signature's order
    std::vector<SignatureTensor> outputs;
};

class CompiledModel : private SubgraphRunner {
public:
    static Expected<std::unique_ptr<CompiledModel>> create(std::shared_ptr<const Environment> environment,
                                                           std::shared_ptr<const Model> model,
                                                           const CompileOptions& options = {});
    // With the default environment (every accelerator built in).
    static Expected<std::unique_ptr<CompiledModel>> create(std::shared_ptr<const Model> model,
                                                           const CompileOptions& options = {});
    ~CompiledModel();

    const Model& model() const { return *model_; }
    const std::vector<EntryPoint>& entryPoints() const { return entries_; }
    // -1 when no entry has this key; "" names the first entry.
    int findEntry(const std::string& key) const;
    // The entry's tensors in its subgraph's own input/output order (the
    // golden-case order), named by the signature where it names them.
    EntryPoint inSubgraphOrder(int entry) const;

    // A tensor of a subgraph this model compiled (isCompiled).
    RuntimeTensor& tensor(int subgraph, int index);
    // Whether `subgraph` was compiled: the entry points' and those they
    // call; others are never run and have no tensors here.
    bool isCompiled(int subgraph) const;
    // Which accelerator runs an op ("" for subgraphs that are never run).
    std::string_view acceleratorOf(int subgraph, int op) const;
    // Copies `bytes` into an input tensor; the size must match its shape.
    Status setInput(int subgraph, int tensorIndex, std::span<const uint8_t> bytes);
    Status resizeInput(int subgraph, int tensorIndex, const std::vector<int32_t>& shape);
    // Gives tensors memory the caller owns, kept across runs and shared
    // between subgraphs: an LLM's KV cache is bound as both the input and
    // the output of its update, in the prefill and the decode signature,
    // so it is written in place and never copied. The memory must outlive
    // the model and hold exactly the tensor's bytes; the subgraph is
    // prepared again (once, for all the bindings given).
    struct Binding {
        int tensor = 0;
        void* data = nullptr;
        size_t bytes = 0;
    };
    Status bindBuffers(int subgraph, const std::vector<Binding>& bindings);
    Status run(int entry);
    // Asks a run in progress (on another thread) to stop after its current
    // op; that run returns a "cancelled" error. The next run starts afresh.
    void cancel() { cancelled_ = true; }
    // Times every op of later runs until set back to nullptr. Without one,
    // runs read no clock.
    void setProfiler(OpProfiler* profiler) { profiler_ = profiler; }

    size_t arenaBytes() const;
    size_t arenaLowerBoundBytes() const;

private:
    struct SubgraphRuntime;
    struct Variable {
        DataType type = DataType::Float32;
        std::vector<int32_t> shape;
        std::vector<uint8_t> bytes;
    };
    CompiledModel() = default;
    Status prepareSubgraph(int subgraph);
    Status runSubgraph(int subgraph);
    Status runStep(int subgraph, size_t stepIndex);
    Status prepareAtRunTime(int subgraph, size_t step);

    // SubgraphRunner, for control flow and resource variables.
    Status invoke(int subgraph, const std::vector<RuntimeTensor*>& inputs,
                  const std::vector<RuntimeTensor*>& outputs) override;
    std::vector<std::vector<int32_t>> outputShapes(int subgraph) const override;
    Status invokeOnce(int subgraph) override;
    int32_t variableId(const std::string& container, const std::string& sharedName) override;
    Status assignVariable(int32_t id, const RuntimeTensor& value) override;
    Status readVariable(int32_t id, RuntimeTensor& destination) const override;
    int64_t loopLimit() const override { return options_.loopLimit; }
    Status checkHeldMemory(double pendingBytes, const std::string& what) const override;
    // Arenas, variables and the ops' held memory (KernelContext::heldBytes)
    // of every subgraph, `arenaBytes` standing for subgraph `replacing`'s
    // arena when it is about to be planned again (-1 for none).
    double heldMemoryBytes(int replacing = -1, size_t arenaBytes = 0) const;

    std::shared_ptr<const Environment> environment_;
    std::map<const Accelerator*, std::shared_ptr<void>> acceleratorStates_;
    std::shared_ptr<const Model> model_;      // our own copy of the IR, after constant folding
    std::vector<std::vector<uint8_t>> foldedData_;  // tensors computed at compile time
    CompileOptions options_;
    std::vector<EntryPoint> entries_;
    std::vector<std::unique_ptr<SubgraphRuntime>> subgraphs_;
    std::atomic<bool> cancelled_{false};
    OpProfiler* profiler_ = nullptr;
    std::set<int> ranOnce_;
    std::map<std::string, int32_t> variableIds_;
    std::map<int32_t, Variable> variables_;  // kept across runs: the model's state
};

}  // namespace litestudio

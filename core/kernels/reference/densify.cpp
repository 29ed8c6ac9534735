// DENSIFY: expands a constant sparse tensor (TACO-style: per traversed
// dimension either dense or CSR segments/indices, optionally blocked) into
// its dense form.

#include <algorithm>
#include <string>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

const schema::SparsityParameters* sparsityOf(const KernelContext& context) {
    const schema::Model* root = context.model->root;
    int tensor = context.op->inputs.empty() ? -1 : context.op->inputs[0];
    if (!root || tensor < 0) return nullptr;
    return root->subgraphs()->Get(static_cast<uint32_t>(context.subgraph))->tensors()->Get(static_cast<uint32_t>(tensor))->sparsity();
}

std::vector<int64_t> indexVector(const schema::DimensionMetadata* metadata, bool segments) {
    std::vector<int64_t> out;
    auto type = segments ? metadata->array_segments_type() : metadata->array_indices_type();
    const void* vector = segments ? metadata->array_segments() : metadata->array_indices();
    if (!vector) return out;
    auto copy = [&](const auto* values) {
        if (values && values->values())
            for (auto value : *values->values()) out.push_back(static_cast<int64_t>(value));
    };
    if (type == schema::SparseIndexVector_Int32Vector) copy(static_cast<const schema::Int32Vector*>(vector));
    if (type == schema::SparseIndexVector_Uint16Vector) copy(static_cast<const schema::Uint16Vector*>(vector));
    if (type == schema::SparseIndexVector_Uint8Vector) copy(static_cast<const schema::Uint8Vector*>(vector));
    return out;
}

struct Densifier {
    const KernelContext& context;
    ValueReader read;
    ValueWriter write;
    std::vector<int> traversal, blockMap;
    std::vector<bool> dense;
    std::vector<int64_t> denseSize;
    std::vector<int64_t> levelSize;       // coordinates a traversed dimension has
    std::vector<int64_t> levelStride;     // output elements one coordinate of it moves
    std::vector<std::vector<int64_t>> segments, indices;
    std::vector<int64_t> blockSize;       // per original dimension, 1 when not blocked
    std::vector<int64_t> outputStrides;
    // Whole-byte elements are copied as they are (the output has the
    // input's type): a model's sparse weights are densified each time it is
    // compiled, millions of them for pose detection.
    size_t elementBytes = 0;
    int64_t source = 0;
    int64_t sourceCount;
    int64_t outputCount;
    Status status;

    Densifier(const KernelContext& c, const RuntimeTensor& input, RuntimeTensor& output)
        : context(c), read(input), write(output), sourceCount(input.bytes * 8 / std::max(1, dataTypeBits(input.type))),
          outputCount(output.elementCount()) {}

    // `offset`: the output element the coordinates of the levels above reach
    // (each coordinate checked against its dimension, so the sum stays inside).
    void visit(size_t level, int64_t previous, int64_t offset) {
        if (!status) return;
        if (level == traversal.size()) {
            if (source >= sourceCount || offset < 0 || offset >= outputCount) {
                status = context.error("sparse data does not fit the dense shape");
                return;
            }
            if (elementBytes) {
                std::memcpy(write.tensor->data + offset * int64_t(elementBytes), read.tensor->data + source * int64_t(elementBytes), elementBytes);
                ++source;
            } else {
                write(offset, read(source++));
            }
            return;
        }
        if (dense[level]) {
            // More coordinates than the dimension has would land in another row.
            if (denseSize[level] > levelSize[level]) {
                status = context.error("dense size " + std::to_string(denseSize[level]) + " is larger than its dimension of " +
                                       std::to_string(levelSize[level]));
                return;
            }
            for (int64_t i = 0; i < denseSize[level]; ++i) visit(level + 1, previous * denseSize[level] + i, offset + i * levelStride[level]);
            return;
        }
        const auto& segment = segments[level];
        if (previous < 0 || previous + 1 >= static_cast<int64_t>(segment.size())) {
            status = context.error("sparse segments are inconsistent");
            return;
        }
        for (int64_t i = segment[static_cast<size_t>(previous)]; i < segment[static_cast<size_t>(previous) + 1]; ++i) {
            if (i < 0 || i >= static_cast<int64_t>(indices[level].size())) {
                status = context.error("sparse indices are inconsistent");
                return;
            }
            const int64_t coordinate = indices[level][static_cast<size_t>(i)];
            // An index past its dimension would land in another row.
            if (coordinate < 0 || coordinate >= levelSize[level]) {
                status = context.error("sparse index " + std::to_string(coordinate) + " is outside its dimension of " +
                                       std::to_string(levelSize[level]));
                return;
            }
            visit(level + 1, i, offset + coordinate * levelStride[level]);
        }
    }
};

Status prepareDensify(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 1, 1, 1));
    if (!context.input(0).isConstant || !sparsityOf(context))
        return context.error("input '" + context.input(0).name + "' is not a constant sparse tensor");
    context.output(0).shape = context.input(0).shape;
    return Status::ok();
}

Status evalDensify(KernelContext& context) {
    const schema::SparsityParameters* sparsity = sparsityOf(context);
    const RuntimeTensor& input = context.input(0);
    RuntimeTensor& output = context.output(0);
    Densifier densifier(context, input, output);
    size_t rank = output.shape.size();
    if (!sparsity->traversal_order() || !sparsity->dim_metadata() ||
        sparsity->traversal_order()->size() != sparsity->dim_metadata()->size())
        return context.error("sparsity parameters are incomplete");
    for (int dim : *sparsity->traversal_order()) densifier.traversal.push_back(dim);
    if (sparsity->block_map())
        for (int dim : *sparsity->block_map()) densifier.blockMap.push_back(dim);
    if (densifier.traversal.size() != rank + densifier.blockMap.size())
        return context.error("traversal order does not cover every dimension");
    densifier.blockSize.assign(rank, 1);
    for (size_t level = 0; level < densifier.traversal.size(); ++level) {
        const schema::DimensionMetadata* metadata = sparsity->dim_metadata()->Get(static_cast<uint32_t>(level));
        int dim = densifier.traversal[level];
        if (dim < 0 || static_cast<size_t>(dim) >= densifier.traversal.size()) return context.error("bad traversal order");
        densifier.dense.push_back(metadata->format() == schema::DimensionType_DENSE);
        densifier.denseSize.push_back(metadata->dense_size());
        densifier.segments.push_back(indexVector(metadata, true));
        densifier.indices.push_back(indexVector(metadata, false));
        if (static_cast<size_t>(dim) >= rank) {
            size_t block = static_cast<size_t>(dim) - rank;
            int mapped = densifier.blockMap[block];
            if (mapped < 0 || static_cast<size_t>(mapped) >= rank) return context.error("bad block map");
            densifier.blockSize[static_cast<size_t>(mapped)] = metadata->dense_size();
        }
    }
    densifier.outputStrides = stridesOf(output.shape);
    for (size_t level = 0; level < densifier.traversal.size(); ++level) {
        const auto dim = static_cast<size_t>(densifier.traversal[level]);
        if (dim < rank) {  // a block's index along dim
            densifier.levelSize.push_back(output.shape[dim] / std::max<int64_t>(densifier.blockSize[dim], 1));
            densifier.levelStride.push_back(densifier.blockSize[dim] * densifier.outputStrides[dim]);
        } else {  // an index inside a block, along the dimension it maps to
            const auto mapped = static_cast<size_t>(densifier.blockMap[dim - rank]);
            densifier.levelSize.push_back(densifier.blockSize[mapped]);
            densifier.levelStride.push_back(densifier.outputStrides[mapped]);
        }
    }
    const int bits = dataTypeBits(input.type);
    if (input.type == output.type && bits >= 8 && bits % 8 == 0) densifier.elementBytes = static_cast<size_t>(bits / 8);
    std::memset(output.data, 0, output.bytes);
    densifier.visit(0, 0, 0);
    return densifier.status;
}

}  // namespace

void addDensifyKernel(KernelTable& table) { table[schema::BuiltinOperator_DENSIFY] = {prepareDensify, evalDensify}; }

}  // namespace litestudio::reference

// DYNAMIC_UPDATE_SLICE, and a KV-cache-style update that the runtime does
// in place in memory bound to both the operand and the output.

#include <gtest/gtest.h>

#include "core/support/status.h"
#include "core/runtime/aligned_buffer.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

using namespace litestudio;
using namespace litestudio::testing;

namespace {

struct CacheModel {
    ModelBuilder builder;
    int cache, update, start, out;
    CacheModel() {
        builder.addSubgraph("update");
        cache = builder.addTensor({"kv_cache_k_0", DataType::Float32, {1, 4, 3}});
        update = builder.addTensor({"k_new", DataType::Float32, {1, 2, 3}});
        start = builder.addTensor({"start", DataType::Int32, {3}});
        out = builder.addTensor({"kv_cache_k_0_out", DataType::Float32, {1, 4, 3}});
        builder.addOp({schema::BuiltinOperator_DYNAMIC_UPDATE_SLICE, {}, {cache, update, start}, {out}, {}, {}, {}});
        builder.setInputs({cache, update, start});
        builder.setOutputs({out});
    }
};

}  // namespace

TEST(DynamicUpdateSlice, WritesTheUpdateAtTheClampedStart) {
    CacheModel m;
    auto model = compileBuilt(m.builder);
    ASSERT_TRUE(model) << model.errorMessage();
    ASSERT_TRUE(setValues<float>(**model, m.cache, std::vector<float>(12, 0.0f)));
    ASSERT_TRUE(setValues<float>(**model, m.update, {1, 2, 3, 4, 5, 6}));
    ASSERT_TRUE(setValues<int32_t>(**model, m.start, {0, 1, 0}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(tensorValues<float>(**model, m.out), (std::vector<float>{0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0}));
    // Row 3 would overflow: the start is clamped to row 2, as TFLite does.
    ASSERT_TRUE(setValues<int32_t>(**model, m.start, {0, 3, 0}));
    ASSERT_TRUE((*model)->run(0));
    EXPECT_EQ(tensorValues<float>(**model, m.out), (std::vector<float>{0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6}));
}

TEST(DynamicUpdateSlice, BoundCacheIsUpdatedInPlaceAcrossRuns) {
    CacheModel m;
    auto model = compileBuilt(m.builder);
    ASSERT_TRUE(model) << model.errorMessage();
    auto cache = allocateAligned(12 * sizeof(float));
    std::memset(cache.get(), 0, 12 * sizeof(float));
    Status bound = (*model)->bindBuffers(0, {{m.cache, cache.get(), 48}, {m.out, cache.get(), 48}});
    ASSERT_TRUE(bound) << bound.message();
    // Two "tokens", written at positions 0 and 3; the cache keeps both.
    ASSERT_TRUE(setValues<float>(**model, m.update, {1, 1, 1, 2, 2, 2}));
    ASSERT_TRUE(setValues<int32_t>(**model, m.start, {0, 0, 0}));
    ASSERT_TRUE((*model)->run(0));
    ASSERT_TRUE(setValues<float>(**model, m.update, {7, 7, 7, 7, 7, 7}));
    ASSERT_TRUE(setValues<int32_t>(**model, m.start, {0, 2, 0}));
    ASSERT_TRUE((*model)->run(0));
    const float* values = reinterpret_cast<const float*>(cache.get());
    EXPECT_EQ(std::vector<float>(values, values + 12), (std::vector<float>{1, 1, 1, 2, 2, 2, 7, 7, 7, 7, 7, 7}));
    EXPECT_EQ((*model)->tensor(0, m.out).data, cache.get());

    Status wrongSize = (*model)->bindBuffers(0, {{m.cache, cache.get(), 40}});
    EXPECT_EQ(wrongSize.message(), "bind: tensor 'kv_cache_k_0' [1,4,3] needs 48 bytes, got 40");
}

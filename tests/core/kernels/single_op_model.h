#pragma once
// Builds a one-subgraph model around the ops a kernel test names, runs it,
// and reads tensors back: the test then states inputs and expected outputs
// plainly, as TFLite's kernel tests do.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/format/model_builder.h"
#include "core/format/tflite_reader.h"
#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/runtime/compiled_model.h"

namespace litestudio::testing {

// A tensor with one scale and zero point (per-tensor quantization).
inline TensorSpec quantized(std::string name, DataType type, std::vector<int32_t> shape, float scale, int64_t zeroPoint) {
    TensorSpec spec{std::move(name), type, std::move(shape)};
    spec.scales = {scale};
    spec.zeroPoints = {zeroPoint};
    return spec;
}

using litestudio::bytesOf;

inline Expected<std::unique_ptr<CompiledModel>> compileBuilt(const ModelBuilder& builder,
                                                             std::vector<std::string> accelerators = {"reference"},
                                                             int threads = 1) {
    auto bytes = std::make_shared<std::vector<uint8_t>>(builder.finish());
    auto model = readTfliteModel("test.tflite", bytes, *bytes);
    if (!model) return model.status();
    CompileOptions options;
    options.accelerators = std::move(accelerators);
    options.threads = threads;
    static const std::shared_ptr<const Environment> environment = cpu::createStandardEnvironment();
    return CompiledModel::create(environment, *model, options);
}

// `count` bytes drawn uniformly (8-bit inputs and weights).
inline std::vector<uint8_t> randomBytes(size_t count, std::mt19937& random) {
    std::vector<uint8_t> bytes(count);
    for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
    return bytes;
}

// `count` floats drawn uniformly from [-scale, scale).
inline std::vector<float> randomFloats(std::mt19937& random, size_t count, float scale = 1.0f) {
    std::uniform_real_distribution<float> values(-scale, scale);
    std::vector<float> v(count);
    for (float& x : v) x = values(random);
    return v;
}

template <typename T>
std::vector<T> tensorValues(CompiledModel& model, int tensor) {
    const RuntimeTensor& t = model.tensor(0, tensor);
    return std::vector<T>(t.as<T>(), t.as<T>() + t.elementCount());
}

template <typename T>
::testing::AssertionResult setValues(CompiledModel& model, int tensor, const std::vector<T>& values) {
    std::vector<uint8_t> bytes = bytesOf(values);
    Status status = model.setInput(0, tensor, bytes);
    if (!status) return ::testing::AssertionFailure() << status.message();
    return ::testing::AssertionSuccess();
}

// Runs both models on the same values of float input `input` and returns
// the largest difference of output `output` between them: absolute, or
// relative to the second model's value (plus 1e-6). -1 when a run fails or
// the outputs differ in size.
inline double largestDifference(CompiledModel& first, CompiledModel& second, int input, const std::vector<float>& values,
                                int output, bool relative) {
    for (CompiledModel* model : {&first, &second})
        if (!setValues<float>(*model, input, values) || !model->run(0)) return -1;
    std::vector<float> a = tensorValues<float>(first, output), b = tensorValues<float>(second, output);
    if (a.size() != b.size()) return -1;
    double largest = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        double difference = std::abs(static_cast<double>(a[i]) - b[i]);
        largest = std::max(largest, relative ? difference / (1e-6 + std::abs(static_cast<double>(b[i]))) : difference);
    }
    return largest;
}

// `builder` compiled for the reference alone into result.reference and
// for cpu (then the reference) into result.cpu; false, with result.error
// saying why, when either fails.
template <typename Comparison>
bool compileBoth(const ModelBuilder& builder, int threads, Comparison& result) {
    auto reference = compileBuilt(builder, {"reference"});
    auto cpu = compileBuilt(builder, {"cpu", "reference"}, threads);
    if (!reference || !cpu) {
        result.error = !reference ? reference.errorMessage() : cpu.errorMessage();
        return false;
    }
    result.cpu = std::move(*cpu);
    result.reference = std::move(*reference);
    return true;
}

// A model compiled for the cpu accelerator and for the reference alone, run
// on the same input: the largest absolute difference of `output` and the
// largest magnitude among the reference's values (at least 1), which the
// cpu kernel tests allow 1e-5 of. `error` says what failed, if anything.
struct CpuComparison {
    std::unique_ptr<CompiledModel> cpu, reference;
    double worst = -1, largest = 1;
    std::string error;
};

// The name op `op` of the cpu model's first subgraph runs under: a fused
// op's chain, such as "MUL+CONV_2D (fused)", or the op's own.
inline std::string cpuOpName(const CpuComparison& result, int op) {
    const Model& compiled = result.cpu->model();
    return compiled.runtimeOpName(compiled.subgraphs[0].ops[static_cast<size_t>(op)]);
}

// One more run of both models of `result` on `values`: result.worst and
// result.largest take its difference and the reference's largest magnitude
// where they are larger. False when a run fails or the outputs differ in size.
inline bool addRun(CpuComparison& result, int input, const std::vector<float>& values, int output) {
    const double difference = largestDifference(*result.cpu, *result.reference, input, values, output, false);
    if (difference < 0) return false;
    result.worst = std::max(result.worst, difference);
    for (float v : tensorValues<float>(*result.reference, output)) result.largest = std::max(result.largest, double(std::fabs(v)));
    return true;
}

inline CpuComparison compareCpuWithReference(const ModelBuilder& builder, int input, const std::vector<float>& values, int output,
                                             int threads = 1) {
    CpuComparison result;
    if (!compileBoth(builder, threads, result)) return result;
    result.worst = largestDifference(*result.cpu, *result.reference, input, values, output, false);
    if (result.worst < 0) result.error = "a run failed or the outputs differ in size";
    for (float v : tensorValues<float>(*result.reference, output)) result.largest = std::max(result.largest, double(std::fabs(v)));
    return result;
}

// The same for kernels that must match bit for bit: `bytes` into `input`
// of both, then how many elements of `output` differ (-1 when a run fails
// or the outputs differ in size).
struct CpuByteComparison {
    std::unique_ptr<CompiledModel> cpu, reference;
    int differing = -1;
    size_t elements = 0;
    std::string error;
};

inline CpuByteComparison compareCpuBytesWithReference(const ModelBuilder& builder, int input, const std::vector<uint8_t>& bytes,
                                                      int output, int threads = 1) {
    CpuByteComparison result;
    if (!compileBoth(builder, threads, result)) return result;
    for (CompiledModel* model : {result.cpu.get(), result.reference.get()}) {
        Status status = model->setInput(0, input, bytes);
        if (status) status = model->run(0);
        if (!status) {
            result.error = status.message();
            return result;
        }
    }
    const RuntimeTensor& got = result.cpu->tensor(0, output);
    const RuntimeTensor& want = result.reference->tensor(0, output);
    const size_t width = static_cast<size_t>(std::max(1, dataTypeBits(got.type) / 8));
    if (got.bytes != want.bytes) {
        result.error = "the outputs differ in size";
        return result;
    }
    result.elements = got.bytes / width;
    result.differing = 0;
    for (size_t i = 0; i < got.bytes; i += width) result.differing += std::memcmp(got.data + i, want.data + i, width) != 0;
    return result;
}

}  // namespace litestudio::testing

// An instance norm's moments, MEAN(x) over height and width, then the MEAN
// of SQUARED_DIFFERENCE(x, mean), made by one op on the cpu accelerator
// (core/runtime/spatial_moments_fusion.h), inside a whole instance norm
// (x - mean) * RSQRT(variance + 1e-3). Against the reference, which runs
// the ops as written, within 1e-5 of the largest output: style transfer's
// 64x64x32 on one, two and three threads, a batch of two, 40 channels (a
// partial vector) and 200 (two groups of registers), the difference's
// operands the other way round, axes written [2, 1] and [-3, -2], values
// far from zero (a mean of 3), two runs on different inputs; the variance
// itself is compared too. Left as written: a difference something else
// reads too, a MEAN that drops its dimensions, and one over the rows only.

#include <random>

#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

struct MomentsCase {
    const char* what;
    int batch, height, width, channels, threads;
    bool fuses;
    std::vector<int32_t> axes = {1, 2};
    bool meanFirst = false;         // SQUARED_DIFFERENCE(mean, x)
    bool differenceReadTwice = false;
    bool keepDims = true;
};

struct MomentsModel {
    ModelBuilder builder;
    int input = -1, variance = -1, output = -1;
    int firstMean = 0;
};

std::pair<uint8_t, uint32_t> reducer(flatbuffers::FlatBufferBuilder& fbb, bool keep) {
    return {schema::BuiltinOptions_ReducerOptions, schema::CreateReducerOptions(fbb, keep).o};
}

MomentsModel momentsModel(const MomentsCase& c) {
    MomentsModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    const std::vector<int32_t> shape = {c.batch, c.height, c.width, c.channels};
    const std::vector<int32_t> reduced = {c.batch, 1, 1, c.channels};
    m.input = b.addTensor({"x", DataType::Float32, shape});
    const int axes = b.addConstant("axes", DataType::Int32, {static_cast<int32_t>(c.axes.size())}, testing::bytesOf<int32_t>(c.axes));
    const int mean = b.addTensor({"mean", DataType::Float32, reduced});
    b.addOp({schema::BuiltinOperator_MEAN, {}, {m.input, axes}, {mean}, [](flatbuffers::FlatBufferBuilder& fbb) { return reducer(fbb, true); }});
    const int squared = b.addTensor({"squared", DataType::Float32, shape});
    b.addOp({schema::BuiltinOperator_SQUARED_DIFFERENCE, {}, c.meanFirst ? std::vector<int>{mean, m.input} : std::vector<int>{m.input, mean},
             {squared}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SquaredDifferenceOptions, schema::CreateSquaredDifferenceOptions(fbb).o};
             }});
    m.variance = b.addTensor({"variance", DataType::Float32, c.keepDims ? reduced : std::vector<int32_t>{c.batch, c.channels}});
    b.addOp({schema::BuiltinOperator_MEAN, {}, {squared, axes}, {m.variance}, [c](flatbuffers::FlatBufferBuilder& fbb) { return reducer(fbb, c.keepDims); }});
    const int epsilon = b.addFloatConstant("epsilon", {1}, {1e-3f});
    const int shifted = b.addTensor({"shifted", DataType::Float32, c.keepDims ? reduced : std::vector<int32_t>{c.batch, c.channels}});
    b.addOp({schema::BuiltinOperator_ADD, {}, {m.variance, epsilon}, {shifted}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_AddOptions, schema::CreateAddOptions(fbb).o};
             }});
    const int inverse = b.addTensor({"inverse", DataType::Float32, c.keepDims ? reduced : std::vector<int32_t>{c.batch, c.channels}});
    b.addOp({schema::BuiltinOperator_RSQRT, {}, {shifted}, {inverse}, nullptr});
    const int centered = b.addTensor({"centered", DataType::Float32, shape});
    b.addOp({schema::BuiltinOperator_SUB, {}, {m.input, mean}, {centered}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_SubOptions, schema::CreateSubOptions(fbb).o};
             }});
    m.output = b.addTensor({"y", DataType::Float32, shape});
    const int scale = c.keepDims ? inverse : mean;  // a MEAN that drops its dimensions: the output is checked, not normalized
    b.addOp({schema::BuiltinOperator_MUL, {}, {centered, scale}, {m.output}, [](flatbuffers::FlatBufferBuilder& fbb) {
                 return std::pair<uint8_t, uint32_t>{schema::BuiltinOptions_MulOptions, schema::CreateMulOptions(fbb).o};
             }});
    b.setInputs({m.input});
    std::vector<int> outputs = {m.output, m.variance};
    if (c.differenceReadTwice) outputs.push_back(squared);
    b.setOutputs(outputs);
    return m;
}

TEST(SpatialMomentsFusion, OneOpMakesTheMeanAndTheVariance) {
    const MomentsCase cases[] = {
        {"style transfer's 64x64x32", 1, 64, 64, 32, 1, true},
        {"the same on two threads", 1, 64, 64, 32, 2, true},
        {"three threads, 200 channels", 1, 24, 20, 200, 3, true},
        {"a batch of two, 40 channels", 2, 33, 31, 40, 2, true},
        {"SQUARED_DIFFERENCE(mean, x), axes [2, 1]", 1, 16, 16, 48, 1, true, {2, 1}, true},
        {"axes [-3, -2]", 1, 16, 16, 48, 2, true, {-3, -2}},
        {"the difference read twice", 1, 16, 16, 32, 1, false, {1, 2}, false, true},
        {"means that drop their dimensions", 1, 16, 16, 32, 1, false, {1, 2}, false, false, false},
        {"a mean over the rows only", 1, 16, 16, 32, 1, false, {1}},
    };
    std::mt19937 random(5);
    std::uniform_real_distribution<float> values(-1.0f, 1.0f);
    for (const MomentsCase& c : cases) {
        MomentsModel m = momentsModel(c);
        testing::CpuComparison compared;
        ASSERT_TRUE(testing::compileBoth(m.builder, c.threads, compared)) << c.what << ": " << compared.error;
        const Model& compiled = compared.cpu->model();
        const std::string name = compiled.runtimeOpName(compiled.subgraphs[0].ops[static_cast<size_t>(m.firstMean)]);
        double worstVariance = 0, largestVariance = 0;
        for (int run = 0; run < 2; ++run) {
            std::vector<float> x(static_cast<size_t>(c.batch * c.height * c.width * c.channels));
            for (float& v : x) v = (run == 0 ? 3.0f : -0.5f) + values(random) * (run == 0 ? 0.5f : 2.0f);
            ASSERT_TRUE(testing::addRun(compared, m.input, x, m.output)) << c.what << ": a run failed";
            const std::vector<float> a = testing::tensorValues<float>(*compared.cpu, m.variance);
            const std::vector<float> r = testing::tensorValues<float>(*compared.reference, m.variance);
            ASSERT_EQ(a.size(), r.size()) << c.what;
            for (size_t i = 0; i < a.size(); ++i) {
                worstVariance = std::max(worstVariance, double(std::fabs(a[i] - r[i])));
                largestVariance = std::max(largestVariance, double(std::fabs(r[i])));
            }
        }
        std::cout << "  " << c.what << " (" << c.threads << " thread(s)): " << name << ", largest difference " << compared.worst
                  << " of outputs up to " << compared.largest << "; variances " << worstVariance << " of up to " << largestVariance << "\n";
        EXPECT_EQ(name, c.fuses ? "MEAN+SQUARED_DIFFERENCE+MEAN (fused)" : "MEAN") << c.what;
        EXPECT_LE(compared.worst, 1e-5 * compared.largest) << c.what;
        EXPECT_LE(worstVariance, 1e-5 * largestVariance) << c.what;
    }
}

}  // namespace
}  // namespace litestudio

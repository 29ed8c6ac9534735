// TFLite_Detection_PostProcess (core/kernels/reference/detection_postprocess.cpp)
// on three boxes small enough to follow by hand: their decoding against the
// anchors, the class-agnostic ("fast") suppression with one and two classes
// a box, suppression class by class, 8-bit scores, and the errors a
// malformed op gets.
//
// Anchors (y, x, h, w) with zero encodings give the boxes themselves:
//   box 0 (0, 0, 1, 1), box 1 (0, 0.1, 1, 1.1), box 2 (2, 2, 3, 3).
// Boxes 0 and 1 overlap by 0.9 / 1.1 = 0.82, over the 0.5 threshold.
// Scores (background, class 0, class 1):
//   box 0 (0.9, 0.8, 0.1), box 1 (0, 0.3, 0.7), box 2 (0, 0.2, 0.6).

#include <cmath>

#include "flatbuffers/flexbuffers.h"
#include "tests/core/kernels/single_op_model.h"
#include "tflite_schema_generated.h"

namespace litestudio {
namespace {

using testing::compileBuilt;
using testing::setValues;
using testing::tensorValues;

struct Settings {
    int maxDetections = 3, classesPerDetection = 1, detectionsPerClass = 3;
    bool regular = false;
    bool quantizedScores = false;
    bool withOptions = true;
    int anchorRows = 3;
};

std::vector<uint8_t> flexOptions(const Settings& s) {
    flexbuffers::Builder fbb;
    fbb.Map([&] {
        fbb.Int("max_detections", s.maxDetections);
        fbb.Int("max_classes_per_detection", s.classesPerDetection);
        fbb.Int("detections_per_class", s.detectionsPerClass);
        fbb.Bool("use_regular_nms", s.regular);
        fbb.Float("nms_score_threshold", 0.5f);
        fbb.Float("nms_iou_threshold", 0.5f);
        fbb.Int("num_classes", 2);
        fbb.Float("y_scale", 10.0f);
        fbb.Float("x_scale", 10.0f);
        fbb.Float("h_scale", 5.0f);
        fbb.Float("w_scale", 5.0f);
    });
    fbb.Finish();
    return fbb.GetBuffer();
}

struct DetectionModel {
    ModelBuilder builder;
    int encodings = -1, scores = -1, boxes = -1, classes = -1, scoresOut = -1, count = -1;
};

DetectionModel detectionModel(const Settings& s) {
    DetectionModel m;
    ModelBuilder& b = m.builder;
    b.addSubgraph();
    m.encodings = b.addTensor({"encodings", DataType::Float32, {1, 3, 4}});
    m.scores = s.quantizedScores ? b.addTensor(testing::quantized("scores", DataType::UInt8, {1, 3, 3}, 1.0f / 256.0f, 0))
                                 : b.addTensor({"scores", DataType::Float32, {1, 3, 3}});
    std::vector<float> anchors = {0.5f, 0.5f, 1, 1, 0.5f, 0.6f, 1, 1, 2.5f, 2.5f, 1, 1};
    anchors.resize(static_cast<size_t>(4 * s.anchorRows), 0.0f);
    const int anchorTensor = b.addFloatConstant("anchors", {s.anchorRows, 4}, anchors);
    const int n = s.maxDetections * s.classesPerDetection;
    m.boxes = b.addTensor({"boxes", DataType::Float32, {1, n, 4}});
    m.classes = b.addTensor({"classes", DataType::Float32, {1, n}});
    m.scoresOut = b.addTensor({"detection_scores", DataType::Float32, {1, n}});
    m.count = b.addTensor({"count", DataType::Float32, {1}});
    OpSpec op{schema::BuiltinOperator_CUSTOM, "TFLite_Detection_PostProcess", {m.encodings, m.scores, anchorTensor},
              {m.boxes, m.classes, m.scoresOut, m.count}};
    if (s.withOptions) op.customOptions = flexOptions(s);
    b.addOp(op);
    b.setInputs({m.encodings, m.scores});
    b.setOutputs({m.boxes, m.classes, m.scoresOut, m.count});
    return m;
}

struct Found {
    std::vector<float> boxes, classes, scores;
    float count = -1;
};

Found detect(const Settings& s, const std::vector<float>& encodings) {
    DetectionModel m = detectionModel(s);
    auto model = compileBuilt(m.builder);
    EXPECT_TRUE(model) << model.errorMessage();
    if (!model) return {};
    EXPECT_TRUE(setValues<float>(**model, m.encodings, encodings));
    const std::vector<float> scores = {0.9f, 0.8f, 0.1f, 0.0f, 0.3f, 0.7f, 0.0f, 0.2f, 0.6f};
    if (s.quantizedScores) {
        std::vector<uint8_t> bytes;
        for (float v : scores) bytes.push_back(static_cast<uint8_t>(std::lround(v * 256.0f)));
        EXPECT_TRUE(setValues<uint8_t>(**model, m.scores, bytes));
    } else {
        EXPECT_TRUE(setValues<float>(**model, m.scores, scores));
    }
    EXPECT_TRUE((*model)->run(0));
    return {tensorValues<float>(**model, m.boxes), tensorValues<float>(**model, m.classes), tensorValues<float>(**model, m.scoresOut),
            tensorValues<float>(**model, m.count)[0]};
}

void expectNear(const std::vector<float>& got, const std::vector<float>& want, double tolerance, const char* what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tolerance) << what << " " << i;
}

const std::vector<float> kZeroEncodings(12, 0.0f);

TEST(DetectionPostprocess, FastSuppressionTakesEachBoxByItsBestClass) {
    // Box 1 (class 1, 0.7) goes under box 0 (class 0, 0.8), though their classes differ.
    const Found found = detect(Settings{}, kZeroEncodings);
    std::cout << "  fast: " << found.count << " detections\n";
    EXPECT_EQ(found.count, 2);
    expectNear(found.boxes, {0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 0, 0}, 1e-6, "boxes");
    expectNear(found.classes, {0, 1, 0}, 0, "classes");
    expectNear(found.scores, {0.8f, 0.6f, 0}, 1e-6, "scores");
}

TEST(DetectionPostprocess, TwoClassesABoxFollowTheirBox) {
    Settings s;
    s.classesPerDetection = 2;
    const Found found = detect(s, kZeroEncodings);
    EXPECT_EQ(found.count, 4);
    expectNear(found.classes, {0, 1, 1, 0, 0, 0}, 0, "classes");
    expectNear(found.scores, {0.8f, 0.1f, 0.6f, 0.2f, 0, 0}, 1e-6, "scores");
}

TEST(DetectionPostprocess, RegularSuppressionGoesClassByClass) {
    // Class 0 keeps box 0; class 1 keeps boxes 1 and 2 (they do not overlap).
    Settings s;
    s.regular = true;
    const Found found = detect(s, kZeroEncodings);
    EXPECT_EQ(found.count, 3);
    expectNear(found.boxes, {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 2, 2, 3, 3}, 1e-6, "boxes");
    expectNear(found.classes, {0, 1, 1}, 0, "classes");
    expectNear(found.scores, {0.8f, 0.7f, 0.6f}, 1e-6, "scores");
}

TEST(DetectionPostprocess, EncodingsMoveAndScaleTheAnchors) {
    // Box 2's anchor (2.5, 2.5, 1, 1) with (ty, tx, th, tw) = (5, -5, 5 ln 2, 0):
    // center (2.5 + 5/10, 2.5 - 5/10) = (3, 2), height 2, width 1.
    std::vector<float> encodings = kZeroEncodings;
    encodings[8] = 5, encodings[9] = -5, encodings[10] = 5.0f * std::log(2.0f), encodings[11] = 0;
    const Found found = detect(Settings{}, encodings);
    ASSERT_EQ(found.count, 2);
    expectNear({found.boxes.begin() + 4, found.boxes.begin() + 8}, {2, 1.5f, 4, 2.5f}, 1e-5, "decoded box");
}

TEST(DetectionPostprocess, EightBitScoresReadThroughTheirScale) {
    Settings s;
    s.quantizedScores = true;
    const Found found = detect(s, kZeroEncodings);
    EXPECT_EQ(found.count, 2);
    expectNear(found.scores, {205.0f / 256.0f, 154.0f / 256.0f, 0}, 1e-6, "scores");
}

TEST(DetectionPostprocess, MalformedOpsAreRefusedByName) {
    struct Case {
        const char* what;
        Settings settings;
        const char* message;
    };
    Settings noOptions, noDetections, shortAnchors;
    noOptions.withOptions = false;
    noDetections.maxDetections = 0;
    shortAnchors.anchorRows = 2;
    const Case cases[] = {
        {"no options", noOptions, "not a flexbuffer"},
        {"max_detections 0", noDetections, "max_detections is 0"},
        {"anchors for 2 of 3 boxes", shortAnchors, "expects anchors [3, 4], got [2,4]"},
    };
    for (const Case& c : cases) {
        DetectionModel m = detectionModel(c.settings);
        auto model = compileBuilt(m.builder);
        ASSERT_FALSE(model) << c.what;
        std::cout << "  " << c.what << ": " << model.errorMessage() << "\n";
        EXPECT_NE(model.errorMessage().find(c.message), std::string::npos) << model.errorMessage();
        EXPECT_NE(model.errorMessage().find("TFLite_Detection_PostProcess"), std::string::npos) << model.errorMessage();
    }
}

}  // namespace
}  // namespace litestudio

// TFLite_Detection_PostProcess, the custom op that ends the SSD detectors
// (COCO SSD MobileNet, Coral's and the TF object detection API's exports):
// box encodings are decoded against the anchors (center-size, scaled by
// y/x/h/w_scale), and non-max suppression picks the detections, either
// over each box's best classes at once (the default, "fast") or class by
// class (use_regular_nms). Options come as a flexbuffer map.
//
// inputs:  box encodings [1, boxes, >= 4] (ty, tx, th, tw), class scores
//          [1, boxes, classes (+ 1 for a background class first)], anchors
//          [boxes, 4] (y, x, h, w); float32 or 8-bit quantized
// outputs: boxes [1, n, 4] (ymin, xmin, ymax, xmax), classes [1, n] (the
//          class index without the background), scores [1, n], count [1];
//          n = max_detections x max_classes_per_detection, zeros past count

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "core/format/flexbuffer_numbers.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"
#include "flatbuffers/flexbuffers.h"

namespace litestudio::reference {

namespace {

// Larger counts are no detector's: refused rather than sized.
constexpr int64_t kMostDetections = 1 << 16;

struct DetectionOptions {
    int64_t maxDetections = 0, maxClassesPerDetection = 1, detectionsPerClass = 100, classes = 0;
    bool regularSuppression = false;
    float scoreThreshold = 0, overlapThreshold = 0;
    float yScale = 0, xScale = 0, hScale = 0, wScale = 0;
    int64_t outputs() const { return maxDetections * maxClassesPerDetection; }
};

struct Box {
    float ymin, xmin, ymax, xmax;
};

Expected<DetectionOptions> readOptions(const KernelContext& context) {
    std::span<const uint8_t> bytes = context.op->customOptions;
    if (bytes.empty() || !flexbuffers::VerifyBuffer(bytes.data(), bytes.size()))
        return context.error("custom options are not a flexbuffer (TFLite_Detection_PostProcess keeps its settings in one)");
    flexbuffers::Reference root = flexbuffers::GetRoot(bytes.data(), bytes.size());
    if (!root.IsMap()) return context.error("custom options are not a flexbuffer map");
    flexbuffers::Map map = root.AsMap();
    DetectionOptions o;
    // Out of range: -1, which the counts below refuse.
    auto integer = [&](const char* key, int64_t fallback) { return map[key].IsNull() ? fallback : flexbufferInt64(map[key], -1); };
    auto real = [&](const char* key, float fallback) { return map[key].IsNull() ? fallback : flexbufferFloat(map[key]); };
    o.maxDetections = integer("max_detections", 0);
    o.maxClassesPerDetection = integer("max_classes_per_detection", 1);
    o.detectionsPerClass = integer("detections_per_class", 100);
    o.classes = integer("num_classes", 0);
    o.regularSuppression = !map["use_regular_nms"].IsNull() && map["use_regular_nms"].AsBool();
    o.scoreThreshold = real("nms_score_threshold", 0.0f);
    o.overlapThreshold = real("nms_iou_threshold", 0.0f);
    o.yScale = real("y_scale", 0.0f), o.xScale = real("x_scale", 0.0f);
    o.hScale = real("h_scale", 0.0f), o.wScale = real("w_scale", 0.0f);
    auto count = [&](const char* what, int64_t value, int64_t least) -> Status {
        if (value < least || value > kMostDetections)
            return context.error(std::string(what) + " is " + std::to_string(value) + ", expected " + std::to_string(least) + " to " +
                                 std::to_string(kMostDetections));
        return Status::ok();
    };
    LS_RETURN_IF_ERROR(count("max_detections", o.maxDetections, 1));
    LS_RETURN_IF_ERROR(count("max_classes_per_detection", o.maxClassesPerDetection, 1));
    LS_RETURN_IF_ERROR(count("detections_per_class", o.detectionsPerClass, 1));
    LS_RETURN_IF_ERROR(count("num_classes", o.classes, 1));
    if (o.outputs() > kMostDetections) return context.error("max_detections x max_classes_per_detection exceeds " + std::to_string(kMostDetections));
    for (float scale : {o.yScale, o.xScale, o.hScale, o.wScale})
        if (!(scale > 0.0f) || !std::isfinite(scale)) return context.error("y/x/h/w_scale must be positive, got " + std::to_string(scale));
    if (!(o.overlapThreshold >= 0.0f && o.overlapThreshold <= 1.0f))
        return context.error("nms_iou_threshold must lie in [0, 1], got " + std::to_string(o.overlapThreshold));
    if (std::isnan(o.scoreThreshold)) return context.error("nms_score_threshold is NaN");
    return o;
}

Status prepareDetection(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 3, 3, 4));
    auto options = readOptions(context);
    if (!options) return options.status();
    const RuntimeTensor& encodings = context.input(0);
    const RuntimeTensor& scores = context.input(1);
    const RuntimeTensor& anchors = context.input(2);
    for (const RuntimeTensor* t : {&encodings, &scores, &anchors})
        LS_RETURN_IF_ERROR(expectType(context, *t, {DataType::Float32, DataType::UInt8, DataType::Int8}));
    if (encodings.rank() != 3 || encodings.dim(0) != 1 || encodings.dim(2) < 4)
        return context.error("expects box encodings [1, boxes, 4 or more], got " + shapeText(encodings.shape));
    const int64_t boxes = encodings.dim(1);
    if (scores.rank() != 3 || scores.dim(0) != 1 || scores.dim(1) != boxes)
        return context.error("expects class scores [1, " + std::to_string(boxes) + ", classes], got " + shapeText(scores.shape));
    if (scores.dim(2) < options->classes)
        return context.error("class scores have " + std::to_string(scores.dim(2)) + " classes, fewer than num_classes " +
                             std::to_string(options->classes));
    if (anchors.rank() != 2 || anchors.dim(0) != boxes || anchors.dim(1) != 4)
        return context.error("expects anchors [" + std::to_string(boxes) + ", 4], got " + shapeText(anchors.shape));
    for (size_t i = 0; i < 4; ++i) LS_RETURN_IF_ERROR(expectType(context, context.output(i), {DataType::Float32}));
    const auto n = static_cast<int32_t>(options->outputs());
    context.output(0).shape = {1, n, 4};
    context.output(1).shape = {1, n};
    context.output(2).shape = {1, n};
    context.output(3).shape = {1};
    context.state = std::make_shared<DetectionOptions>(*options);
    return Status::ok();
}

float overlap(const Box& a, const Box& b) {
    const float areaA = (a.ymax - a.ymin) * (a.xmax - a.xmin), areaB = (b.ymax - b.ymin) * (b.xmax - b.xmin);
    if (areaA <= 0 || areaB <= 0) return 0.0f;
    const float height = std::max(0.0f, std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin));
    const float width = std::max(0.0f, std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin));
    const float intersection = height * width;
    return intersection / (areaA + areaB - intersection);
}

// Greedy non-max suppression over `scores` (one a box): the boxes at or
// above the score threshold, best first (ties by index), each taken unless
// a taken one overlaps it by more than the threshold; at most `limit`.
std::vector<int64_t> suppress(const DetectionOptions& o, const std::vector<Box>& boxes, const std::vector<float>& scores, int64_t limit) {
    std::vector<int64_t> candidates;
    for (int64_t i = 0; i < static_cast<int64_t>(scores.size()); ++i)
        if (scores[static_cast<size_t>(i)] >= o.scoreThreshold) candidates.push_back(i);
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](int64_t a, int64_t b) { return scores[static_cast<size_t>(a)] > scores[static_cast<size_t>(b)]; });
    std::vector<int64_t> taken;
    std::vector<bool> active(candidates.size(), true);
    for (size_t i = 0; i < candidates.size() && static_cast<int64_t>(taken.size()) < limit; ++i) {
        if (!active[i]) continue;
        const Box& box = boxes[static_cast<size_t>(candidates[i])];
        taken.push_back(candidates[i]);
        for (size_t j = i + 1; j < candidates.size(); ++j)
            if (active[j] && overlap(box, boxes[static_cast<size_t>(candidates[j])]) > o.overlapThreshold) active[j] = false;
    }
    return taken;
}

Status evalDetection(KernelContext& context) {
    const auto& o = *static_cast<const DetectionOptions*>(context.state.get());
    const RuntimeTensor& encodings = context.input(0);
    const RuntimeTensor& scoreTensor = context.input(1);
    const int64_t count = encodings.dim(1), code = encodings.dim(2), withBackground = scoreTensor.dim(2);
    const int64_t offset = withBackground - o.classes;  // a background class first, when there is one
    std::vector<float> encoding(static_cast<size_t>(encodings.elementCount())), score(static_cast<size_t>(scoreTensor.elementCount())),
        anchor(static_cast<size_t>(context.input(2).elementCount()));
    toFloats(encodings, encoding.data()), toFloats(scoreTensor, score.data()), toFloats(context.input(2), anchor.data());

    std::vector<Box> boxes(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
        const float* a = anchor.data() + i * 4;
        const float* e = encoding.data() + i * code;
        const double y = a[0], x = a[1], h = a[2], w = a[3];
        const double centerY = e[0] / o.yScale * h + y, centerX = e[1] / o.xScale * w + x;
        const double halfH = 0.5 * std::exp(e[2] / o.hScale) * h, halfW = 0.5 * std::exp(e[3] / o.wScale) * w;
        boxes[static_cast<size_t>(i)] = {static_cast<float>(centerY - halfH), static_cast<float>(centerX - halfW),
                                         static_cast<float>(centerY + halfH), static_cast<float>(centerX + halfW)};
    }
    auto classScore = [&](int64_t box, int64_t c) { return score[static_cast<size_t>(box * withBackground + offset + c)]; };

    struct Detection {
        int64_t box, category;
        float score;
    };
    std::vector<Detection> found;
    if (o.regularSuppression) {
        // Class by class, then the best max_detections of all.
        std::vector<float> scores(static_cast<size_t>(count));
        for (int64_t c = 0; c < o.classes; ++c) {
            for (int64_t i = 0; i < count; ++i) scores[static_cast<size_t>(i)] = classScore(i, c);
            for (int64_t i : suppress(o, boxes, scores, o.detectionsPerClass)) found.push_back({i, c, scores[static_cast<size_t>(i)]});
        }
        std::stable_sort(found.begin(), found.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
        if (static_cast<int64_t>(found.size()) > o.maxDetections) found.resize(static_cast<size_t>(o.maxDetections));
    } else {
        // Each box by its best class, then its best max_classes_per_detection classes each.
        const int64_t perBox = std::min(o.maxClassesPerDetection, o.classes);
        std::vector<float> best(static_cast<size_t>(count));
        std::vector<int64_t> ranked(static_cast<size_t>(count * perBox));  // each box's best classes, best first
        std::vector<int64_t> order(static_cast<size_t>(o.classes));
        for (int64_t i = 0; i < count; ++i) {
            const float* row = score.data() + i * withBackground + offset;
            int64_t* classes = ranked.data() + i * perBox;
            if (perBox == 1) {  // the usual setting: the first of the highest
                classes[0] = std::max_element(row, row + o.classes) - row;
            } else {
                std::iota(order.begin(), order.end(), int64_t(0));
                std::partial_sort(order.begin(), order.begin() + perBox, order.end(),
                                  [&](int64_t a, int64_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
                std::copy_n(order.begin(), perBox, classes);
            }
            best[static_cast<size_t>(i)] = row[classes[0]];
        }
        for (int64_t i : suppress(o, boxes, best, o.maxDetections))
            for (int64_t k = 0; k < perBox; ++k) {
                const int64_t c = ranked[static_cast<size_t>(i * perBox + k)];
                found.push_back({i, c, classScore(i, c)});
            }
    }

    float* outBoxes = context.output(0).as<float>();
    float* outClasses = context.output(1).as<float>();
    float* outScores = context.output(2).as<float>();
    const int64_t slots = o.outputs();
    std::fill(outBoxes, outBoxes + 4 * slots, 0.0f);
    std::fill(outClasses, outClasses + slots, 0.0f);
    std::fill(outScores, outScores + slots, 0.0f);
    const int64_t written = std::min<int64_t>(slots, static_cast<int64_t>(found.size()));
    for (int64_t k = 0; k < written; ++k) {
        const Detection& d = found[static_cast<size_t>(k)];
        const Box& box = boxes[static_cast<size_t>(d.box)];
        outBoxes[4 * k] = box.ymin, outBoxes[4 * k + 1] = box.xmin, outBoxes[4 * k + 2] = box.ymax, outBoxes[4 * k + 3] = box.xmax;
        outClasses[k] = static_cast<float>(d.category);
        outScores[k] = d.score;
    }
    context.output(3).as<float>()[0] = static_cast<float>(written);
    return Status::ok();
}

}  // namespace

KernelDef detectionPostprocessKernel() { return {prepareDetection, evalDetection}; }

}  // namespace litestudio::reference

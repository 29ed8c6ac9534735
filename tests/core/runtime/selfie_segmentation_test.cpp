// MediaPipe's selfie segmentation (with its Convolution2DTransposeBias
// custom op) on a known photo: Grace Hopper stands in the middle of a dark
// background, so the mask must be on in the centre and off in the top corners.

#include <gtest/gtest.h>

#include "core/format/model_file.h"
#include "core/runtime/compiled_model.h"
#include "core/vision/image_input.h"
#include "tests/support/bmp_image.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

TEST(SelfieSegmentation, FindsThePersonInGraceHopper) {
    RgbImage image = testing::readBmp(testing::readFileBytes(testing::sharedDir() / "images/grace_hopper.bmp"));
    ASSERT_GT(image.width, 0) << "cannot read grace_hopper.bmp";
    auto file = openModelFile(testing::sharedModel("mediapipe/selfie_segmentation.tflite").string());
    ASSERT_TRUE(file) << file.errorMessage();
    auto compiled = CompiledModel::create(file->model);
    ASSERT_TRUE(compiled) << compiled.errorMessage();
    CompiledModel& model = **compiled;
    EntryPoint entry = model.inSubgraphOrder(0);
    ASSERT_TRUE(fillImageInput(image, model.tensor(0, entry.inputs[0].tensor), {0.0f, 255.0f}));  // pixels to [0, 1]
    Status ran = model.run(0);
    ASSERT_TRUE(ran) << ran.message();
    const RuntimeTensor& mask = model.tensor(0, entry.outputs[0].tensor);
    ASSERT_EQ(mask.shape, (std::vector<int32_t>{1, 256, 256, 1}));
    auto at = [&](int y, int x) { return mask.as<float>()[y * 256 + x]; };
    std::cout << "  mask: centre " << at(128, 128) << ", top-left " << at(8, 8) << ", top-right " << at(8, 247)
              << ", bottom centre " << at(250, 128) << "\n";
    EXPECT_GT(at(128, 128), 0.9f);
    EXPECT_GT(at(250, 128), 0.9f);  // her uniform
    EXPECT_LT(at(8, 8), 0.1f);
    EXPECT_LT(at(8, 247), 0.1f);
}

}  // namespace
}  // namespace litestudio

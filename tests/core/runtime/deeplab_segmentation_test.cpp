// Coral's uint8 DeepLab v3 (MobileNetV2 at depth 0.5, PASCAL VOC's 21
// classes) on the shared dog picture: the cpu accelerator on one and two
// threads, with its fused blocks and its resize that takes the arg max as
// it goes, must give the reference's class for every one of the 513x513
// pixels, and the picture must come out as mostly dog (class 12) and
// background (0). LiteRT.js cannot run this model, so it has no golden
// case; the reference, which runs every op as written, stands in.

#include <array>
#include <iostream>

#include <gtest/gtest.h>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/xnnpack_accelerator.h"
#include "core/format/model_file.h"
#include "core/runtime/compiled_model.h"
#include "core/vision/image_input.h"
#include "tests/support/bmp_image.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

constexpr int kBackground = 0, kDog = 12, kClasses = 21;

struct Segmentation {
    std::vector<int64_t> classes;
    std::string fusedResize;  // the runtime name of the op that made the classes
};

Segmentation segment(const std::shared_ptr<const Model>& model, const RgbImage& image, const std::string& accelerator, int threads) {
    CompileOptions options;
    options.accelerators = cpu::acceleratorChain(accelerator);
    options.threads = threads;
    auto compiled = CompiledModel::create(cpu::createStandardEnvironment(), model, options);
    EXPECT_TRUE(compiled) << compiled.errorMessage();
    if (!compiled) return {};
    CompiledModel& run = **compiled;
    EntryPoint entry = run.inSubgraphOrder(0);
    EXPECT_TRUE(fillImageInput(image, run.tensor(0, entry.inputs[0].tensor)));
    Status ran = run.run(0);
    EXPECT_TRUE(ran) << ran.message();
    const RuntimeTensor& out = run.tensor(0, entry.outputs[0].tensor);
    EXPECT_EQ(out.type, DataType::Int64);
    Segmentation result;
    result.classes.assign(out.as<const int64_t>(), out.as<const int64_t>() + out.elementCount());
    const Subgraph& graph = run.model().subgraphs[0];
    result.fusedResize = run.model().runtimeOpName(graph.ops[graph.ops.size() - 2]);
    return result;
}

TEST(DeeplabSegmentation, FindsTheDogAsTheReferenceDoesPixelForPixel) {
    RgbImage image = testing::readBmp(testing::readFileBytes(testing::sharedDir() / "images/dog_segmentation.bmp"));
    ASSERT_GT(image.width, 0) << "cannot read dog_segmentation.bmp";
    auto file = openModelFile(testing::sharedModel("coral/deeplabv3_mnv2_dm05_pascal_quant.tflite").string());
    ASSERT_TRUE(file) << file.errorMessage();
    const Segmentation reference = segment(file->model, image, "reference", 1);
    ASSERT_EQ(reference.classes.size(), size_t(513 * 513));
    std::array<int, kClasses> area{};
    for (int64_t c : reference.classes) {
        ASSERT_TRUE(c >= 0 && c < kClasses) << "class " << c;
        ++area[static_cast<size_t>(c)];
    }
    std::cout << "  reference: " << area[kDog] << " dog pixels, " << area[kBackground] << " background, "
              << reference.classes.size() - area[kDog] - area[kBackground] << " other\n";
    EXPECT_GT(area[kDog], 513 * 513 / 10);
    EXPECT_GT(area[kBackground], 513 * 513 / 10);
    EXPECT_GT(area[kDog] + area[kBackground], 513 * 513 * 9 / 10);
    for (int threads : {1, 2}) {
        const Segmentation cpu = segment(file->model, image, "cpu", threads);
        ASSERT_EQ(cpu.classes.size(), reference.classes.size());
        size_t differing = 0;
        for (size_t i = 0; i < cpu.classes.size(); ++i) differing += cpu.classes[i] != reference.classes[i];
        std::cout << "  cpu, " << threads << " thread(s): op " << cpu.fusedResize << ", " << differing << " of "
                  << cpu.classes.size() << " pixels differ from the reference\n";
        EXPECT_EQ(differing, 0u);
        if (cpu::cpuHasAvx512()) {
            EXPECT_EQ(cpu.fusedResize, "RESIZE_BILINEAR+ARG_MAX (fused)");
        }
    }
}

}  // namespace
}  // namespace litestudio

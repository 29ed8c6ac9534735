#include "app/cli/classify_command.h"

#include <QImage>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "accelerators/cpu/xnnpack_accelerator.h"
#include "app/cli/command_line.h"
#include "core/format/model_file.h"
#include "core/format/model_metadata.h"
#include "core/runtime/compiled_model.h"
#include "core/vision/image_input.h"

namespace litestudio::cli {

const char* const kClassifyUsage =
    "usage: litestudio-cli classify MODEL IMAGE [--labels FILE] [--top K]\n"
    "  Classifies a BMP, PNG or JPEG image: resizes it to the model's input, normalises float\n"
    "  inputs to [-1, 1] (quantized inputs take pixels as they are), runs the model and prints\n"
    "  the K best classes as 'score label' lines. Labels come from --labels or from the label\n"
    "  file packed in the model's metadata; without either, class indices are printed.\n";

namespace {

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(line);
    }
    return lines;
}

// The first label file the metadata attaches to an output, if packed.
std::vector<std::string> packedLabels(const Model& model) {
    ModelMetadataInfo info = readModelMetadata(model);
    for (const AssociatedFileInfo& file : info.associatedFiles) {
        if (file.type != "TENSOR_AXIS_LABELS" || !file.packed) continue;
        auto text = readPackedFile(model, file.name);
        if (text) return splitLines(*text);
    }
    return {};
}

}  // namespace

int runClassify(const std::vector<std::string>& arguments) {
    auto parsed = parseArguments(arguments, {"--help"}, {"--labels", "--top"});
    if (!parsed) return reportError("classify: " + parsed.errorMessage());
    if (parsed->has("--help")) {
        std::cout << kClassifyUsage;
        return 0;
    }
    if (parsed->positional.size() != 2) return reportError("classify: expected MODEL and IMAGE (see --help)");
    int top = 5;
    if (parsed->options.count("--top")) {
        try {
            top = std::stoi(parsed->options["--top"]);
        } catch (...) {
            top = 0;
        }
        if (top < 1) return reportError("classify: --top needs a positive number");
    }
    const std::string& imagePath = parsed->positional[1];
    QImage decoded(QString::fromStdString(imagePath));
    if (decoded.isNull()) return reportError(imagePath + ": cannot read the image (BMP, PNG or JPEG expected)");
    decoded = decoded.convertToFormat(QImage::Format_RGB888);
    RgbImage image;
    image.width = decoded.width();
    image.height = decoded.height();
    image.pixels.resize(static_cast<size_t>(image.width) * image.height * 3);
    for (int y = 0; y < image.height; ++y)
        std::copy_n(decoded.constScanLine(y), image.width * 3, image.pixels.begin() + static_cast<long>(y) * image.width * 3);

    auto file = openModelFile(parsed->positional[0]);
    if (!file) return reportError(file.errorMessage());
    if (!file->model) return reportError(parsed->positional[0] + ": classify takes a .tflite model");
    CompileOptions options;
    options.accelerators = cpu::acceleratorChain("cpu");
    auto compiled = CompiledModel::create(cpu::createStandardEnvironment(), file->model, options);
    if (!compiled) return reportError(compiled.errorMessage());
    CompiledModel& model = **compiled;
    EntryPoint entry = model.inSubgraphOrder(0);
    if (entry.inputs.size() != 1 || entry.outputs.empty())
        return reportError(parsed->positional[0] + ": expected a classifier with one image input");
    Status filled = fillImageInput(image, model.tensor(entry.subgraph, entry.inputs[0].tensor));
    if (!filled) return reportError(parsed->positional[0] + ": " + filled.message());
    Status ran = model.run(0);
    if (!ran) return reportError(ran.message());

    std::vector<std::string> labels;
    if (parsed->options.count("--labels")) {
        std::ifstream in(parsed->options["--labels"]);
        if (!in) return reportError(parsed->options["--labels"] + ": cannot read");
        std::stringstream text;
        text << in.rdbuf();
        labels = splitLines(text.str());
    } else {
        labels = packedLabels(*file->model);
    }
    const RuntimeTensor& scores = model.tensor(entry.subgraph, entry.outputs[0].tensor);
    for (const ScoredClass& entry : topClasses(scores, top)) {
        std::string label = entry.index < static_cast<int>(labels.size()) ? labels[static_cast<size_t>(entry.index)]
                                                                           : "class " + std::to_string(entry.index);
        std::printf("%.4f %s\n", entry.score, label.c_str());
    }
    return 0;
}

}  // namespace litestudio::cli

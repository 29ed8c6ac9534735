#pragma once
// Small, self-contained SVG charts for reports: they embed in HTML as they
// are, need no script, and render the same in every browser and in Qt's
// SVG renderer (for PDF).

#include <string>
#include <vector>

namespace litestudio {

struct ChartSeries {
    std::string label;
    std::vector<double> values;
};

// Latency of each run, one line per series; y in milliseconds.
std::string lineChartSvg(const std::string& title, const std::vector<ChartSeries>& series, int width = 640,
                         int height = 260);
// Distribution of the values in equal-width bins.
std::string histogramSvg(const std::string& title, const std::vector<double>& values, int bins = 30,
                         int width = 640, int height = 220);
// One bar per label, longest first as given; `unit` follows each value.
std::string barChartSvg(const std::string& title, const std::vector<std::string>& labels,
                        const std::vector<double>& values, const std::string& unit, int width = 640);

// "&amp;" for "&" and so on, for text inside SVG and HTML.
std::string xmlEscaped(const std::string& text);

}  // namespace litestudio

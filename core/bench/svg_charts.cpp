#include "core/bench/svg_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace litestudio {

namespace {

const char* const kColours[] = {"#2a7ad6", "#e4572e", "#29a36a", "#b26ccf", "#f0a202", "#5c6b73"};
constexpr int kLeft = 56, kRight = 16, kTop = 30, kBottom = 34;

std::string number(double value, int digits = 2) {
    char text[48];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return text;
}

// A round step for about `ticks` gridlines up to `maximum`.
double niceStep(double maximum, int ticks) {
    if (maximum <= 0) return 1;
    double raw = maximum / ticks;
    double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double factor : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (raw <= factor * power) return factor * power;
    return 10 * power;
}

std::string header(int width, int height, const std::string& title) {
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
           std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
           "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n"
           "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
           "<text x=\"" + std::to_string(width / 2) + "\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">" +
           xmlEscaped(title) + "</text>\n";
}

// Horizontal gridlines with labels, from 0 to `top`.
std::string yAxis(double top, double step, int width, int height, const std::string& unit) {
    std::string svg;
    double plotHeight = height - kTop - kBottom;
    int digits = step < 0.1 ? 3 : step < 1 ? 2 : step < 10 ? 1 : 0;
    for (double value = 0; value <= top + step * 1e-6; value += step) {
        double y = kTop + plotHeight * (1 - value / top);
        svg += "<line x1=\"" + std::to_string(kLeft) + "\" x2=\"" + std::to_string(width - kRight) + "\" y1=\"" +
               number(y, 1) + "\" y2=\"" + number(y, 1) + "\" stroke=\"#e3e3e3\"/>\n";
        svg += "<text x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + number(y + 4, 1) + "\" text-anchor=\"end\">" +
               number(value, digits) + "</text>\n";
    }
    svg += "<text x=\"12\" y=\"" + number(kTop + plotHeight / 2, 1) + "\" transform=\"rotate(-90 12 " +
           number(kTop + plotHeight / 2, 1) + ")\" text-anchor=\"middle\">" + xmlEscaped(unit) + "</text>\n";
    return svg;
}

// The first `bytes` bytes of `text` or fewer, not ending inside a UTF-8
// character (tensor names are UTF-8).
std::string utf8Prefix(const std::string& text, size_t bytes) {
    if (text.size() <= bytes) return text;
    size_t end = bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // text[end] starts a character
    return text.substr(0, end);
}

}  // namespace

std::string xmlEscaped(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string lineChartSvg(const std::string& title, const std::vector<ChartSeries>& series, int width, int height) {
    std::string svg = header(width, height, title);
    double maximum = 0;
    size_t longest = 0;
    for (const ChartSeries& s : series) {
        for (double v : s.values) maximum = std::max(maximum, v);
        longest = std::max(longest, s.values.size());
    }
    double step = niceStep(maximum * 1.05, 5);
    double top = std::max(step, std::ceil(maximum * 1.05 / step) * step);
    svg += yAxis(top, step, width, height, "ms");
    double plotWidth = width - kLeft - kRight, plotHeight = height - kTop - kBottom;
    svg += "<text x=\"" + number(kLeft + plotWidth / 2, 1) + "\" y=\"" + std::to_string(height - 8) +
           "\" text-anchor=\"middle\">run</text>\n";
    for (size_t k = 0; k < series.size(); ++k) {
        const auto& values = series[k].values;
        if (values.empty()) continue;
        std::string points;
        for (size_t i = 0; i < values.size(); ++i) {
            double x = kLeft + (longest > 1 ? plotWidth * static_cast<double>(i) / static_cast<double>(longest - 1) : plotWidth / 2);
            double y = kTop + plotHeight * (1 - values[i] / top);
            points += number(x, 1) + "," + number(y, 1) + " ";
        }
        const char* colour = kColours[k % (sizeof kColours / sizeof kColours[0])];
        svg += "<polyline fill=\"none\" stroke=\"" + std::string(colour) + "\" stroke-width=\"1.5\" points=\"" + points + "\"/>\n";
        if (series.size() > 1)
            svg += "<text x=\"" + std::to_string(width - kRight) + "\" y=\"" + std::to_string(kTop + 12 + 14 * static_cast<int>(k)) +
                   "\" text-anchor=\"end\" fill=\"" + colour + "\">" + xmlEscaped(series[k].label) + "</text>\n";
    }
    return svg + "</svg>\n";
}

std::string histogramSvg(const std::string& title, const std::vector<double>& values, int bins, int width, int height) {
    std::string svg = header(width, height, title);
    if (values.empty() || bins < 1) return svg + "</svg>\n";
    auto [low, high] = std::minmax_element(values.begin(), values.end());
    double minimum = *low, maximum = *high, range = maximum - minimum;
    std::vector<int> counts(static_cast<size_t>(bins), 0);
    for (double v : values) {
        size_t bin = range > 0 ? static_cast<size_t>((v - minimum) / range * bins) : 0;
        ++counts[std::min(bin, counts.size() - 1)];
    }
    int tallest = *std::max_element(counts.begin(), counts.end());
    double step = niceStep(tallest, 4);
    double top = std::max(step, std::ceil(tallest / step) * step);
    svg += yAxis(top, step, width, height, "runs");
    double plotWidth = width - kLeft - kRight, plotHeight = height - kTop - kBottom;
    double barWidth = plotWidth / bins;
    for (int i = 0; i < bins; ++i) {
        double h = plotHeight * counts[static_cast<size_t>(i)] / top;
        svg += "<rect x=\"" + number(kLeft + barWidth * i + 0.5, 1) + "\" y=\"" + number(kTop + plotHeight - h, 1) +
               "\" width=\"" + number(std::max(barWidth - 1, 1.0), 1) + "\" height=\"" + number(h, 1) +
               "\" fill=\"#2a7ad6\"/>\n";
    }
    svg += "<text x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(height - 16) + "\">" + number(minimum, 3) + " ms</text>\n";
    svg += "<text x=\"" + std::to_string(width - kRight) + "\" y=\"" + std::to_string(height - 16) + "\" text-anchor=\"end\">" +
           number(maximum, 3) + " ms</text>\n";
    return svg + "</svg>\n";
}

std::string barChartSvg(const std::string& title, const std::vector<std::string>& labels,
                        const std::vector<double>& values, const std::string& unit, int width) {
    const int rowHeight = 20, labelWidth = 220;
    int height = kTop + rowHeight * static_cast<int>(labels.size()) + 12;
    std::string svg = header(width, height, title);
    double maximum = 0;
    for (double v : values) maximum = std::max(maximum, v);
    double plotWidth = width - labelWidth - kRight - 90;
    for (size_t i = 0; i < labels.size() && i < values.size(); ++i) {
        double y = kTop + rowHeight * static_cast<double>(i);
        double w = maximum > 0 ? plotWidth * values[i] / maximum : 0;
        std::string label = labels[i].size() > 34 ? utf8Prefix(labels[i], 33) + "…" : labels[i];
        svg += "<text x=\"" + std::to_string(labelWidth - 6) + "\" y=\"" + number(y + 14, 1) + "\" text-anchor=\"end\">" +
               xmlEscaped(label) + "</text>\n";
        svg += "<rect x=\"" + std::to_string(labelWidth) + "\" y=\"" + number(y + 3, 1) + "\" width=\"" + number(std::max(w, 1.0), 1) +
               "\" height=\"" + std::to_string(rowHeight - 6) + "\" fill=\"" + kColours[0] + "\"/>\n";
        svg += "<text x=\"" + number(labelWidth + w + 6, 1) + "\" y=\"" + number(y + 14, 1) + "\">" + number(values[i], 3) + " " +
               xmlEscaped(unit) + "</text>\n";
    }
    return svg + "</svg>\n";
}

}  // namespace litestudio

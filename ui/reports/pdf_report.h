#pragma once
// The PDF form of a benchmark report: the same HTML as the .html report,
// laid out by QTextDocument on A4 pages, with its SVG charts drawn by Qt's
// SVG renderer. Needs a QGuiApplication (fonts); no display.

#include <QString>

#include <vector>

#include "core/bench/bench_report.h"

namespace litestudio::ui {

// Written beside `path` and renamed, so a failed write leaves no half file.
Status writePdfReport(const QString& path, const std::vector<ReportRun>& runs, size_t baseline = 0);

// HTML, Markdown, CSV, JSON or PDF by the extension.
Status writeReport(const QString& path, const std::vector<ReportRun>& runs, size_t baseline = 0);

}  // namespace litestudio::ui

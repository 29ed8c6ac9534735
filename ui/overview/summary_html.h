#pragma once
// Renders an inspect summary as HTML for the overview (QTextBrowser's rich
// text subset: tables, headings, no scripts).

#include <QString>

#include "core/inspect/model_summary.h"

namespace litestudio::ui {

QString summaryToHtml(const FileSummary& summary);
QString errorToHtml(const QString& path, const QString& message);

}  // namespace litestudio::ui

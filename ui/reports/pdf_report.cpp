#include "ui/reports/pdf_report.h"

#include <QImage>

#include <algorithm>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgRenderer>
#include <QTextDocument>
#include <QUrl>

namespace litestudio::ui {

namespace {

// QTextDocument does not draw inline SVG: each chart becomes an image
// resource rendered at print resolution.
QString replaceChartsWithImages(const QString& html, QTextDocument& document) {
    QString out;
    int position = 0, chart = 0;
    while (true) {
        int start = html.indexOf("<svg", position);
        if (start < 0) break;
        int end = html.indexOf("</svg>", start);
        if (end < 0) break;
        end += 6;
        QByteArray svg = html.mid(start, end - start).toUtf8();
        QSvgRenderer renderer(svg);
        QSize size = renderer.defaultSize();
        const int scale = 3;
        QImage image(size * scale, QImage::Format_RGB32);
        image.fill(Qt::white);
        QPainter painter(&image);
        renderer.render(&painter);
        painter.end();
        QString name = QString("chart-%1.png").arg(chart++);
        document.addResource(QTextDocument::ImageResource, QUrl(name), image);
        out += html.mid(position, start - position);
        // A4 with 15 mm margins holds about 500 points of width.
        double shrink = std::min(1.0, 500.0 / std::max(size.width(), 1));
        out += QString("<p><img src=\"%1\" width=\"%2\" height=\"%3\"></p>")
                   .arg(name)
                   .arg(qRound(size.width() * shrink))
                   .arg(qRound(size.height() * shrink));
        position = end;
    }
    return out + html.mid(position);
}

}  // namespace

Status writePdfReport(const QString& path, const std::vector<ReportRun>& runs, size_t baseline) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Status::error(path.toStdString() + ": cannot write (" + file.errorString().toStdString() + ")");
    QPdfWriter writer(&file);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
    writer.setTitle("LiteStudio benchmark report");
    writer.setCreator("LiteStudio");
    writer.setResolution(150);
    QTextDocument document;
    QFont font("DejaVu Sans");
    font.setPointSizeF(8.5);
    document.setDefaultFont(font);
    QString html = QString::fromStdString(reportHtml(runs, baseline, HtmlLayout::Narrow));
    document.setHtml(replaceChartsWithImages(html, document));
    document.print(&writer);
    if (!file.commit())
        return Status::error(path.toStdString() + ": cannot write (" + file.errorString().toStdString() + ")");
    return Status::ok();
}

Status writeReport(const QString& path, const std::vector<ReportRun>& runs, size_t baseline) {
    auto format = reportFormatForPath(path.toStdString());
    if (format == ReportFormat::Pdf) return writePdfReport(path, runs, baseline);
    return writeTextReport(path.toStdString(), runs, baseline);
}

}  // namespace litestudio::ui

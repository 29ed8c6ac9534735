// litestudio: the desktop studio.
//   litestudio [MODEL...] [--view overview|graph|bench|chat] [--screenshot FILE.png]

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>

#include "app/version.h"
#include "ui/graph/graph_view.h"
#include "ui/main_window.h"

namespace {

bool saveScreenshot(QWidget& window, const QString& path) {
    QApplication::processEvents();
    return window.grab().save(path);
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("LiteStudio");
    QApplication::setOrganizationName("LiteStudio");
    QApplication::setApplicationVersion(LITESTUDIO_VERSION);

    QCommandLineParser parser;
    parser.setApplicationDescription("A desktop model studio for on-device AI.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("model", "A .tflite, .litertlm or .task file to open.", "[MODEL...]");
    QCommandLineOption screenshot("screenshot", "Save the window to FILE once the view is ready, then exit.", "FILE");
    QCommandLineOption view("view", "The view to show: overview, graph, bench or chat.", "VIEW");
    parser.addOption(screenshot);
    parser.addOption(view);
    if (!parser.parse(QApplication::arguments())) {
        fprintf(stderr, "error: %s (see litestudio --help)\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet("help")) parser.showHelp(0);
    if (parser.isSet("version")) parser.showVersion();
    using litestudio::ui::MainWindow;
    MainWindow::View startView = MainWindow::View::Overview;
    if (parser.isSet(view) && !MainWindow::viewFromName(parser.value(view), &startView)) {
        fprintf(stderr, "error: unknown view '%s' (overview, graph, bench or chat)\n", qPrintable(parser.value(view)));
        return 2;
    }

    MainWindow window;
    window.show();
    QString shotPath = parser.value(screenshot);
    const QStringList models = parser.positionalArguments();

    if (!shotPath.isEmpty()) {
        auto finish = [&window, shotPath] {
            bool saved = saveScreenshot(window, shotPath);
            if (!saved) fprintf(stderr, "error: cannot write screenshot %s\n", qPrintable(shotPath));
            QApplication::exit(saved ? 0 : 2);
        };
        if (models.isEmpty()) {
            QTimer::singleShot(0, &window, finish);
        } else {
            // The last file named is the one on screen; the graph view is
            // ready once its layout is.
            QString last = QFileInfo(models.last()).absoluteFilePath();
            QObject::connect(&window, &MainWindow::fileShown, &window,
                             [&window, finish, last, startView](const QString& path, bool ok) {
                                 if (path != last) return;
                                 auto* graph = window.graphView();
                                 if (ok && startView == MainWindow::View::Graph && !graph->isReady())
                                     QObject::connect(graph, &litestudio::ui::GraphView::sceneReady, &window, finish,
                                                      Qt::SingleShotConnection);
                                 else
                                     finish();
                             });
        }
    }
    if (parser.isSet(view) || !shotPath.isEmpty()) window.setView(startView);
    for (const QString& model : models) window.openFile(model);
    return app.exec();
}

// litestudio: the desktop studio.
//   litestudio [MODEL] [--screenshot FILE.png]

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include "app/version.h"
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
    parser.addPositionalArgument("model", "A .tflite, .litertlm or .task file to open.", "[MODEL]");
    QCommandLineOption screenshot("screenshot", "Save the window to FILE once the model is shown, then exit.", "FILE");
    parser.addOption(screenshot);
    if (!parser.parse(QApplication::arguments())) {
        fprintf(stderr, "error: %s (see litestudio --help)\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet("help")) parser.showHelp(0);
    if (parser.isSet("version")) parser.showVersion();

    litestudio::ui::MainWindow window;
    window.show();
    QString shotPath = parser.value(screenshot);
    const QStringList models = parser.positionalArguments();

    if (!shotPath.isEmpty()) {
        auto finish = [&window, shotPath] {
            bool saved = saveScreenshot(window, shotPath);
            if (!saved) fprintf(stderr, "error: cannot write screenshot %s\n", qPrintable(shotPath));
            QApplication::exit(saved ? 0 : 2);
        };
        if (models.isEmpty()) QTimer::singleShot(0, &window, finish);
        else QObject::connect(&window, &litestudio::ui::MainWindow::fileShown, &window, finish);
    }
    if (!models.isEmpty()) window.openFile(models.first());
    return app.exec();
}

// litestudio: the desktop studio.
//   litestudio [MODEL...] [--view overview|graph|bench|chat] [--screenshot FILE.png] [--benchmark-runs N]
//              [--chat-prompt TEXT]

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QTimer>

#include "app/version.h"
#include "ui/bench/benchmark_view.h"
#include "ui/chat/chat_view.h"
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
    QCommandLineOption benchmarkRuns("benchmark-runs",
                                     "Benchmark the models given (cpu, 1 thread) with N runs as soon as they are open.",
                                     "N");
    parser.addOption(screenshot);
    parser.addOption(view);
    QCommandLineOption chatPrompt("chat-prompt", "Once an LLM bundle is loaded, send TEXT in the Chat view.", "TEXT");
    parser.addOption(benchmarkRuns);
    parser.addOption(chatPrompt);
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

    int runs = parser.value(benchmarkRuns).toInt();
    if (!shotPath.isEmpty()) {
        // Charts lay themselves out on later turns of the event loop; a short
        // pause lets them settle before the picture is taken.
        auto finish = [&window, shotPath] {
            QTimer::singleShot(300, &window, [&window, shotPath] {
                bool saved = saveScreenshot(window, shotPath);
                if (!saved) fprintf(stderr, "error: cannot write screenshot %s\n", qPrintable(shotPath));
                QApplication::exit(saved ? 0 : 2);
            });
        };
        auto* bench = window.benchmarkView();
        if (models.isEmpty()) {
            QTimer::singleShot(0, &window, finish);
        } else if (startView == MainWindow::View::Chat) {
            // The chat is shot once the model is loaded, or once the answer
            // to --chat-prompt has streamed in.
            auto* chat = window.chatView();
            if (parser.isSet(chatPrompt))
                QObject::connect(chat, &litestudio::ui::ChatView::answerFinished, &window, finish);
            else
                QObject::connect(chat, &litestudio::ui::ChatView::modelLoaded, &window, finish);
            QObject::connect(&window, &MainWindow::fileShown, &window, [finish](const QString&, bool ok) {
                if (!ok) finish();
            });
        } else if (runs > 0 && startView == MainWindow::View::Benchmark) {
            // A live benchmark is shot half-way through one model's runs; a
            // batch of several models once they are all compared.
            if (models.size() > 1)
                QObject::connect(bench, &litestudio::ui::BenchmarkView::jobsFinished, &window, finish);
            else
                QObject::connect(bench, &litestudio::ui::BenchmarkView::sampleShown, &window, [finish, runs](int index) {
                    if (index + 1 == std::max(runs / 2, 1)) finish();
                });
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
    if (parser.isSet(benchmarkRuns) && runs < 1) {
        fprintf(stderr, "error: --benchmark-runs needs a whole number of at least 1\n");
        return 2;
    }
    if (runs > 0 && !models.isEmpty()) {
        QString last = QFileInfo(models.last()).absoluteFilePath();
        QObject::connect(&window, &MainWindow::fileShown, &window, [&window, last, runs](const QString& path) {
            if (path != last) return;
            auto* bench = window.benchmarkView();
            bench->addModels(window.openedFiles());
            bench->configure({"cpu"}, {1}, runs);
            bench->start();
        });
    }
    if (parser.isSet(chatPrompt)) {
        QString prompt = parser.value(chatPrompt);
        QObject::connect(window.chatView(), &litestudio::ui::ChatView::modelLoaded, &window,
                         [&window, prompt](bool ok) {
                             if (ok) window.chatView()->sendMessage(prompt);
                         });
    }
    if (parser.isSet(view) || !shotPath.isEmpty()) window.setView(startView);
    for (const QString& model : models) window.openFile(model);
    return app.exec();
}

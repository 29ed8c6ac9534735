// The main window opens models by path and by drop, offscreen.

#include <QListWidget>
#include <QMimeData>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QUrl>

#include "ui/graph/graph_view.h"
#include "ui/main_window.h"
#include "ui/overview/overview_view.h"

using litestudio::ui::MainWindow;

class MainWindowTest : public QObject {
    Q_OBJECT
private:
    static QString shared(const char* relative) {
        return QString(LITESTUDIO_SHARED_DIR) + "/models/" + relative;
    }
    static bool waitShown(MainWindow& window, QSignalSpy& spy) {
        Q_UNUSED(window);
        return spy.count() > 0 || spy.wait(10000);
    }

private slots:
    void initTestCase() {
        // Settings go to a scratch location, never the user's.
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("LiteStudioTest");
        QCoreApplication::setApplicationName("main_window_test");
        QSettings().clear();
    }

    void opensByPath() {
        MainWindow window;
        window.show();
        QSignalSpy spy(&window, &MainWindow::fileShown);
        window.openFile(shared("coral/mobilenet_v2_1.0_224_quant.tflite"));
        QVERIFY(waitShown(window, spy));
        QCOMPARE(spy.first().at(1).toBool(), true);
        QString text = window.overviewPlainText();
        qInfo() << "overview starts:" << text.left(120);
        QVERIFY(text.contains("mobilenet_v2_1.0_224_quant.tflite"));
        QVERIFY(text.contains("CONV_2D"));
        QVERIFY(text.contains("imagenet_labels.txt"));
        QVERIFY(text.contains("1001 lines"));
        QVERIFY(window.windowTitle().startsWith("mobilenet_v2_1.0_224_quant.tflite"));
        // The op histogram chart, most used type first.
        QStringList charted = window.overview()->chartedOps();
        qInfo() << "charted:" << charted;
        QCOMPARE(charted.value(0), QString("CONV_2D 36"));
        QCOMPARE(charted.value(1), QString("DEPTHWISE_CONV_2D 17"));
        // The graph view gets the same model and lays it out.
        window.setView(MainWindow::View::Graph);
        QTRY_VERIFY_WITH_TIMEOUT(window.graphView()->isReady(), 20000);
        qInfo() << "graph:" << window.graphView()->statusText();
        QVERIFY(window.graphView()->scene()->nodes.size() >= 65);
    }

    void dropsSeveralFilesAndRemembersThem() {
        QSettings().remove("recentFiles");
        {
            MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            QSignalSpy spy(&window, &MainWindow::fileShown);
            QMimeData mime;
            mime.setUrls({QUrl::fromLocalFile(shared("mediapipe/face_detection_short_range.tflite")),
                          QUrl::fromLocalFile(shared("mediapipe/iris_landmark.tflite"))});
            QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(&window, &enter);
            QVERIFY(enter.isAccepted());
            QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(&window, &drop);
            QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 2, 20000);
            QCOMPARE(window.openedFiles().size(), 2);
            QVERIFY(window.currentPath().endsWith("iris_landmark.tflite"));
            // Picking the first in the sidebar shows it again without reloading.
            auto* opened = window.findChild<QListWidget*>("openedModels");
            QCOMPARE(opened->count(), 2);
            QTRY_VERIFY(!opened->visualItemRect(opened->item(0)).isEmpty());
            QTest::mouseClick(opened->viewport(), Qt::LeftButton, {}, opened->visualItemRect(opened->item(0)).center());
            QVERIFY(window.currentPath().endsWith("face_detection_short_range.tflite"));
            QVERIFY(window.overviewPlainText().contains("face_detection_short_range.tflite"));
            window.setTheme(MainWindow::Theme::Dark);
        }
        // A new window (a restart) lists them as recent, newest first, and keeps the theme.
        MainWindow again;
        QStringList recent = again.recentFiles();
        qInfo() << "recent after restart:" << recent;
        QCOMPARE(recent.size(), 2);
        QVERIFY(recent[0].endsWith("iris_landmark.tflite"));
        QVERIFY(recent[1].endsWith("face_detection_short_range.tflite"));
        QCOMPARE(again.findChild<QListWidget*>("recentModels")->count(), 2);
        QCOMPARE(again.theme(), MainWindow::Theme::Dark);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 100);
        again.setTheme(MainWindow::Theme::System);
    }

    void opensByDrop() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy spy(&window, &MainWindow::fileShown);
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(shared("litert-testdata/simple_add_op.sm8750.tflite"))});
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        QVERIFY(waitShown(window, spy));
        QString text = window.overviewPlainText();
        QVERIFY(text.contains("Compiled for Qualcomm SM8750"));
        QVERIFY(text.contains("qnn_partition_0"));
    }

    void showsAClearErrorForBrokenFiles() {
        MainWindow window;
        window.show();
        QSignalSpy spy(&window, &MainWindow::fileShown);
        window.openFile(shared("litert-testdata/testdata_segment_sum_invalid_buffer.bin"));
        QVERIFY(waitShown(window, spy));
        QCOMPARE(spy.first().at(1).toBool(), false);
        QVERIFY(window.isShowingError());
        QString text = window.overviewPlainText();
        qInfo() << "error panel:" << text;
        QVERIFY(text.contains("cannot be opened"));
        QVERIFY(text.contains("'pyx/y', which has no data"));
    }

    void ignoresDropsWithoutFiles() {
        MainWindow window;
        QMimeData mime;
        mime.setText("just text");
        QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        enter.setAccepted(false);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(!enter.isAccepted());
    }
};

QTEST_MAIN(MainWindowTest)
#include "main_window_test.moc"

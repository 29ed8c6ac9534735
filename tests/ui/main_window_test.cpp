// The main window opens models by path and by drop, offscreen.

#include <QMimeData>
#include <QSignalSpy>
#include <QTest>
#include <QUrl>

#include "ui/main_window.h"

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

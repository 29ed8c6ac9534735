// The chat view with a generated tiny Gemma, offscreen: send and stream,
// stop, regenerate (the same seed gives the same answer), edit and resend,
// history after a restart, export, and a clear message for a file that is
// not an LLM bundle.

#include <QFile>
#include <QJsonDocument>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "core/support/atomic_file.h"
#include "genai/gemma_builder.h"
#include "genai/tokenizer_corpus.h"
#include "ui/chat/chat_view.h"

using namespace litestudio;
using litestudio::ui::ChatView;

class ChatViewTest : public QObject {
    Q_OBJECT
private:
    QTemporaryDir folder_;
    QString bundle_;
    QString database() const { return folder_.filePath("history.sqlite"); }
    bool load(ChatView& view, const QString& path) {
        QSignalSpy loaded(&view, &ChatView::modelLoaded);
        view.setModelPath(path);
        return (loaded.count() > 0 || loaded.wait(30000)) && loaded.last().at(0).toBool();
    }
    static bool answer(ChatView& view, const std::function<void()>& action) {
        QSignalSpy finished(&view, &ChatView::answerFinished);
        action();
        return finished.count() > 0 || finished.wait(30000);
    }

private slots:
    void initTestCase() {
        QVERIFY(folder_.isValid());
        auto bytes = genai::buildGemmaBundle("tiny", genai::tokenizerCorpus());
        QVERIFY(bytes.hasValue());
        bundle_ = folder_.filePath("tiny.litertlm");
        QVERIFY(writeFileAtomically(bundle_.toStdString(), bytes->data(), bytes->size()).isOk());
    }

    void sendsAndStreams() {
        ChatView view(database());
        view.resize(1000, 700);
        view.show();
        QVERIFY(load(view, bundle_));
        QSignalSpy streamed(&view, &ChatView::textStreamed);
        QVERIFY(answer(view, [&] { view.sendMessage("Hello! How are you today?"); }));
        qInfo() << "streamed updates:" << streamed.count() << "context used:" << view.contextUsed();
        QVERIFY(streamed.count() > 1);
        auto messages = view.store().messages(view.currentConversation());
        QCOMPARE(messages.size(), size_t(2));
        QCOMPARE(messages[0].role, QString("user"));
        QCOMPARE(messages[1].role, QString("model"));
        QVERIFY(!messages[1].text.isEmpty());
        qInfo() << "stats:" << messages[1].stats;
        QVERIFY(messages[1].stats.contains("first token"));
        QVERIFY(messages[1].stats.contains("decode"));
        QVERIFY(view.transcriptText().contains("Hello! How are you today?"));
        QVERIFY(view.transcriptText().contains(messages[1].stats.left(20)));
        QVERIFY(view.contextUsed() > 10);
        // The conversation is named after its first message.
        QVERIFY(view.store().conversation(view.currentConversation())->title.startsWith("Hello! How are you"));
    }

    void stopsMidAnswer() {
        ChatView view(database());
        view.show();
        QVERIFY(load(view, bundle_));
        // Generation is fast on the tiny model: stop at the first streamed
        // text, and try again if the answer was already complete.
        bool stopped = false;
        for (int attempt = 0; attempt < 8 && !stopped; ++attempt) {
            view.newConversation();
            QMetaObject::Connection once = connect(&view, &ChatView::textStreamed, &view, [&view] { view.stop(); });
            QVERIFY(answer(view, [&] { view.sendMessage("Tell me a long story about the river."); }));
            disconnect(once);
            auto messages = view.store().messages(view.currentConversation());
            QCOMPARE(messages.size(), size_t(2));
            stopped = messages[1].stats.contains("stopped");
            qInfo() << "attempt" << attempt << messages[1].stats;
        }
        QVERIFY(stopped);
        QVERIFY(!view.isGenerating());
    }

    void regeneratesAndEdits() {
        ChatView view(database());
        view.show();
        QVERIFY(load(view, bundle_));
        view.newConversation();
        ui::ChatSettings settings;
        settings.maxTokens = 12;  // room for several turns in the tiny model's 128 tokens
        view.applySettings(settings);
        QVERIFY(answer(view, [&] { view.sendMessage("What is two plus two?"); }));
        QString first = view.store().messages(view.currentConversation()).back().text;
        QVERIFY(answer(view, [&] { view.regenerate(); }));
        auto messages = view.store().messages(view.currentConversation());
        QCOMPARE(messages.size(), size_t(2));
        QCOMPARE(messages.back().text, first);  // the same seed, the same answer
        view.editLastUserMessage();
        QCOMPARE(view.inputText(), QString("What is two plus two?"));
        QCOMPARE(view.store().messages(view.currentConversation()).size(), size_t(0));
        QVERIFY(answer(view, [&] { view.sendMessage("What is three times seven?"); }));
        messages = view.store().messages(view.currentConversation());
        QCOMPARE(messages.size(), size_t(2));
        QCOMPARE(messages[0].text, QString("What is three times seven?"));
        // A second turn reuses the cache: the context keeps growing.
        int before = view.contextUsed();
        QVERIFY(answer(view, [&] { view.sendMessage("Thanks."); }));
        qInfo() << "context used after turns:" << before << view.contextUsed();
        QVERIFY(view.contextUsed() > before);
        // A prompt that no longer fits gets a clear message, not a crash.
        QVERIFY(answer(view, [&] { view.sendMessage(QString("The sea is wide and grey and slow. ").repeated(8)); }));
        qInfo() << "full:" << view.statusText();
        QVERIFY(view.statusText().contains("context window"));
    }

    void historySurvivesARestartAndExports() {
        qint64 id = 0;
        {
            ChatView view(database());
            QVERIFY(load(view, bundle_));
            view.newConversation();
            id = view.currentConversation();
            QVERIFY(answer(view, [&] { view.sendMessage("Good night."); }));
        }
        ChatView again(database());
        bool found = false;
        for (const auto& c : again.store().conversations("Good night")) found = found || c.id == id;
        QVERIFY(found);
        again.selectConversation(id);
        QVERIFY(again.transcriptText().contains("Good night."));
        QCOMPARE(again.store().integrityCheck(), QString("ok"));
        QString md = folder_.filePath("chat.md"), json = folder_.filePath("chat.json"), error;
        QVERIFY2(again.exportConversation(md, &error), qPrintable(error));
        QVERIFY2(again.exportConversation(json, &error), qPrintable(error));
        QFile jsonFile(json);
        QVERIFY(jsonFile.open(QIODevice::ReadOnly));
        QJsonObject exported = QJsonDocument::fromJson(jsonFile.readAll()).object();
        QCOMPARE(exported["messages"].toArray().size(), 2);
        QCOMPARE(exported["messages"].toArray()[0].toObject()["text"].toString(), QString("Good night."));
        QFile mdFile(md);
        QVERIFY(mdFile.open(QIODevice::ReadOnly));
        QVERIFY(mdFile.readAll().contains("## You\n\nGood night."));
    }

    void refusesFilesThatAreNotLlmBundles() {
        ChatView view(database());
        QSignalSpy loaded(&view, &ChatView::modelLoaded);
        view.setModelPath(QString(LITESTUDIO_SOURCE_DIR) + "/resources/samples/sample_classifier.tflite");
        QVERIFY(loaded.count() > 0 || loaded.wait(20000));
        QCOMPARE(loaded.last().at(0).toBool(), false);
        qInfo() << loaded.last().at(1).toString();
        QVERIFY(loaded.last().at(1).toString().contains("not an LLM bundle"));
        QVERIFY(!view.isModelReady());
    }
};

QTEST_MAIN(ChatViewTest)
#include "chat_view_test.moc"

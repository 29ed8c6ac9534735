#pragma once
// The Chat view: talk to a local LLM bundle. Conversations (new, rename,
// delete, search, export) live in SQLite; answers stream in as Markdown with
// their speed underneath (time to first token, prefill and decode tokens/s,
// token count); stop, regenerate, edit-and-resend, copy a message or a code
// block; a system prompt and sampler settings per conversation, and a gauge
// of the context window used. Loading and generation run on worker threads.

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QWidget>

#include <memory>

#include "core/support/status.h"
#include "genai/llm_session.h"
#include "ui/chat/chat_store.h"

class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTextBrowser;

namespace litestudio::ui {

class ChatView : public QWidget {
    Q_OBJECT
public:
    explicit ChatView(const QString& databasePath, QWidget* parent = nullptr);
    ~ChatView() override;

    void setModelPath(const QString& path);  // loads on a worker; "" unloads
    bool isModelReady() const { return session_ != nullptr && !loader_.isRunning(); }
    QString modelPath() const { return modelPath_; }

    void newConversation();
    void selectConversation(qint64 id);
    qint64 currentConversation() const { return conversation_; }
    void sendMessage(const QString& text);
    void stop();
    void regenerate();
    void editLastUserMessage();  // puts it back in the input box and drops it and what followed
    bool isGenerating() const { return generating_; }
    bool exportConversation(const QString& path, QString* error = nullptr);
    // The controls' settings, saved with the current conversation.
    void applySettings(const ChatSettings& settings);

    ChatStore& store() { return store_; }
    QString transcriptText() const;
    QString inputText() const;
    QString statusText() const;
    int contextUsed() const;

signals:
    void modelLoaded(bool ok, const QString& message);
    void answerFinished();
    void textStreamed(int characters);  // the answer so far grew

private:
    void refreshConversations();
    void renderTranscript();
    void generate();
    void onText(const QString& piece);
    void generationFinished();
    ChatSettings settingsFromControls() const;
    void showSettings(const ChatSettings& settings);
    void updateControls();

    ChatStore store_;
    QString modelPath_;
    std::shared_ptr<genai::LlmSession> session_;
    QFutureWatcher<Expected<std::shared_ptr<genai::LlmSession>>> loader_;
    QFutureWatcher<Expected<genai::GenerationStats>> generator_;
    qint64 conversation_ = 0;
    qint64 answerId_ = 0;
    QString answer_;
    bool generating_ = false;
    // What the session's KV cache holds: this conversation's first N messages.
    qint64 cachedConversation_ = 0;
    size_t cachedMessages_ = 0;
    QElapsedTimer sinceRendered_;

    QLineEdit* search_ = nullptr;
    QListWidget* list_ = nullptr;
    QLabel* modelLabel_ = nullptr;
    QProgressBar* loading_ = nullptr;
    QPushButton* cancelLoad_ = nullptr;
    QLineEdit* system_ = nullptr;
    QDoubleSpinBox* temperature_ = nullptr;
    QSpinBox* topK_ = nullptr;
    QDoubleSpinBox* topP_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QSpinBox* maxTokens_ = nullptr;
    QProgressBar* context_ = nullptr;
    QTextBrowser* transcript_ = nullptr;
    QPlainTextEdit* input_ = nullptr;
    QPushButton* send_ = nullptr;
    QPushButton* stop_ = nullptr;
    QPushButton* regenerate_ = nullptr;
    QPushButton* edit_ = nullptr;
    QLabel* status_ = nullptr;
};

}  // namespace litestudio::ui

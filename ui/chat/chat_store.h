#pragma once
// Conversations and their messages, in the same SQLite database as the
// benchmark history (WAL, synchronous commits). An answer is stored while
// it streams, each part before it is drawn, so a crash mid-answer loses
// nothing already on screen.

#include <QDateTime>
#include <QString>

#include <optional>
#include <vector>

#include "ui/storage/sqlite_connection.h"

namespace litestudio::ui {

struct ChatSettings {
    QString systemPrompt;
    double temperature = 0.8;
    int topK = 40;
    double topP = 0.95;
    qint64 seed = 0;
    int maxTokens = 256;
};

struct StoredMessage {
    qint64 id = 0;
    QString role;   // "user" or "model"
    QString text;
    QString stats;  // for answers: "first token 12 ms · prefill 850 tok/s · decode 42 tok/s · 57 tokens"
};

struct Conversation {
    qint64 id = 0;
    QString title;
    QString modelPath;
    ChatSettings settings;
    QDateTime updatedAt;
};

class ChatStore {
public:
    ChatStore() = default;
    ChatStore(const ChatStore&) = delete;
    ChatStore& operator=(const ChatStore&) = delete;

    bool open(const QString& path, QString* error = nullptr);
    bool isOpen() const { return connection_.isOpen(); }

    qint64 createConversation(const QString& title, const QString& modelPath, const ChatSettings& settings);
    bool renameConversation(qint64 id, const QString& title);
    bool deleteConversation(qint64 id);
    bool saveSettings(qint64 id, const ChatSettings& settings);
    std::vector<Conversation> conversations(const QString& search = {}) const;  // newest first; search titles and text
    std::optional<Conversation> conversation(qint64 id) const;

    std::vector<StoredMessage> messages(qint64 conversation) const;
    qint64 addMessage(qint64 conversation, const QString& role, const QString& text);
    bool updateMessage(qint64 message, const QString& text, const QString& stats = {});
    // Removes `message` and every later one (regenerate, edit and resend).
    bool truncateFrom(qint64 conversation, qint64 message);

    QString integrityCheck() const;

private:
    bool touch(qint64 conversation);
    SqliteConnection connection_;
};

}  // namespace litestudio::ui

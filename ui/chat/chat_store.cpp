#include "ui/chat/chat_store.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace litestudio::ui {

namespace {

const char* const kSchema[] = {
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "CREATE TABLE IF NOT EXISTS conversations ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, model_path TEXT NOT NULL,"
    " system_prompt TEXT NOT NULL DEFAULT '', temperature REAL NOT NULL, top_k INTEGER NOT NULL,"
    " top_p REAL NOT NULL, seed INTEGER NOT NULL, max_tokens INTEGER NOT NULL,"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS messages ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
    " role TEXT NOT NULL, text TEXT NOT NULL, stats TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id)",
};

QString now() { return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs); }

}  // namespace

bool ChatStore::open(const QString& path, QString* error) {
    return connection_.open(path, kSchema, error);
}

qint64 ChatStore::createConversation(const QString& title, const QString& modelPath, const ChatSettings& settings) {
    QSqlQuery query(connection_.database());
    query.prepare("INSERT INTO conversations (title, model_path, system_prompt, temperature, top_k, top_p, seed, max_tokens,"
                  " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const QVariant& value : {QVariant(title), QVariant(modelPath), QVariant(settings.systemPrompt), QVariant(settings.temperature),
                                  QVariant(settings.topK), QVariant(settings.topP), QVariant(settings.seed),
                                  QVariant(settings.maxTokens), QVariant(now()), QVariant(now())})
        query.addBindValue(value);
    return query.exec() ? query.lastInsertId().toLongLong() : 0;
}

bool ChatStore::renameConversation(qint64 id, const QString& title) {
    QSqlQuery query(connection_.database());
    query.prepare("UPDATE conversations SET title = ? WHERE id = ?");
    query.addBindValue(title);
    query.addBindValue(id);
    return query.exec() && query.numRowsAffected() == 1;
}

bool ChatStore::deleteConversation(qint64 id) {
    QSqlQuery query(connection_.database());
    query.prepare("DELETE FROM conversations WHERE id = ?");
    query.addBindValue(id);
    return query.exec() && query.numRowsAffected() == 1;
}

bool ChatStore::saveSettings(qint64 id, const ChatSettings& settings) {
    QSqlQuery query(connection_.database());
    query.prepare("UPDATE conversations SET system_prompt = ?, temperature = ?, top_k = ?, top_p = ?, seed = ?, max_tokens = ?"
                  " WHERE id = ?");
    for (const QVariant& value : {QVariant(settings.systemPrompt), QVariant(settings.temperature), QVariant(settings.topK),
                                  QVariant(settings.topP), QVariant(settings.seed), QVariant(settings.maxTokens), QVariant(id)})
        query.addBindValue(value);
    return query.exec();
}

std::vector<Conversation> ChatStore::conversations(const QString& search) const {
    std::vector<Conversation> list;
    QSqlQuery query(connection_.database());
    QString sql = "SELECT id, title, model_path, system_prompt, temperature, top_k, top_p, seed, max_tokens, updated_at"
                  " FROM conversations";
    if (!search.isEmpty())
        sql += " WHERE title LIKE :title OR id IN (SELECT conversation_id FROM messages WHERE text LIKE :text)";
    query.prepare(sql + " ORDER BY updated_at DESC, id DESC");
    if (!search.isEmpty()) {
        query.bindValue(":title", "%" + search + "%");
        query.bindValue(":text", "%" + search + "%");
    }
    if (!query.exec()) return list;
    while (query.next()) {
        Conversation c;
        c.id = query.value(0).toLongLong();
        c.title = query.value(1).toString();
        c.modelPath = query.value(2).toString();
        c.settings = {query.value(3).toString(), query.value(4).toDouble(), query.value(5).toInt(),
                      query.value(6).toDouble(), query.value(7).toLongLong(), query.value(8).toInt()};
        c.updatedAt = QDateTime::fromString(query.value(9).toString(), Qt::ISODateWithMs);
        list.push_back(std::move(c));
    }
    return list;
}

std::optional<Conversation> ChatStore::conversation(qint64 id) const {
    for (const Conversation& c : conversations())
        if (c.id == id) return c;
    return std::nullopt;
}

std::vector<StoredMessage> ChatStore::messages(qint64 conversation) const {
    std::vector<StoredMessage> list;
    QSqlQuery query(connection_.database());
    query.prepare("SELECT id, role, text, stats FROM messages WHERE conversation_id = ? ORDER BY id");
    query.addBindValue(conversation);
    if (!query.exec()) return list;
    while (query.next())
        list.push_back({query.value(0).toLongLong(), query.value(1).toString(), query.value(2).toString(), query.value(3).toString()});
    return list;
}

bool ChatStore::touch(qint64 conversation) {
    QSqlQuery query(connection_.database());
    query.prepare("UPDATE conversations SET updated_at = ? WHERE id = ?");
    query.addBindValue(now());
    query.addBindValue(conversation);
    return query.exec();
}

qint64 ChatStore::addMessage(qint64 conversation, const QString& role, const QString& text) {
    QSqlQuery query(connection_.database());
    query.prepare("INSERT INTO messages (conversation_id, role, text, created_at) VALUES (?, ?, ?, ?)");
    query.addBindValue(conversation);
    query.addBindValue(role);
    query.addBindValue(text);
    query.addBindValue(now());
    if (!query.exec()) return 0;
    qint64 id = query.lastInsertId().toLongLong();
    touch(conversation);
    return id;
}

bool ChatStore::updateMessage(qint64 message, const QString& text, const QString& stats) {
    QSqlQuery query(connection_.database());
    query.prepare("UPDATE messages SET text = ?, stats = ? WHERE id = ?");
    query.addBindValue(text);
    query.addBindValue(stats);
    query.addBindValue(message);
    return query.exec();
}

bool ChatStore::truncateFrom(qint64 conversation, qint64 message) {
    QSqlQuery query(connection_.database());
    query.prepare("DELETE FROM messages WHERE conversation_id = ? AND id >= ?");
    query.addBindValue(conversation);
    query.addBindValue(message);
    return query.exec();
}

QString ChatStore::integrityCheck() const { return connection_.integrityCheck(); }

}  // namespace litestudio::ui

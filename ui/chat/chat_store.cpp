#include "ui/chat/chat_store.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
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

ChatStore::~ChatStore() {
    if (connection_.isEmpty()) return;
    {
        QSqlDatabase db = QSqlDatabase::database(connection_, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(connection_);
}

bool ChatStore::open(const QString& path, QString* error) {
    if (!QDir().mkpath(QFileInfo(path).absolutePath())) {
        if (error) *error = "cannot create the folder of " + path;
        return false;
    }
    QString name = "chats-" + QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", name);
        db.setDatabaseName(path);
        bool ok = db.open();
        QSqlQuery query(db);
        for (const char* statement : kSchema) {
            if (!ok) break;
            ok = query.exec(statement);
        }
        if (!ok) {
            if (error) *error = "cannot use " + path + ": " + (query.lastError().isValid() ? query.lastError().text() : db.lastError().text());
            query = QSqlQuery();
            db.close();
        }
        if (!ok) {
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(name);
            return false;
        }
    }
    connection_ = name;
    return true;
}

qint64 ChatStore::createConversation(const QString& title, const QString& modelPath, const ChatSettings& settings) {
    QSqlQuery query(QSqlDatabase::database(connection_));
    query.prepare("INSERT INTO conversations (title, model_path, system_prompt, temperature, top_k, top_p, seed, max_tokens,"
                  " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const QVariant& value : {QVariant(title), QVariant(modelPath), QVariant(settings.systemPrompt), QVariant(settings.temperature),
                                  QVariant(settings.topK), QVariant(settings.topP), QVariant(settings.seed),
                                  QVariant(settings.maxTokens), QVariant(now()), QVariant(now())})
        query.addBindValue(value);
    return query.exec() ? query.lastInsertId().toLongLong() : 0;
}

bool ChatStore::renameConversation(qint64 id, const QString& title) {
    QSqlQuery query(QSqlDatabase::database(connection_));
    query.prepare("UPDATE conversations SET title = ? WHERE id = ?");
    query.addBindValue(title);
    query.addBindValue(id);
    return query.exec() && query.numRowsAffected() == 1;
}

bool ChatStore::deleteConversation(qint64 id) {
    QSqlQuery query(QSqlDatabase::database(connection_));
    query.prepare("DELETE FROM conversations WHERE id = ?");
    query.addBindValue(id);
    return query.exec() && query.numRowsAffected() == 1;
}

bool ChatStore::saveSettings(qint64 id, const ChatSettings& settings) {
    QSqlQuery query(QSqlDatabase::database(connection_));
    query.prepare("UPDATE conversations SET system_prompt = ?, temperature = ?, top_k = ?, top_p = ?, seed = ?, max_tokens = ?"
                  " WHERE id = ?");
    for (const QVariant& value : {QVariant(settings.systemPrompt), QVariant(settings.temperature), QVariant(settings.topK),
                                  QVariant(settings.topP), QVariant(settings.seed), QVariant(settings.maxTokens), QVariant(id)})
        query.addBindValue(value);
    return query.exec();
}

std::vector<Conversation> ChatStore::conversations(const QString& search) const {
    std::vector<Conversation> list;
    QSqlQuery query(QSqlDatabase::database(connection_));
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
    QSqlQuery query(QSqlDatabase::database(connection_));
    query.prepare("SELECT id, role, text, stats FROM messages WHERE conversation_id = ? ORDER BY id");
    query.addBindValue(conversation);
    if (!query.exec()) return list;
    while (query.next())
        list.push_back({query.value(0).toLongLong(), query.value(1).toString(), query.value(2).toString(), query.value(3).toString()});
    return list;
}

bool ChatStore::touch(qint64 conversation) {
    QSqlQuery query(QSqlDatabase::database(connection_));
    query.prepare("UPDATE conversations SET updated_at = ? WHERE id = ?");
    query.addBindValue(now());
    query.addBindValue(conversation);
    return query.exec();
}

qint64 ChatStore::addMessage(qint64 conversation, const QString& role, const QString& text) {
    QSqlQuery query(QSqlDatabase::database(connection_));
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
    QSqlQuery query(QSqlDatabase::database(connection_));
    query.prepare("UPDATE messages SET text = ?, stats = ? WHERE id = ?");
    query.addBindValue(text);
    query.addBindValue(stats);
    query.addBindValue(message);
    return query.exec();
}

bool ChatStore::truncateFrom(qint64 conversation, qint64 message) {
    QSqlQuery query(QSqlDatabase::database(connection_));
    query.prepare("DELETE FROM messages WHERE conversation_id = ? AND id >= ?");
    query.addBindValue(conversation);
    query.addBindValue(message);
    return query.exec();
}

QString ChatStore::integrityCheck() const {
    QSqlQuery query(QSqlDatabase::database(connection_));
    if (!query.exec("PRAGMA integrity_check") || !query.next()) return query.lastError().text();
    return query.value(0).toString();
}

}  // namespace litestudio::ui

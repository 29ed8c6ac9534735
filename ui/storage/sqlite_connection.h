#pragma once
// One QtSql connection to a SQLite file in the user's data folder, opened
// with a schema (write-ahead log, synchronous commits, tables created if
// missing), and removed again when the owner goes. The benchmark history
// and the chat store each hold one on the same file.

#include <QSqlDatabase>
#include <QString>

#include <span>

namespace litestudio::ui {

class SqliteConnection {
public:
    SqliteConnection() = default;
    ~SqliteConnection();
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    // Creates the file's folder, opens it and runs `schema` in order.
    bool open(const QString& path, std::span<const char* const> schema, QString* error);
    bool isOpen() const { return !name_.isEmpty(); }
    QSqlDatabase database() const { return QSqlDatabase::database(name_); }
    // "ok" when SQLite finds nothing wrong.
    QString integrityCheck() const;

private:
    QString name_;
};

}  // namespace litestudio::ui

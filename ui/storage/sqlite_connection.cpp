#include "ui/storage/sqlite_connection.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

namespace litestudio::ui {

SqliteConnection::~SqliteConnection() {
    if (name_.isEmpty()) return;
    {
        QSqlDatabase db = QSqlDatabase::database(name_, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(name_);
}

bool SqliteConnection::open(const QString& path, std::span<const char* const> schema, QString* error) {
    if (!QDir().mkpath(QFileInfo(path).absolutePath())) {
        if (error) *error = "cannot create the folder of " + path;
        return false;
    }
    // Each owner has its own connection name: QtSql connections are per name.
    QString name = "litestudio-" + QUuid::createUuid().toString(QUuid::WithoutBraces);
    QString problem;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", name);
        db.setDatabaseName(path);
        if (!db.open()) {
            problem = "cannot open " + path + ": " + db.lastError().text();
        } else {
            QSqlQuery query(db);
            for (const char* statement : schema)
                if (!query.exec(statement)) {
                    problem = path + " cannot be used: " + query.lastError().text();
                    break;
                }
        }
        if (!problem.isEmpty()) db.close();
    }
    if (!problem.isEmpty()) {
        QSqlDatabase::removeDatabase(name);
        if (error) *error = problem;
        return false;
    }
    name_ = name;
    return true;
}

QString SqliteConnection::integrityCheck() const {
    QSqlQuery query(database());
    if (!query.exec("PRAGMA integrity_check") || !query.next()) return query.lastError().text();
    return query.value(0).toString();
}

}  // namespace litestudio::ui

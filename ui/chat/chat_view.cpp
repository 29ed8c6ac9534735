#include "ui/chat/chat_view.h"

#include <QApplication>
#include <QClipboard>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QScrollBar>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace litestudio::ui {

namespace {

constexpr qint64 kRenderEveryMs = 40;  // re-rendering Markdown (and saving) per token would stall long answers

QString statsLine(const genai::GenerationStats& s) {
    return QString("first token %1 ms · prefill %2 tok/s · decode %3 tok/s · %4 tokens")
        .arg(s.timeToFirstTokenMs, 0, 'f', 1)
        .arg(s.prefillTokensPerSecond(), 0, 'f', 1)
        .arg(s.decodeTokensPerSecond(), 0, 'f', 1)
        .arg(s.generatedTokens);
}

QStringList codeBlocks(const QString& markdown) {
    QStringList blocks;
    static const QRegularExpression fenced("```[^\\n]*\\n(.*?)```", QRegularExpression::DotMatchesEverythingOption);
    for (auto it = fenced.globalMatch(markdown); it.hasNext();) blocks << it.next().captured(1);
    return blocks;
}

}  // namespace

ChatView::ChatView(const QString& databasePath, QWidget* parent) : QWidget(parent) {
    setObjectName("chatView");
    QString error;
    bool stored = store_.open(databasePath, &error);

    auto* layout = new QHBoxLayout(this);
    auto* splitter = new QSplitter(this);
    auto* side = new QWidget(splitter);
    side->setMaximumWidth(300);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    search_ = new QLineEdit(side);
    search_->setPlaceholderText("Search conversations");
    search_->setClearButtonEnabled(true);
    list_ = new QListWidget(side);
    list_->setObjectName("conversations");
    auto* sideButtons = new QHBoxLayout;
    auto* newButton = new QPushButton("New", side);
    auto* rename = new QPushButton("Rename…", side);
    auto* remove = new QPushButton("Delete", side);
    auto* exportButton = new QPushButton("Export…", side);
    for (QPushButton* button : {newButton, rename, remove, exportButton}) sideButtons->addWidget(button);
    sideLayout->addWidget(search_);
    sideLayout->addWidget(list_, 1);
    sideLayout->addLayout(sideButtons);

    auto* main = new QWidget(splitter);
    auto* mainLayout = new QVBoxLayout(main);
    mainLayout->setContentsMargins(0, 0, 0, 0);
    auto* modelRow = new QHBoxLayout;
    modelLabel_ = new QLabel("No model: open a .litertlm LLM bundle", main);
    modelLabel_->setObjectName("chatModel");
    modelLabel_->setWordWrap(true);
    loading_ = new QProgressBar(main);
    loading_->setRange(0, 0);
    loading_->setMaximumWidth(140);
    loading_->hide();
    cancelLoad_ = new QPushButton("Cancel", main);
    cancelLoad_->hide();
    context_ = new QProgressBar(main);
    context_->setObjectName("contextGauge");
    context_->setFormat("context %v/%m");
    context_->setMinimumWidth(150);
    context_->setMaximumWidth(200);
    context_->setRange(0, 1);
    context_->setValue(0);
    modelRow->addWidget(modelLabel_, 1);
    modelRow->addWidget(loading_);
    modelRow->addWidget(cancelLoad_);
    modelRow->addWidget(context_);
    mainLayout->addLayout(modelRow);

    auto* settings = new QHBoxLayout;
    system_ = new QLineEdit(main);
    system_->setPlaceholderText("System prompt (folded into the first turn)");
    temperature_ = new QDoubleSpinBox(main);
    temperature_->setRange(0, 2);
    temperature_->setSingleStep(0.1);
    temperature_->setValue(0.8);
    topK_ = new QSpinBox(main);
    topK_->setRange(0, 1000);
    topK_->setValue(40);
    topP_ = new QDoubleSpinBox(main);
    topP_->setRange(0.01, 1);
    topP_->setSingleStep(0.05);
    topP_->setValue(0.95);
    seed_ = new QSpinBox(main);
    seed_->setRange(0, 1 << 30);
    maxTokens_ = new QSpinBox(main);
    maxTokens_->setRange(1, 100000);
    maxTokens_->setValue(256);
    settings->addWidget(system_, 1);
    for (auto [label, widget] : std::initializer_list<std::pair<const char*, QWidget*>>{
             {"T", temperature_}, {"top-k", topK_}, {"top-p", topP_}, {"seed", seed_}, {"max", maxTokens_}}) {
        settings->addWidget(new QLabel(label, main));
        settings->addWidget(widget);
    }
    mainLayout->addLayout(settings);

    transcript_ = new QTextBrowser(main);
    transcript_->setObjectName("transcript");
    transcript_->setOpenLinks(false);
    mainLayout->addWidget(transcript_, 1);
    input_ = new QPlainTextEdit(main);
    input_->setObjectName("chatInput");
    input_->setPlaceholderText("Message (Ctrl+Enter sends)");
    input_->setMaximumHeight(90);
    mainLayout->addWidget(input_);
    auto* actions = new QHBoxLayout;
    status_ = new QLabel(stored ? QString() : "Conversations are not saved: " + error, main);
    send_ = new QPushButton("Send", main);
    stop_ = new QPushButton("Stop", main);
    regenerate_ = new QPushButton("Regenerate", main);
    edit_ = new QPushButton("Edit last", main);
    actions->addWidget(status_, 1);
    for (QPushButton* button : {edit_, regenerate_, stop_, send_}) actions->addWidget(button);
    mainLayout->addLayout(actions);
    splitter->addWidget(side);
    splitter->addWidget(main);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({230, 800});
    layout->addWidget(splitter);

    connect(search_, &QLineEdit::textChanged, this, &ChatView::refreshConversations);
    connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0) selectConversation(list_->item(row)->data(Qt::UserRole).toLongLong());
    });
    connect(newButton, &QPushButton::clicked, this, &ChatView::newConversation);
    connect(rename, &QPushButton::clicked, this, [this] {
        auto c = store_.conversation(conversation_);
        if (!c) return;
        bool ok = false;
        QString title = QInputDialog::getText(this, "Rename conversation", "Title", QLineEdit::Normal, c->title, &ok);
        if (ok && !title.trimmed().isEmpty()) store_.renameConversation(conversation_, title.trimmed());
        refreshConversations();
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        if (!conversation_ || generating_) return;
        store_.deleteConversation(conversation_);
        conversation_ = 0;
        refreshConversations();
        renderTranscript();
    });
    connect(exportButton, &QPushButton::clicked, this, [this] {
        QString path = QFileDialog::getSaveFileName(this, "Export conversation", "conversation.md", "Markdown (*.md);;JSON (*.json)");
        QString error;
        if (!path.isEmpty() && !exportConversation(path, &error)) QMessageBox::warning(this, "Export conversation", error);
    });
    connect(send_, &QPushButton::clicked, this, [this] { sendMessage(input_->toPlainText()); });
    auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), input_);
    connect(shortcut, &QShortcut::activated, send_, &QPushButton::click);
    connect(stop_, &QPushButton::clicked, this, &ChatView::stop);
    connect(regenerate_, &QPushButton::clicked, this, &ChatView::regenerate);
    connect(edit_, &QPushButton::clicked, this, &ChatView::editLastUserMessage);
    connect(cancelLoad_, &QPushButton::clicked, this, [this] {
        // The load finishes in the background; its result is dropped.
        modelPath_.clear();
        loading_->hide();
        cancelLoad_->hide();
        modelLabel_->setText("Loading cancelled");
        updateControls();
    });
    connect(transcript_, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
        QStringList parts = url.toString().split(':');
        auto messages = store_.messages(conversation_);
        for (const StoredMessage& m : messages) {
            if (parts.size() >= 2 && QString::number(m.id) == parts[1]) {
                if (parts[0] == "copy") QApplication::clipboard()->setText(m.text);
                if (parts[0] == "copycode" && parts.size() == 3) QApplication::clipboard()->setText(codeBlocks(m.text).value(parts[2].toInt()));
                status_->setText("Copied");
            }
        }
    });
    for (QWidget* control : std::initializer_list<QWidget*>{temperature_, topK_, topP_, seed_, maxTokens_})
        connect(static_cast<QAbstractSpinBox*>(control), &QAbstractSpinBox::editingFinished, this, [this] {
            if (conversation_) store_.saveSettings(conversation_, settingsFromControls());
        });
    connect(system_, &QLineEdit::editingFinished, this, [this] {
        if (conversation_) store_.saveSettings(conversation_, settingsFromControls());
    });
    connect(&loader_, &QFutureWatcher<Expected<std::shared_ptr<genai::LlmSession>>>::finished, this, [this] {
        auto result = loader_.result();
        QString requested = loader_.property("path").toString();
        if (requested != modelPath_) return;  // cancelled or superseded
        loading_->hide();
        cancelLoad_->hide();
        if (!result) {
            session_.reset();
            modelLabel_->setText("Cannot chat with " + QFileInfo(requested).fileName() + ": " + QString::fromStdString(result.errorMessage()));
            emit modelLoaded(false, modelLabel_->text());
        } else {
            session_ = *result;
            cachedConversation_ = 0;
            context_->setRange(0, session_->contextLength());
            context_->setValue(0);
            modelLabel_->setText("<b>" + QFileInfo(requested).fileName() + "</b> · " + QString::number(session_->contextLength()) +
                                 "-token context · " + QString::number(session_->tokenizer()->vocabularySize()) + " pieces");
            emit modelLoaded(true, modelLabel_->text());
        }
        updateControls();
    });
    connect(&generator_, &QFutureWatcher<Expected<genai::GenerationStats>>::finished, this, &ChatView::generationFinished);
    refreshConversations();
    updateControls();
}

ChatView::~ChatView() {
    if (session_) session_->cancel();
    generator_.waitForFinished();
    loader_.waitForFinished();
}

void ChatView::setModelPath(const QString& path) {
    if (generating_) stop();
    generator_.waitForFinished();
    modelPath_ = path;
    session_.reset();
    if (path.isEmpty()) {
        modelLabel_->setText("No model: open a .litertlm LLM bundle");
        updateControls();
        return;
    }
    modelLabel_->setText("Loading " + QFileInfo(path).fileName() + "…");
    loading_->show();
    cancelLoad_->show();
    loader_.setProperty("path", path);
    loader_.setFuture(QtConcurrent::run([path]() -> Expected<std::shared_ptr<genai::LlmSession>> {
        auto session = genai::LlmSession::open(path.toStdString());
        if (!session) return session.status();
        return std::shared_ptr<genai::LlmSession>(std::move(*session));
    }));
    updateControls();
}

ChatSettings ChatView::settingsFromControls() const {
    return {system_->text(), temperature_->value(), topK_->value(), topP_->value(), seed_->value(), maxTokens_->value()};
}

void ChatView::showSettings(const ChatSettings& s) {
    system_->setText(s.systemPrompt);
    temperature_->setValue(s.temperature);
    topK_->setValue(s.topK);
    topP_->setValue(s.topP);
    seed_->setValue(static_cast<int>(s.seed));
    maxTokens_->setValue(s.maxTokens);
}

void ChatView::applySettings(const ChatSettings& settings) {
    showSettings(settings);
    if (conversation_) store_.saveSettings(conversation_, settings);
}

void ChatView::newConversation() {
    if (generating_) return;
    conversation_ = store_.createConversation("New conversation", modelPath_, settingsFromControls());
    refreshConversations();
    renderTranscript();
}

void ChatView::selectConversation(qint64 id) {
    if (generating_ || id == conversation_) return;
    auto c = store_.conversation(id);
    if (!c) return;
    conversation_ = id;
    showSettings(c->settings);
    renderTranscript();
    updateControls();
}

void ChatView::refreshConversations() {
    QSignalBlocker block(list_);
    list_->clear();
    for (const Conversation& c : store_.conversations(search_->text().trimmed())) {
        auto* item = new QListWidgetItem(c.title, list_);
        item->setData(Qt::UserRole, c.id);
        item->setToolTip(c.modelPath + "\n" + c.updatedAt.toLocalTime().toString("yyyy-MM-dd hh:mm"));
        if (c.id == conversation_) list_->setCurrentItem(item);
    }
}

void ChatView::sendMessage(const QString& text) {
    QString message = text.trimmed();
    if (message.isEmpty() || generating_ || !isModelReady()) return;
    if (!conversation_) newConversation();
    auto existing = store_.messages(conversation_);
    if (existing.empty()) {  // the first message names the conversation
        QString title = message.left(48).replace('\n', ' ');
        store_.renameConversation(conversation_, title + (message.size() > 48 ? "…" : ""));
    }
    store_.saveSettings(conversation_, settingsFromControls());
    store_.addMessage(conversation_, "user", message);
    input_->clear();
    refreshConversations();
    generate();
}

// Answers the conversation's last user message. The KV cache is reused when
// it holds exactly the messages before it; otherwise the whole history is
// fed again.
void ChatView::generate() {
    auto messages = store_.messages(conversation_);
    if (messages.empty() || messages.back().role != "user") return;
    ChatSettings s = settingsFromControls();
    std::vector<genai::ChatMessage> turn;
    size_t history = messages.size() - 1;
    bool reuse = cachedConversation_ == conversation_ && cachedMessages_ == history && session_->position() > 0;
    if (!reuse) {
        session_->reset();
        if (!s.systemPrompt.isEmpty()) turn.push_back({genai::ChatMessage::Role::System, s.systemPrompt.toStdString()});
        for (size_t i = 0; i < history; ++i)
            turn.push_back({messages[i].role == "user" ? genai::ChatMessage::Role::User : genai::ChatMessage::Role::Model,
                            messages[i].text.toStdString()});
    }
    turn.push_back({genai::ChatMessage::Role::User, messages.back().text.toStdString()});
    answer_.clear();
    answerId_ = store_.addMessage(conversation_, "model", "");
    generating_ = true;
    cachedConversation_ = 0;  // unknown until this answer ends
    sinceRendered_.start();
    renderTranscript();
    updateControls();
    status_->setText("Generating…");
    auto session = session_;
    QPointer<ChatView> self(this);
    genai::SamplerOptions sampling{static_cast<float>(s.temperature), s.topK, static_cast<float>(s.topP), static_cast<uint64_t>(s.seed)};
    int maxTokens = s.maxTokens;
    generator_.setFuture(QtConcurrent::run([session, turn, sampling, maxTokens, self] {
        return session->reply(turn, sampling, maxTokens, [self](const std::string& piece) {
            QString text = QString::fromStdString(piece);
            QMetaObject::invokeMethod(
                self, [self, text] {
                    if (self) self->onText(text);
                },
                Qt::QueuedConnection);
            return true;
        });
    }));
}

void ChatView::onText(const QString& piece) {
    answer_ += piece;
    emit textStreamed(static_cast<int>(answer_.size()));
    // Saved before it is drawn: what the screen shows is already on disk.
    if (sinceRendered_.elapsed() >= kRenderEveryMs) {
        store_.updateMessage(answerId_, answer_);
        renderTranscript();
        sinceRendered_.restart();
    }
}

void ChatView::generationFinished() {
    QCoreApplication::sendPostedEvents(this);  // text still queued from the worker
    auto result = generator_.result();
    generating_ = false;
    if (result) {
        store_.updateMessage(answerId_, answer_, statsLine(*result) + (result->stopReason == "end of turn" ? "" : " · " + QString::fromStdString(result->stopReason)));
        cachedConversation_ = conversation_;
        cachedMessages_ = store_.messages(conversation_).size();
        status_->setText(QString::fromStdString(result->stopReason));
    } else {
        store_.updateMessage(answerId_, answer_, "error: " + QString::fromStdString(result.errorMessage()));
        status_->setText(QString::fromStdString(result.errorMessage()));
        session_->reset();
    }
    context_->setValue(session_ ? session_->position() : 0);
    renderTranscript();
    updateControls();
    emit answerFinished();
}

void ChatView::stop() {
    if (generating_ && session_) session_->cancel();
}

void ChatView::regenerate() {
    if (generating_ || !conversation_ || !isModelReady()) return;
    auto messages = store_.messages(conversation_);
    if (messages.empty() || messages.back().role != "model") return;
    store_.truncateFrom(conversation_, messages.back().id);
    cachedConversation_ = 0;
    generate();
}

void ChatView::editLastUserMessage() {
    if (generating_ || !conversation_) return;
    auto messages = store_.messages(conversation_);
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
        if (it->role != "user") continue;
        input_->setPlainText(it->text);
        store_.truncateFrom(conversation_, it->id);
        cachedConversation_ = 0;
        renderTranscript();
        updateControls();
        return;
    }
}

void ChatView::renderTranscript() {
    QString markdown;
    auto messages = conversation_ ? store_.messages(conversation_) : std::vector<StoredMessage>{};
    for (const StoredMessage& m : messages) {
        bool answer = m.role == "model";
        QString text = answer && m.id == answerId_ && generating_ ? answer_ : m.text;
        markdown += answer ? "**Model**\n\n" : "**You**\n\n";
        markdown += (text.isEmpty() ? QString("…") : text) + "\n\n";
        QString links = "[copy](copy:" + QString::number(m.id) + ")";
        int blocks = static_cast<int>(codeBlocks(text).size());
        for (int b = 0; b < blocks; ++b) links += " · [copy code " + QString::number(b + 1) + "](copycode:" + QString::number(m.id) + ":" + QString::number(b) + ")";
        if (!m.stats.isEmpty()) markdown += "*" + m.stats + "* · ";
        markdown += links + "\n\n---\n\n";
    }
    if (messages.empty()) markdown = isModelReady() ? "*Say something to start.*" : "*Open a .litertlm LLM bundle to chat.*";
    QScrollBar* bar = transcript_->verticalScrollBar();
    bool atBottom = bar->value() >= bar->maximum() - 4;
    transcript_->setMarkdown(markdown);
    if (atBottom || generating_) bar->setValue(bar->maximum());
}

void ChatView::updateControls() {
    bool ready = isModelReady();
    send_->setEnabled(ready && !generating_);
    stop_->setEnabled(generating_);
    auto messages = conversation_ ? store_.messages(conversation_) : std::vector<StoredMessage>{};
    regenerate_->setEnabled(ready && !generating_ && !messages.empty() && messages.back().role == "model");
    edit_->setEnabled(!generating_ && !messages.empty());
}

QString ChatView::transcriptText() const { return transcript_->toPlainText(); }
QString ChatView::inputText() const { return input_->toPlainText(); }
QString ChatView::statusText() const { return status_->text(); }
int ChatView::contextUsed() const { return context_->value(); }

bool ChatView::exportConversation(const QString& path, QString* error) {
    auto c = store_.conversation(conversation_);
    if (!c) {
        if (error) *error = "no conversation selected";
        return false;
    }
    auto messages = store_.messages(conversation_);
    QByteArray bytes;
    if (path.endsWith(".json", Qt::CaseInsensitive)) {
        QJsonArray list;
        for (const StoredMessage& m : messages) list.append(QJsonObject{{"role", m.role}, {"text", m.text}, {"stats", m.stats}});
        QJsonObject settings{{"system_prompt", c->settings.systemPrompt}, {"temperature", c->settings.temperature},
                             {"top_k", c->settings.topK}, {"top_p", c->settings.topP}, {"seed", c->settings.seed},
                             {"max_tokens", c->settings.maxTokens}};
        bytes = QJsonDocument(QJsonObject{{"title", c->title}, {"model", c->modelPath}, {"settings", settings}, {"messages", list}})
                    .toJson();
    } else {
        QString md = "# " + c->title + "\n\nModel: `" + c->modelPath + "`\n\n";
        if (!c->settings.systemPrompt.isEmpty()) md += "System: " + c->settings.systemPrompt + "\n\n";
        for (const StoredMessage& m : messages) {
            md += (m.role == "user" ? "## You\n\n" : "## Model\n\n") + m.text + "\n\n";
            if (!m.stats.isEmpty()) md += "*" + m.stats + "*\n\n";
        }
        bytes = md.toUtf8();
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        if (error) *error = "cannot write " + path + ": " + file.errorString();
        return false;
    }
    return true;
}

}  // namespace litestudio::ui

#include "genai/chat_template.h"

namespace litestudio::genai {

std::string formatGemmaChat(const std::vector<ChatMessage>& messages, bool openModelTurn) {
    std::string prompt;
    std::string system;
    bool firstUserTurn = true;
    for (const ChatMessage& message : messages) {
        switch (message.role) {
        case ChatMessage::Role::System:
            system += (system.empty() ? "" : "\n\n") + message.text;
            break;
        case ChatMessage::Role::User: {
            std::string text = message.text;
            if (firstUserTurn && !system.empty()) text = system + "\n\n" + text;
            firstUserTurn = false;
            prompt += "<start_of_turn>user\n" + text + "<end_of_turn>\n";
            break;
        }
        case ChatMessage::Role::Model:
            prompt += "<start_of_turn>model\n" + message.text + "<end_of_turn>\n";
            break;
        }
    }
    if (openModelTurn) prompt += "<start_of_turn>model\n";
    return prompt;
}

}  // namespace litestudio::genai

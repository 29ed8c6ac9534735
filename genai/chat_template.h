#pragma once
// Gemma 3's chat format: turns between <start_of_turn>role and
// <end_of_turn>, roles "user" and "model", and no system role: a system
// prompt is folded into the first user turn, as Gemma's own template does.
// The <bos> token is not text; the session puts its id first.

#include <string>
#include <vector>

namespace litestudio::genai {

struct ChatMessage {
    enum class Role { System, User, Model };
    Role role = Role::User;
    std::string text;
};

// The prompt for `messages`; with `openModelTurn` it ends with
// "<start_of_turn>model\n", ready for the answer.
std::string formatGemmaChat(const std::vector<ChatMessage>& messages, bool openModelTurn = true);

// Pieces that end an answer.
inline const char* const kGemmaEndOfTurn = "<end_of_turn>";

}  // namespace litestudio::genai

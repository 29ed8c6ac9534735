// Gemma 3's chat format, written out in full.

#include "genai/chat_template.h"

#include <gtest/gtest.h>

using namespace litestudio::genai;
using Role = ChatMessage::Role;

TEST(ChatTemplate, OneUserTurnOpensTheModelTurn) {
    EXPECT_EQ(formatGemmaChat({{Role::User, "Hi"}}), "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n");
}

TEST(ChatTemplate, SystemPromptFoldsIntoTheFirstUserTurnOnly) {
    std::string prompt = formatGemmaChat({{Role::System, "Be brief."},
                                          {Role::User, "What is 2+2?"},
                                          {Role::Model, "4"},
                                          {Role::User, "And 3+3?"}});
    EXPECT_EQ(prompt,
              "<start_of_turn>user\nBe brief.\n\nWhat is 2+2?<end_of_turn>\n"
              "<start_of_turn>model\n4<end_of_turn>\n"
              "<start_of_turn>user\nAnd 3+3?<end_of_turn>\n"
              "<start_of_turn>model\n");
}

TEST(ChatTemplate, HistoryWithoutAnOpenTurn) {
    EXPECT_EQ(formatGemmaChat({{Role::User, "a"}, {Role::Model, "b"}}, false),
              "<start_of_turn>user\na<end_of_turn>\n<start_of_turn>model\nb<end_of_turn>\n");
}

#pragma once
// litestudio-cli make-model, chat and llm-bench.

#include <string>
#include <vector>

namespace litestudio::cli {

extern const char* const kMakeModelUsage;
extern const char* const kChatUsage;
extern const char* const kLlmBenchUsage;

int runMakeModel(const std::vector<std::string>& arguments);
int runChat(const std::vector<std::string>& arguments);
int runLlmBench(const std::vector<std::string>& arguments);

}  // namespace litestudio::cli

#pragma once
#include <string>
#include <vector>

namespace litestudio::cli {

extern const char* const kRunUsage;
int runRun(const std::vector<std::string>& arguments);

}  // namespace litestudio::cli

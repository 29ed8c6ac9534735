#pragma once
#include <string>
#include <vector>

namespace litestudio::cli {

extern const char* const kInspectUsage;
int runInspect(const std::vector<std::string>& arguments);

}  // namespace litestudio::cli

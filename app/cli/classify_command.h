#pragma once
#include <string>
#include <vector>

namespace litestudio::cli {

extern const char* const kClassifyUsage;
int runClassify(const std::vector<std::string>& arguments);

}  // namespace litestudio::cli

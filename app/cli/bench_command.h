#pragma once
#include <string>
#include <vector>

namespace litestudio::cli {

extern const char* const kBenchUsage;
int runBench(const std::vector<std::string>& arguments);

}  // namespace litestudio::cli

#pragma once
// The small argument parser the CLI subcommands share: positional arguments
// plus --flag and --option VALUE, with errors that say which argument.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/support/status.h"

namespace litestudio::cli {

struct ParsedArguments {
    std::vector<std::string> positional;
    std::set<std::string> flags;
    std::map<std::string, std::string> options;
    bool has(const std::string& flag) const { return flags.count(flag) > 0; }
};

// `flags` take no value, `valueOptions` take one.
Expected<ParsedArguments> parseArguments(const std::vector<std::string>& arguments, const std::set<std::string>& flags,
                                         const std::set<std::string>& valueOptions);

// One line on stderr starting with "error:"; returns the exit code for
// unusable input (2).
int reportError(const std::string& message);

}  // namespace litestudio::cli

#include "app/cli/command_line.h"

#include <algorithm>
#include <iostream>

namespace litestudio::cli {

Expected<ParsedArguments> parseArguments(const std::vector<std::string>& arguments, const std::set<std::string>& flags,
                                         const std::set<std::string>& valueOptions) {
    ParsedArguments parsed;
    for (size_t i = 0; i < arguments.size(); ++i) {
        const std::string& argument = arguments[i];
        if (argument.size() < 2 || argument.rfind("--", 0) != 0) {
            parsed.positional.push_back(argument);
            continue;
        }
        if (flags.count(argument)) {
            parsed.flags.insert(argument);
        } else if (valueOptions.count(argument)) {
            if (i + 1 >= arguments.size()) return Status::error(argument + " needs a value");
            parsed.options[argument] = arguments[++i];
        } else {
            return Status::error("unknown option " + argument);
        }
    }
    return parsed;
}

int reportError(const std::string& message) {
    std::string oneLine = message;
    std::replace(oneLine.begin(), oneLine.end(), '\n', ' ');
    std::cerr << "error: " << oneLine << std::endl;
    return 2;
}

}  // namespace litestudio::cli

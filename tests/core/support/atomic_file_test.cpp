// writeFileAtomically: the file holds one whole write, never a mix, even
// when two writers race on one path; no temporary file is left behind; a
// missing folder is an error that names the path.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/support/atomic_file.h"
#include "tests/support/test_paths.h"

namespace litestudio {
namespace {

std::filesystem::path scratchFolder(const std::string& name) {
    std::filesystem::path folder = testing::binaryDir() / "test-scratch" / name;
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    return folder;
}

std::string contents(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(AtomicFile, ReplacesTheFileAndLeavesNoTemporary) {
    std::filesystem::path folder = scratchFolder("atomic-replace");
    const std::string file = (folder / "report.json").string();
    ASSERT_TRUE(writeFileAtomically(file, std::string("first")));
    ASSERT_TRUE(writeFileAtomically(file, std::string("second, longer")));
    EXPECT_EQ(contents(file), "second, longer");
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) ++entries;
    EXPECT_EQ(entries, 1) << "a temporary file was left beside the target";
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::others_read, std::filesystem::perms::others_read);
}

TEST(AtomicFile, TwoWritersOfOnePathNeverFailOrMix) {
    // Before each write had its own temporary name, the two truncated and
    // renamed one shared ".partial" file: renames failed, mixes were possible.
    std::filesystem::path folder = scratchFolder("atomic-race");
    const std::string file = (folder / "settings.json").string();
    const std::string a(200000, 'a'), b(150000, 'b');
    std::atomic<int> failures{0};
    auto writer = [&](const std::string& text) {
        for (int i = 0; i < 100; ++i)
            if (!writeFileAtomically(file, text)) ++failures;
    };
    std::thread first(writer, std::cref(a)), second(writer, std::cref(b));
    first.join();
    second.join();
    const std::string result = contents(file);
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) ++entries;
    std::cout << "  200 racing writes: " << failures << " failed, final file " << result.size() << " bytes, " << entries
              << " file(s) in the folder\n";
    EXPECT_EQ(failures, 0);
    EXPECT_TRUE(result == a || result == b) << "the file mixes two writes";
    EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, AMissingFolderIsAnErrorNamingThePath) {
    const std::string file = (testing::binaryDir() / "test-scratch" / "no-such-folder" / "x.json").string();
    Status status = writeFileAtomically(file, std::string("x"));
    ASSERT_FALSE(status);
    std::cout << "  " << status.message() << "\n";
    EXPECT_NE(status.message().find(file), std::string::npos);
}

}  // namespace
}  // namespace litestudio

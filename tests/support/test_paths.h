#pragma once
// Where tests find the shared material (../shared beside the project) and
// the project's own files. A test that needs ../shared and cannot find it
// fails with that message; it never skips silently.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace litestudio::testing {

inline std::filesystem::path sharedDir() { return LITESTUDIO_SHARED_DIR; }
inline std::filesystem::path sourceDir() { return LITESTUDIO_SOURCE_DIR; }
inline std::filesystem::path binaryDir() { return LITESTUDIO_BINARY_DIR; }

inline std::filesystem::path sharedModel(const std::string& relative) {
    std::filesystem::path path = sharedDir() / "models" / relative;
    EXPECT_TRUE(std::filesystem::exists(path)) << "missing shared test model " << path
                                               << " (tests read ../shared beside the project)";
    return path;
}

inline std::vector<uint8_t> readFileBytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void writeFileBytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A fresh directory under the build tree for one test's files. It is named
// after the running test too, because ctest runs tests in parallel.
inline std::filesystem::path scratchDir(const std::string& name) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string owner = test ? std::string(test->test_suite_name()) + "." + test->name() : "no-test";
    std::filesystem::path dir = binaryDir() / "test-scratch" / owner / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace litestudio::testing

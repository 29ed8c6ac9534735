#pragma once
// String tensors, in TFLite's layout: int32 count N, then N+1 int32 byte
// offsets from the start of the buffer, then the characters. Their size
// depends on their values, so the runtime keeps each non-constant string
// tensor in its own growing buffer (RuntimeTensor::growable) instead of
// the arena; kernels write them through `assignTensorBytes`.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/kernels/kernel.h"

namespace litestudio {

// Read access to a checked string buffer; no copies.
class StringTensorView {
public:
    // Checks the layout and that it holds `expectedCount` strings.
    static Expected<StringTensorView> open(std::span<const uint8_t> bytes, int64_t expectedCount, const std::string& name);
    static Expected<StringTensorView> open(const RuntimeTensor& tensor) {
        return open({tensor.data, tensor.bytes}, tensor.elementCount(), tensor.name);
    }
    int64_t count() const { return count_; }
    std::string_view at(int64_t index) const;

private:
    const uint8_t* bytes_ = nullptr;
    int64_t count_ = 0;
};

// Bytes of a buffer holding `count` strings of `characters` bytes in all.
size_t stringBufferBytes(int64_t count, size_t characters);

// Writes strings into a buffer of exactly stringBufferBytes(count, characters) bytes.
class StringBufferWriter {
public:
    StringBufferWriter(uint8_t* buffer, int64_t count);
    void append(std::string_view text);

private:
    uint8_t* buffer_;
    int64_t next_ = 0;
    uint32_t end_;
};

// A whole buffer for these strings (inputs built by tools and tests).
std::vector<uint8_t> makeStringBuffer(const std::vector<std::string>& strings);

// Replaces a tensor's contents: a string tensor's buffer takes any size
// (it grows once and is reused); a dense tensor's must match.
Status assignTensorBytes(RuntimeTensor& tensor, std::span<const uint8_t> bytes);
// Makes room for `bytes` in a string tensor and returns where to write them.
Expected<uint8_t*> resizeStringTensor(RuntimeTensor& tensor, size_t bytes);
// Copies `from` into `to` (same type), string or dense.
Status copyTensorContents(const RuntimeTensor& from, RuntimeTensor& to);

}  // namespace litestudio

#include "core/kernels/string_tensor.h"

#include <cstring>

namespace litestudio {

namespace {
uint32_t readWord(const uint8_t* at) {
    uint32_t value;
    std::memcpy(&value, at, 4);
    return value;
}
void writeWord(uint8_t* at, uint32_t value) { std::memcpy(at, &value, 4); }
}  // namespace

Expected<StringTensorView> StringTensorView::open(std::span<const uint8_t> bytes, int64_t expectedCount,
                                                  const std::string& name) {
    auto broken = [&](const std::string& what) {
        return Status::error("string tensor '" + name + "': " + what);
    };
    if (bytes.size() < 4) return broken("holds no string buffer (" + std::to_string(bytes.size()) + " bytes)");
    if (bytes.size() > UINT32_MAX) return broken("buffer over 4 GiB");
    uint32_t count = readWord(bytes.data());
    if (count != static_cast<uint64_t>(expectedCount))
        return broken("holds " + std::to_string(count) + " strings, its shape needs " + std::to_string(expectedCount));
    uint64_t header = 4 * (uint64_t(count) + 2);
    if (header > bytes.size()) return broken("offset table runs past the end of its " + std::to_string(bytes.size()) + " bytes");
    uint32_t previous = static_cast<uint32_t>(header);
    for (uint32_t i = 0; i <= count; ++i) {
        uint32_t offset = readWord(bytes.data() + 4 * (i + 1));
        if ((i == 0 && offset != header) || offset < previous || offset > bytes.size())
            return broken("offset " + std::to_string(i) + " (" + std::to_string(offset) + ") is out of order or out of bounds");
        previous = offset;
    }
    StringTensorView view;
    view.bytes_ = bytes.data();
    view.count_ = count;
    return view;
}

std::string_view StringTensorView::at(int64_t index) const {
    uint32_t begin = readWord(bytes_ + 4 * (index + 1)), end = readWord(bytes_ + 4 * (index + 2));
    return {reinterpret_cast<const char*>(bytes_) + begin, end - begin};
}

size_t stringBufferBytes(int64_t count, size_t characters) { return 4 * (static_cast<size_t>(count) + 2) + characters; }

StringBufferWriter::StringBufferWriter(uint8_t* buffer, int64_t count)
    : buffer_(buffer), end_(static_cast<uint32_t>(4 * (count + 2))) {
    writeWord(buffer_, static_cast<uint32_t>(count));
    writeWord(buffer_ + 4, end_);
}

void StringBufferWriter::append(std::string_view text) {
    if (!text.empty()) std::memcpy(buffer_ + end_, text.data(), text.size());
    end_ += static_cast<uint32_t>(text.size());
    writeWord(buffer_ + 4 * (next_ + 2), end_);
    ++next_;
}

std::vector<uint8_t> makeStringBuffer(const std::vector<std::string>& strings) {
    size_t characters = 0;
    for (const std::string& text : strings) characters += text.size();
    std::vector<uint8_t> buffer(stringBufferBytes(static_cast<int64_t>(strings.size()), characters));
    StringBufferWriter writer(buffer.data(), static_cast<int64_t>(strings.size()));
    for (const std::string& text : strings) writer.append(text);
    return buffer;
}

Expected<uint8_t*> resizeStringTensor(RuntimeTensor& tensor, size_t bytes) {
    if (!tensor.growable) return Status::error("string tensor '" + tensor.name + "' has no storage of its own");
    if (bytes > UINT32_MAX) return Status::error("string tensor '" + tensor.name + "' would pass 4 GiB");
    tensor.growable->resize(bytes);
    tensor.data = tensor.growable->data();
    tensor.bytes = bytes;
    return tensor.data;
}

Status assignTensorBytes(RuntimeTensor& tensor, std::span<const uint8_t> bytes) {
    if (tensor.growable) {
        if (bytes.data() == tensor.data && bytes.size() == tensor.bytes) return Status::ok();
        // The source may live in this very buffer: copy it out first.
        if (tensor.growable->data() <= bytes.data() && bytes.data() < tensor.growable->data() + tensor.growable->size()) {
            std::vector<uint8_t> copy(bytes.begin(), bytes.end());
            tensor.growable->swap(copy);
        } else {
            tensor.growable->assign(bytes.begin(), bytes.end());
        }
        tensor.data = tensor.growable->data();
        tensor.bytes = tensor.growable->size();
        return Status::ok();
    }
    if (bytes.size() != tensor.bytes)
        return Status::error("'" + tensor.name + "' holds " + std::to_string(tensor.bytes) + " bytes, not " +
                             std::to_string(bytes.size()));
    if (!bytes.empty() && bytes.data() != tensor.data) std::memmove(tensor.data, bytes.data(), bytes.size());
    return Status::ok();
}

Status copyTensorContents(const RuntimeTensor& from, RuntimeTensor& to) {
    if ((from.type == DataType::String) != (to.type == DataType::String))
        return Status::error("cannot copy " + std::string(dataTypeName(from.type)) + " '" + from.name + "' into " +
                             std::string(dataTypeName(to.type)) + " '" + to.name + "'");
    Status status = assignTensorBytes(to, {from.data, from.bytes});
    if (!status) return Status::error("'" + from.name + "' has " + std::to_string(from.bytes) + " bytes, '" + to.name + "' " +
                                      std::to_string(to.bytes));
    return Status::ok();
}

}  // namespace litestudio

#pragma once
// Error results for core: no exceptions cross the core API. A Status carries
// one human-readable message that names the file, op or tensor at fault.

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace litestudio {

class Status {
public:
    Status() = default;
    static Status ok() { return Status(); }
    static Status error(std::string message) { return Status(std::move(message)); }

    bool isOk() const { return !message_.has_value(); }
    explicit operator bool() const { return isOk(); }
    const std::string& message() const {
        static const std::string empty;
        return message_ ? *message_ : empty;
    }
    // Prefixes context ("in subgraph 2: ...") while the error travels upward.
    Status withContext(const std::string& context) const {
        return isOk() ? *this : Status(context + ": " + *message_);
    }

private:
    explicit Status(std::string message) : message_(std::move(message)) {}
    std::optional<std::string> message_;
};

template <typename T>
class Expected {
public:
    Expected(T value) : storage_(std::move(value)) {}
    Expected(Status status) : storage_(std::move(status)) { assert(!std::get<Status>(storage_).isOk()); }

    bool hasValue() const { return std::holds_alternative<T>(storage_); }
    explicit operator bool() const { return hasValue(); }

    T& value() & { return std::get<T>(storage_); }
    const T& value() const& { return std::get<T>(storage_); }
    T&& value() && { return std::get<T>(std::move(storage_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    Status status() const { return hasValue() ? Status::ok() : std::get<Status>(storage_); }
    const std::string& errorMessage() const { return std::get<Status>(storage_).message(); }

private:
    std::variant<T, Status> storage_;
};

}  // namespace litestudio

#define LS_RETURN_IF_ERROR(expr)                         \
    do {                                                 \
        ::litestudio::Status ls_status_ = (expr);        \
        if (!ls_status_.isOk()) return ls_status_;       \
    } while (0)

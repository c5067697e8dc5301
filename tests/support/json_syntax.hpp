// A JSON well-formedness check (RFC 8259 grammar) for the description tests, so
// they need no JSON library. It stops at the first byte that does not fit and
// bounds nesting; it checks syntax only, not duplicate keys or contents.
#pragma once

#include <cstddef>
#include <string_view>

namespace berth::test_json {

class syntax {
public:
    static bool well_formed(std::string_view text) {
        syntax s{text};
        s.space();
        if (!s.value(0)) return false;
        s.space();
        return s.at_ == text.size();
    }

private:
    static constexpr int depth_max = 32;

    explicit syntax(std::string_view text) : text_(text) {}

    [[nodiscard]] bool more() const { return at_ < text_.size(); }
    [[nodiscard]] char peek() const { return more() ? text_[at_] : '\0'; }
    bool take(char c) {
        if (peek() != c || !more()) return false;
        ++at_;
        return true;
    }
    void space() {
        while (peek() == ' ' || peek() == '\n' || peek() == '\t' || peek() == '\r')
            ++at_;
    }
    static bool digit(char c) { return c >= '0' && c <= '9'; }
    static bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

    bool value(int depth) {
        if (depth > depth_max) return false;
        switch (peek()) {
            case '{': return members(depth + 1, '}', true);
            case '[': return members(depth + 1, ']', false);
            case '"': return string();
            case 't': return word("true");
            case 'f': return word("false");
            case 'n': return word("null");
            default: return number();
        }
    }
    // An object (keyed) or an array: the opening bracket, then values separated by
    // commas, then `close`; an empty one is allowed, a trailing comma is not.
    bool members(int depth, char close, bool keyed) {
        ++at_;
        space();
        if (take(close)) return true;
        for (;;) {
            space();
            if (keyed) {
                if (!string()) return false;
                space();
                if (!take(':')) return false;
                space();
            }
            if (!value(depth)) return false;
            space();
            if (take(close)) return true;
            if (!take(',')) return false;
        }
    }
    bool string() {
        if (!take('"')) return false;
        while (more()) {
            const char c = text_[at_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c == '\\' && !escape()) return false;
        }
        return false;
    }
    bool escape() {
        const char e = peek();
        if (!more()) return false;
        ++at_;
        if (e != 'u') return std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos;
        for (int i = 0; i < 4; ++i) {
            if (!hex(peek())) return false;
            ++at_;
        }
        return true;
    }
    bool word(std::string_view w) {
        if (text_.substr(at_, w.size()) != w) return false;
        at_ += w.size();
        return true;
    }
    bool digits() {
        const std::size_t start = at_;
        while (digit(peek()))
            ++at_;
        return at_ > start;
    }
    bool number() {
        static_cast<void>(take('-'));
        if (!take('0') && !digits()) return false;
        if (take('.') && !digits()) return false;
        if (peek() == 'e' || peek() == 'E') {
            ++at_;
            if (!take('+')) static_cast<void>(take('-'));
            if (!digits()) return false;
        }
        return true;
    }

    std::string_view text_;
    std::size_t at_ = 0;
};

}  // namespace berth::test_json

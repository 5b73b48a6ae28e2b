// Private to libbase: the HCL1 parser behind <cairn/base/config_reader.h>, and the
// position/error helpers both of its parsers share. The accepted syntax and the error
// format are specified in config_reader.h.
#ifndef CAIRN_BASE_SRC_HCL_PARSER_H_
#define CAIRN_BASE_SRC_HCL_PARSER_H_

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <boost/json/object.hpp>

namespace cairn::base::internal {

// absl::StrCat for std::string_view pieces (Debian's Abseil takes only absl::string_view):
// concatenates strings and integers.
inline void AppendPiece(std::string& out, std::string_view piece) { out.append(piece); }
inline void AppendPiece(std::string& out, std::integral auto n) { out.append(std::to_string(n)); }
template <typename... Pieces>
std::string Cat(const Pieces&... pieces) {
  std::string out;
  (AppendPiece(out, pieces), ...);
  return out;
}

// 1-based line and column of a byte offset; columns count UTF-8 characters, so a column
// matches what an editor shows for text with non-ASCII comments.
struct TextPosition {
  int line = 1;
  int column = 1;
};

// Position of byte `offset` (clamped to text.size()) in `text`.
TextPosition PositionOf(std::string_view text, std::size_t offset);

// kInvalidArgument "<filename>:<line>:<column>: <what>" for byte `offset` of `text`.
absl::Status SyntaxErrorAt(std::string_view filename, std::string_view text, std::size_t offset,
                           std::string_view what);

// Describes what sits at byte `offset` for a "found ..." message: `end of input`, a
// quoted word (`"true"`), or a quoted character (`'}'`).
std::string DescribeAt(std::string_view text, std::size_t offset);

// Offset of the first byte of `s` that is not valid UTF-8 (overlong forms, surrogates and
// code points above U+10FFFF are invalid), or npos.
std::size_t FindInvalidUtf8(std::string_view s);

// Parses HCL1 `text` (already stripped of any byte-order mark) into an object.
absl::StatusOr<boost::json::object> ParseHcl(std::string_view text, std::string_view filename);

}  // namespace cairn::base::internal

#endif  // CAIRN_BASE_SRC_HCL_PARSER_H_

// cairn/dns/message_writer.h — streaming DNS message encoder for the answer hot path.
//
// MessageWriter serialises a message record by record straight into a caller-owned,
// reusable byte buffer, compressing names through a fixed-size table (no heap allocation
// per record), and enforces a byte limit: a record that does not fit is rolled back whole
// and reported as kResourceExhausted, so the caller decides what to drop (Consul drops
// authority records first, then answers). EncodeMessage in message.h is built on it.
//
// Example:
//
//   std::vector<uint8_t> buf;            // kept across queries; capacity is reused
//   MessageWriter w(&buf);
//   w.Start(reply_header, MaxUdpResponseSize(query));
//   if (query.edns) CAIRN_RETURN_IF_ERROR(w.SetEdns(MakeReplyEdns(*query.edns)));
//   CAIRN_RETURN_IF_ERROR(w.AddQuestion(query.questions[0]));
//   for (const ResourceRecord& rr : answers) {
//     absl::Status s = w.AddRecord(Section::kAnswer, rr);
//     if (absl::IsResourceExhausted(s)) { w.SetTruncated(); break; }
//     CAIRN_RETURN_IF_ERROR(s);
//   }
//   CAIRN_RETURN_IF_ERROR(w.Finish());   // buf now holds the message
//
// Sections must be filled in wire order: questions, answers, authorities, additionals.
#ifndef CAIRN_DNS_MESSAGE_WRITER_H_
#define CAIRN_DNS_MESSAGE_WRITER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <absl/status/status.h>

#include <cairn/dns/message.h>
#include <cairn/dns/name.h>

namespace cairn::dns {

enum class Section : std::uint8_t { kQuestion = 0, kAnswer = 1, kAuthority = 2, kAdditional = 3 };

// Writes one message at a time into a borrowed buffer. Not thread-safe; use one writer
// per thread (it is cheap: about 1 KiB, no heap). Start may be called again to write the
// next message into the same buffer.
class MessageWriter {
 public:
  // `buffer` is borrowed and must outlive the writer; Start clears it.
  explicit MessageWriter(std::vector<std::uint8_t>* buffer, const EncodeOptions& options = {});

  MessageWriter(const MessageWriter&) = delete;
  MessageWriter& operator=(const MessageWriter&) = delete;

  // Begins a message: writes `header` (its counts are ignored and its rcode's high bits
  // go to the OPT record) and sets the size limit, clamped to 12..65535.
  void Start(const Header& header, std::size_t max_size);

  // Adds an OPT record written by Finish as the last additional record. Its size is
  // reserved now, so records added later can never crowd it out (call it first). At most
  // once (kInvalidArgument after that); kResourceExhausted if the OPT record does not fit
  // in what is left.
  absl::Status SetEdns(const Edns& edns);

  // Appends a question. kResourceExhausted if it does not fit (nothing written);
  // kInvalidArgument if called after a record.
  absl::Status AddQuestion(const Question& question);

  // Appends `rr` to `section`. kResourceExhausted: it does not fit within the limit, and
  // the buffer and compression table are exactly as before the call. kInvalidArgument:
  // the rdata does not match the type, a field is out of range, the section is earlier
  // than one already written, or more than 65535 records in the section.
  absl::Status AddRecord(Section section, const ResourceRecord& rr);

  // Sets the TC bit.
  void SetTruncated() { header_.tc = true; }
  // Replaces the RCODE given to Start (full 12-bit value).
  void SetRcode(std::uint16_t rcode) { header_.rcode = rcode; }

  // Writes the counts, flags and the OPT record. kInvalidArgument if the RCODE needs the
  // OPT record (> 15) but SetEdns was not called. The writer must be restarted after.
  absl::Status Finish();

  // Bytes written so far (excluding the reserved OPT record until Finish).
  std::size_t size() const { return buffer_->size(); }
  // Records written so far in `section`.
  std::uint16_t count(Section section) const { return counts_[static_cast<int>(section)]; }

 private:
  // Suffixes already written, chained per hash bucket (newest first) so that a lookup
  // costs a bucket walk, not a scan of every entry.
  struct CompressionEntry {
    std::uint32_t hash;
    std::uint16_t offset;
    std::uint8_t next;  // index + 1 of the next entry in the bucket, 0 = none
  };
  static constexpr int kCompressionEntries = 128;
  static constexpr int kBuckets = 256;

  void WriteU16(std::uint16_t v);
  void WriteU32(std::uint32_t v);
  // Writes `name`, compressed if allowed and enabled; records its suffixes in the table.
  void WriteName(const Name& name, bool allow_pointer);
  absl::Status WriteRdata(const ResourceRecord& rr);
  bool FindSuffix(std::uint32_t hash, const std::uint8_t* suffix, std::uint16_t* offset) const;
  bool MatchAt(std::size_t offset, const std::uint8_t* suffix) const;
  // Drops the entries from index `size` on (a rolled-back record's), newest first.
  void TruncateTable(int size);

  std::vector<std::uint8_t>* buffer_;
  EncodeOptions options_;
  Header header_;
  std::size_t max_size_ = kMaxUdpSizeWithoutEdns;
  std::size_t reserved_ = 0;  // bytes held back for the OPT record
  Section section_ = Section::kQuestion;
  std::array<std::uint16_t, 4> counts_{};
  bool has_edns_ = false;
  Edns edns_;
  int table_size_ = 0;
  std::array<CompressionEntry, kCompressionEntries> table_;
  std::array<std::uint8_t, kBuckets> heads_{};  // index + 1 of a bucket's newest entry
};

}  // namespace cairn::dns

#endif  // CAIRN_DNS_MESSAGE_WRITER_H_

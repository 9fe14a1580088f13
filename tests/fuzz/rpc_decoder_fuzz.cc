// SPDX-License-Identifier: LGPL-3.0-or-later
// libFuzzer target: a TCP byte stream as the LOCALIO listener sees it. The
// input is cut into reads, fed to the record reassembler, and every record
// goes through the call decoder (and the reply decoder, which callers run
// on what a server sends). An accepted call must survive re-encoding: what
// we decode is what we would have sent.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "localio/localio_proto.h"
#include "localio/rpc_codec.h"

namespace {

using namespace localio::rpc;

void CheckCall(std::span<const uint8_t> record) {
  const DecodedCall call = DecodeCall(record);
  if (call.verdict != CallVerdict::kAccepted) return;
  const std::optional<Nonce> nonce = DecodeUuidIsLocalArgs(call.args);

  XdrEncoder again;
  if (!EncodeCall(call.header, &again)) abort();  // decoded within bounds
  again.Raw(call.args);
  const DecodedCall twice = DecodeCall(again.bytes());
  if (twice.verdict != CallVerdict::kAccepted ||
      twice.header.xid != call.header.xid ||
      twice.header.proc != call.header.proc ||
      twice.header.cred.flavor != call.header.cred.flavor ||
      twice.header.cred.sys.machine_name != call.header.cred.sys.machine_name ||
      twice.header.cred.sys.gids != call.header.cred.sys.gids ||
      DecodeUuidIsLocalArgs(twice.args) != nonce)
    abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // First byte: read size (1..256); second: the reassembler's limit / 16.
  const size_t read_size = size_t{data[0]} + 1;
  const size_t max_record = (size_t{data[1]} + 1) * 16;
  std::span<const uint8_t> stream(data + 2, size - 2);

  DecodeCall(stream);  // whole input as one record too
  (void)DecodeReply(stream);

  RecordReassembler reassembler(max_record);
  while (!stream.empty()) {
    std::span<const uint8_t> read = stream.first(std::min(read_size, stream.size()));
    stream = stream.subspan(read.size());
    while (!read.empty()) {
      size_t used = 0;
      const auto result = reassembler.Consume(read, &used);
      if (used > read.size()) abort();
      read = read.subspan(used);
      if (result == RecordReassembler::Result::kTooLarge) return 0;
      if (result == RecordReassembler::Result::kRecord) {
        if (reassembler.record().size() > max_record) abort();
        CheckCall(reassembler.record());
        (void)DecodeReply(reassembler.record());
      } else if (!read.empty()) {
        abort();  // kNeedMore must have used the whole read
      }
    }
  }
  return 0;
}

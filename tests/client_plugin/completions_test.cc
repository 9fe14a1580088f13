// SPDX-License-Identifier: LGPL-3.0-or-later
// The core's completion queue (completions.h), which both front ends use
// for the async calls they serve locally: order, errors published before
// their callback, a callback that destroys the queue, cancellation, and
// the events it adds to libnfs's.
#include "completions.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

namespace localio::client {
namespace {

nfs_context* const kNfs = reinterpret_cast<nfs_context*>(0x1000);

// libnfs's loop, as far as the queue calls it: it asks for POLLIN and
// counts its services.
int g_services = 0;
int g_service_revents = 0;
int WhichEvents(nfs_context*) { return POLLIN; }
int Service(nfs_context*, int revents) {
  ++g_services;
  g_service_revents = revents;
  return 0;
}
LibnfsCalls Loop() {
  LibnfsCalls c;
  c.which_events = WhichEvents;
  c.service = Service;
  return c;
}

struct Seen {
  std::vector<int> statuses;
  std::vector<std::string> data;  // the error sentences
  std::string published;          // the last one published
  std::unique_ptr<CompletionQueue>* destroy = nullptr;  // set: the callback destroys it
};

void Record(int status, nfs_context* nfs, void* data, void* private_data) {
  auto* seen = static_cast<Seen*>(private_data);
  EXPECT_EQ(nfs, kNfs);
  seen->statuses.push_back(status);
  seen->data.push_back(status < 0 ? static_cast<const char*>(data) : "");
  if (seen->destroy != nullptr) seen->destroy->reset();
}

void Publish(nfs_context*, void* arg, const std::string& sentence) {
  static_cast<Seen*>(arg)->published = sentence;
}

Completion Failed(Seen* seen, int status, const std::string& why) {
  Completion c(Record, seen, status);
  c.error = why;
  return c;
}

TEST(CompletionQueue, RunsInOrderPublishingEachErrorBeforeItsCallback) {
  CompletionQueue q;
  Seen seen;
  ASSERT_TRUE(q.Push(Completion(Record, &seen, 5)));
  ASSERT_TRUE(q.Push(Failed(&seen, -EIO, "local pread failed")));
  ASSERT_TRUE(q.Push(Completion(Record, &seen, 7)));
  EXPECT_TRUE(q.Run(kNfs, Publish, &seen));
  EXPECT_EQ(seen.statuses, (std::vector<int>{5, -EIO, 7}));
  EXPECT_EQ(seen.data[1], "local pread failed");
  EXPECT_EQ(seen.published, "local pread failed");
  EXPECT_TRUE(q.empty());
}

TEST(CompletionQueue, ACallbackThatDestroysTheQueueStopsTheRun) {
  auto q = std::make_unique<CompletionQueue>();
  Seen seen;
  seen.destroy = &q;
  ASSERT_TRUE(q->Push(Completion(Record, &seen, 1)));
  ASSERT_TRUE(q->Push(Completion(Record, &seen, 2)));
  EXPECT_FALSE(q->Run(kNfs, Publish, &seen));
  EXPECT_EQ(q, nullptr);
  EXPECT_EQ(seen.statuses, (std::vector<int>{1})) << "a callback ran after its queue was gone";
}

TEST(CompletionQueue, CancelRunsEachWaitingCallbackOnceWithEintr) {
  CompletionQueue q;
  Seen seen;
  ASSERT_TRUE(q.Push(Completion(Record, &seen, 4096)));
  ASSERT_TRUE(q.Push(Completion(Record, &seen, 0)));
  q.Cancel(kNfs, Publish, &seen);
  EXPECT_EQ(seen.statuses, (std::vector<int>{-EINTR, -EINTR}));
  EXPECT_EQ(seen.data[0], "Command was cancelled");
  EXPECT_TRUE(q.empty());
}

TEST(CompletionQueue, WaitingCompletionsAddPollout) {
  CompletionQueue q;
  Seen seen;
  EXPECT_EQ(q.WhichEvents(kNfs, Loop()), POLLIN);
  ASSERT_TRUE(q.Push(Completion(Record, &seen, 1)));
  EXPECT_EQ(q.WhichEvents(kNfs, Loop()), POLLIN | POLLOUT);
}

TEST(CompletionQueue, ServiceRunsOursAndGivesLibnfsOnlyWhatItAskedFor) {
  CompletionQueue q;
  Seen seen;
  g_services = 0;
  // Nothing of ours: libnfs's service runs, without the POLLOUT it did not ask for.
  EXPECT_EQ(q.Service(kNfs, POLLIN | POLLOUT, Loop(), Publish, &seen), 0);
  EXPECT_EQ(g_services, 1);
  EXPECT_EQ(g_service_revents, POLLIN);
  // Ours woke the loop just after libnfs's ran: its service is skipped
  // (a few tries: a thread preempted for kRealServiceMs between the two
  // calls would see libnfs's run again, rightly).
  bool skipped = false;
  for (int attempt = 0; attempt < 5 && !skipped; ++attempt) {
    ASSERT_EQ(q.Service(kNfs, POLLIN, Loop(), Publish, &seen), 0);
    const int before = g_services;
    ASSERT_TRUE(q.Push(Completion(Record, &seen, 3)));
    EXPECT_EQ(q.Service(kNfs, POLLOUT, Loop(), Publish, &seen), 0);
    EXPECT_EQ(seen.statuses.back(), 3);
    skipped = g_services == before;
  }
  EXPECT_TRUE(skipped) << "libnfs's service ran for our completions alone";
  // Ours and libnfs's socket: both run.
  const int before = g_services;
  ASSERT_TRUE(q.Push(Completion(Record, &seen, 4)));
  EXPECT_EQ(q.Service(kNfs, POLLIN | POLLOUT, Loop(), Publish, &seen), 0);
  EXPECT_EQ(seen.statuses.back(), 4);
  EXPECT_EQ(g_services, before + 1);
}

// libnfs's service whose RPC callback destroys the queue (localio_detach
// from a callback of a call libnfs served), then fails.
std::unique_ptr<CompletionQueue>* g_destroy_in_service = nullptr;
int ServiceThatDestroys(nfs_context*, int) {
  g_destroy_in_service->reset();
  return -EIO;
}

TEST(CompletionQueue, ALibnfsCallbackThatDestroysTheQueueLeavesItUntouched) {
  auto q = std::make_unique<CompletionQueue>();
  Seen seen;
  g_destroy_in_service = &q;
  LibnfsCalls loop = Loop();
  loop.service = ServiceThatDestroys;
  // 0: the caller (localio_service) must not touch the context that held
  // the queue (ASan and the queue's own state would see it otherwise).
  EXPECT_EQ(q->Service(kNfs, POLLIN, loop, Publish, &seen), 0);
  EXPECT_EQ(q, nullptr);
}

}  // namespace
}  // namespace localio::client

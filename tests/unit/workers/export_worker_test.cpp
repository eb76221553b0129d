// An export worker and a cancel: no batch is written once a cancel is pending.
#include "workers/export_worker.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <mutex>

#include "collection_fixture.h"
#include "storage/provider_registry.h"

namespace cortex {
namespace {

// Counts what it is asked to store; the task's cancel is requested when it is opened, so a worker that leased a
// cursor meets a pending cancel before it writes anything.
class CountingProvider final : public StorageProvider {
 public:
  explicit CountingProvider(std::size_t& stored, std::mutex& mutex) : stored_(stored), mutex_(mutex) {}
  Status store(const std::string&, std::string_view) override {
    std::lock_guard lock(mutex_);
    ++stored_;
    return Status::OK();
  }
  Result<std::vector<std::string>> list() override { return std::vector<std::string>{}; }
  Result<std::string> read(const std::string& name) override { return make_error(ErrorCode::NotFound, name); }
  Status remove(const std::string&) override { return Status::OK(); }
  std::string location() const override { return "counted"; }

 private:
  std::size_t& stored_;
  std::mutex& mutex_;
};

class ExportWorkerCancelTest : public testing::CollectionFixture {
 protected:
  void SetUp() override {
    CollectionFixture::SetUp();
    registry_.add("counting", [this](const ProviderSettings&) -> Result<std::unique_ptr<StorageProvider>> {
      if (on_open_) on_open_();
      return std::unique_ptr<StorageProvider>(std::make_unique<CountingProvider>(stored_, mutex_));
    });
    std::filesystem::create_directories(dir_.file("profiles"));
    std::ofstream(dir_.file("profiles") + "/counted.yaml") << "name: Counted\nprovider: counting\nsettings:\n  path: x\n";
    ASSERT_TRUE(catalog_.load_folder(dir_.file("profiles")).empty());
    settings_.task_db_path = dir_.file("tasks.db");
    settings_.collection_path = dir_.file("collection.db");
    auto store = TaskStore::open(settings_.task_db_path);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
  }

  // A Processing task over `items` interactions in two cursors, the first leased by the test (so a cancel waits
  // for it). Returns the task.
  TaskRecord processing_task(int items) {
    EXPECT_TRUE(db_->exec("BEGIN").ok());
    for (int i = 0; i < items; ++i) {
      char id[40];
      std::snprintf(id, sizeof id, "00000000-0000-0000-0000-%012d", i + 1);
      add_interaction(id, "2020-01-01T00:00:00.0000000Z", 0.5);
    }
    EXPECT_TRUE(db_->exec("COMMIT").ok());
    ExportOptions options;
    options.storage_profile = "Counted";
    options.batch_size = 100;
    options.default_split_item_count = 100000;
    auto t = store_->register_task(options, clock_.now());
    const auto now = clock_.now();
    EXPECT_TRUE(*store_->lease_task_for_split("test/", now, settings_.lease));
    const int half = items / 2;
    EXPECT_TRUE(store_->store_split(t->id, "test/", {{1, half, half}, {half + 1, items, items - half}}, items, now).ok());
    auto held = store_->lease_cursors("test/", now, settings_.lease, 1);
    EXPECT_EQ(held->size(), 1u);
    held_ = held->front();
    return *t;
  }

  // Runs one worker over the task's other cursor, with the cancel requested as it opens the storage profile.
  void work_with_a_cancel_arriving(const TaskRecord& task) {
    on_open_ = [this, id = task.id] {
      auto answer = store_->request_cancel(id, clock_.now());
      ASSERT_TRUE(answer.ok() && *answer);
      EXPECT_TRUE((*answer)->cancel_requested);  // the test's lease keeps it pending
    };
    auto store = TaskStore::open(settings_.task_db_path);
    auto watch = TaskStore::open_existing(settings_.task_db_path);
    ASSERT_TRUE(store.ok() && watch.ok());
    ExportWorker worker(settings_, "w/worker-0", catalog_, clock_, stop_, std::move(*store), std::move(*watch),
                        metrics_);
    EXPECT_TRUE(worker.work_next_group());
  }

  void expect_nothing_stored_and_the_cancel_completes(const TaskRecord& task) {
    {
      std::lock_guard lock(mutex_);
      EXPECT_EQ(stored_, 0u);
    }
    EXPECT_TRUE(store_->stored_batches(task.id)->empty());
    auto during = store_->find(task.id);
    EXPECT_EQ((*during)->status, TaskStatus::Processing);  // the test's cursor is still leased
    EXPECT_EQ((*during)->progress, 0);
    ASSERT_TRUE(store_->release_cursor(held_, clock_.now()).ok());
    auto after = store_->find(task.id);
    EXPECT_EQ((*after)->status, TaskStatus::Canceled);
    EXPECT_EQ((*after)->progress, 0);
  }

  ProviderRegistry registry_;
  ProfileCatalog catalog_{registry_};
  EngineSettings settings_;
  SystemClock clock_;
  WakeSignal stop_;
  ExportMetrics metrics_;
  std::unique_ptr<TaskStore> store_;
  CursorLease held_;
  std::function<void()> on_open_;
  std::mutex mutex_;
  std::size_t stored_ = 0;
};

// A cursor of 300 items is read to its end before the read loop's first look (every 1,000 items): the storing
// thread's look before it writes the group is what keeps it from being written.
TEST_F(ExportWorkerCancelTest, AGroupReadWhileACancelWasPendingIsNotWritten) {
  auto task = processing_task(600);
  work_with_a_cancel_arriving(task);
  expect_nothing_stored_and_the_cancel_completes(task);
}

// A cursor of 3,000 items: the read loop stops after its first 1,000, before the 5,000-item group is complete (and
// were it not to, the storing thread's look would still drop the group).
TEST_F(ExportWorkerCancelTest, ALongCursorWithACancelPendingStoresNothing) {
  auto task = processing_task(6000);
  work_with_a_cancel_arriving(task);
  expect_nothing_stored_and_the_cancel_completes(task);
}

}  // namespace
}  // namespace cortex

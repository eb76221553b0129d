// Generating a collection: a plan of interaction counts and edge cases first, then rows written contact by contact.
#include "collection/collection_generator.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <random>
#include <string_view>
#include <vector>

#include "common/guid.h"
#include "common/json_writer.h"

namespace cortex {
namespace {

// Rows per transaction: large, so commits are rare, yet small enough that the dirty pages stay in the page cache
// below (a transaction that outgrows the cache spills pages to the WAL and reads them back, halving the speed).
constexpr std::int64_t kRowsPerTransaction = 50'000;
constexpr std::int64_t kCacheKibibytes = 256 * 1024;
constexpr std::int64_t kSecond = 10'000'000;
constexpr std::int64_t kDay = 86'400 * kSecond;
constexpr std::int64_t kFiveYears = (5 * 365 + 1) * kDay;
constexpr std::int64_t kBigContactInteractions = 5'000;
constexpr std::int64_t kBigContactThreshold = 20'000;  // total interactions from which one contact gets 5,000
constexpr std::int64_t kEdgeCaseThreshold = 20;        // contacts from which edge cases are added

// std::mt19937_64's output is fixed by the standard; the std distributions are not, so the arithmetic is ours.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  // [0, n), n > 0. The modulo bias is below n / 2^64, far beneath anything observable.
  std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(engine_() % static_cast<std::uint64_t>(n)); }
  // [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(static_cast<std::int64_t>(N))];
  }
  // A version-4-shaped GUID from the seed's stream, so ids look like xConnect's random ones yet repeat per seed.
  Guid guid() {
    std::array<std::uint8_t, 16> bytes{};
    for (int half = 0; half < 2; ++half) {
      std::uint64_t bits = engine_();
      for (int i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    }
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
    return Guid(bytes);
  }

 private:
  std::mt19937_64 engine_;
};

// ---- The tables the data is drawn from. Values need no JSON escaping beyond what JsonWriter does. ----

constexpr std::string_view kFirstNames[] = {"Ann",   "John",   "Maria", "Lars",   "Sofia",  "Ahmed", "Yuki",   "Emma",
                                            "Lucas", "Olivia", "Noah",  "Mette",  "Priya",  "Chen",  "Fatima", "Jonas",
                                            "Elena", "Marco",  "Sara",  "Thomas", "Ingrid", "Kwame", "Laura",  "Pedro"};
constexpr std::string_view kLastNames[] = {"Smith",    "Jensen",   "Garcia", "Nielsen", "Müller", "Tanaka", "Brown",
                                           "Rossi",    "Kowalski", "Hansen", "Khan",    "Wang",   "Silva",  "Martin",
                                           "Andersen", "Novak",    "Dubois", "Larsen",  "Okafor", "Lopez"};
constexpr std::string_view kJobTitles[] = {"Marketing Manager", "Developer", "Buyer",
                                           "Sales Director",    "Student",   "Consultant"};
constexpr std::string_view kLanguages[] = {"en", "en", "en", "da-DK", "de-DE", "ja-JP", "es-ES"};

constexpr std::string_view kUserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/103.0.5060.114 "
    "Safari/537.36 Edg/103.0.1264.49",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
};
constexpr std::string_view kUnicodeUserAgent =
    "Mozilla/5.0 (Linux; Android 13; \"Pixel 7\") AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile "
    "Safari/537.36 Ünïcødé/1.0 ✓ 日本語 'quoted' \\backslash";

// Online/Direct (the channel of the public fixture), Online/Referral, Online/Search, Email, Offline/Store.
constexpr std::string_view kChannels[] = {
    "b418e4f2-1013-4b42-a053-b6d4dca988bf", "6d3d2374-af56-44fe-b99a-20843b440b58",
    "2bc7d1b4-0a27-4cd2-8f45-0cf26c7b0e44", "52b75873-4ce0-4e98-b63a-b535739e6180",
    "3fc61bb8-0d9f-48c7-9bbd-d739dcbbe032"};
constexpr std::string_view kCampaigns[] = {"c7f12a8e-5d2b-4f6a-9e1d-2b8c3a4f5e60",
                                           "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d",
                                           "5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716"};
constexpr std::string_view kVenues[] = {"e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9", "9f8e7d6c-5b4a-4392-8817-f6e5d4c3b2a1"};

constexpr std::string_view kPageViewDefinition = "9326cb1e-cec8-48f2-9a3e-91c7dbb2166c";
constexpr std::string_view kSearchDefinition = "0c179613-2073-41ab-992e-027d03d9c36b";
constexpr std::string_view kDownloadDefinition = "fa72e131-3cfd-481c-8e15-04496e9586dc";
constexpr std::string_view kRenderingDevice = "fe5d7fdf-89c0-4d99-9aa3-b5fbd009c9f3";

struct Page {
  std::string_view url;
  std::string_view item_id;
};
constexpr Page kPages[] = {
    {"/", "110d559f-dea5-42ea-9c1c-8a5df7e70ef9"},
    {"/products", "3c1a7e52-8b44-4f0e-a3d9-5f2b6c8e1d07"},
    {"/products/bikes", "7a2e9c41-6d3b-4e8f-b5a1-0c9d8e7f6a52"},
    {"/products/helmets", "d4b3a291-8c7e-4f6d-a5b4-3c2d1e0f9a8b"},
    {"/about", "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f8"},
    {"/contact", "8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586"},
    {"/news/2022/summer-sale", "2a3b4c5d-6e7f-4089-9a1b-2c3d4e5f6a7b"},
    {"/support/faq", "6b5a4938-2716-4f5e-8d4c-3b2a1f0e9d8c"},
    {"/flush.aspx", "e331b871-06dc-446e-9d84-5d53df8c74b3"},
    {"/checkout", "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f70"},
};
struct GoalDefinition {
  std::string_view id;
  std::int64_t points;
};
constexpr GoalDefinition kGoals[] = {{"66722f52-2d13-4dcc-90fc-ea7117cf2298", 10},   // Instant Demo
                                     {"28a7c944-b8b6-45ad-a635-6f72e8f81f69", 20},   // Register
                                     {"968897f1-328a-489d-88e8-be78f4370958", 5},    // Login
                                     {"8fffb3c6-1b94-4f5e-8d42-ff1f3f0c7a28", 50}};  // Newsletter sign-up
struct OutcomeDefinition {
  std::string_view id;
  std::string_view monetary_value;  // JSON number text, already in the form nlohmann writes it
  std::string_view currency;
  std::int64_t points;
};
constexpr OutcomeDefinition kOutcomes[] = {{"9016e456-95cb-42e9-ad58-997d6d77ae83", "49.95", "USD", 100},
                                           {"75d53206-47b3-4391-bd1c-7a2b2e8d2a6f", "129.5", "EUR", 100},
                                           {"bf61f6c9-2d27-4f0b-9c3f-5a2e0d5f8c11", "899", "DKK", 200}};
constexpr std::string_view kKeywords[] = {"mountain bike", "helmet size", "opening hours",
                                          "return policy", "gift card",   "carbon frame"};
constexpr std::string_view kDownloads[] = {"0b6b9b5e-2f4c-4b0f-8a4e-5c3d2e1f0a9b",
                                           "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"};
constexpr std::string_view kReferrers[] = {"https://www.google.com/", "https://www.bing.com/", "https://t.co/",
                                           "https://www.linkedin.com/"};

constexpr std::string_view kModel = "#Sitecore.XConnect.Collection.Model.";

// Interaction edge cases, by the interaction's position in the whole run.
enum class Edge { None, FutureStart, LegacyPercentile, LongUserAgent, UnicodeUserAgent };

struct Plan {
  std::vector<std::int64_t> interactions;            // per contact, summing to the requested total
  std::vector<std::pair<std::int64_t, Edge>> edges;  // sorted by interaction position
  std::vector<std::int64_t> legacy_contacts;         // contacts with Percentile -1
};

// k distinct values in [0, n), k <= n, in draw order.
std::vector<std::int64_t> distinct(Random& rng, std::int64_t n, std::size_t k) {
  std::vector<std::int64_t> out;
  while (out.size() < k) {
    std::int64_t v = rng.below(n);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

Plan make_plan(Random& rng, std::int64_t contacts, std::int64_t per_contact) {
  Plan plan;
  const std::int64_t total = contacts * per_contact;
  plan.interactions.resize(static_cast<std::size_t>(contacts));
  std::int64_t sum = 0;
  for (auto& count : plan.interactions) {
    count = rng.below(2 * per_contact + 1);  // uniform around the mean
    sum += count;
  }

  std::vector<std::int64_t> fixed;  // contacts whose count the balancing below must not touch
  if (contacts >= kEdgeCaseThreshold) {
    auto chosen = distinct(rng, contacts, 6);
    for (int i = 0; i < 3; ++i) {  // without interactions: their share moves to the others
      sum -= plan.interactions[chosen[i]];
      plan.interactions[chosen[i]] = 0;
      fixed.push_back(chosen[i]);
    }
    plan.legacy_contacts = {chosen[3], chosen[4]};
    std::sort(plan.legacy_contacts.begin(), plan.legacy_contacts.end());
    if (total >= kBigContactThreshold) {
      sum += kBigContactInteractions - plan.interactions[chosen[5]];
      plan.interactions[chosen[5]] = kBigContactInteractions;
      fixed.push_back(chosen[5]);
    }
  }
  // One unit at a time on random contacts: the walk is short (about sqrt(contacts) * per_contact steps) and keeps
  // the spread. It ends: removing is only needed while the free contacts hold more than the total.
  while (sum != total) {
    std::int64_t j = rng.below(contacts);
    if (std::find(fixed.begin(), fixed.end(), j) != fixed.end()) continue;
    if (sum < total) {
      ++plan.interactions[j];
      ++sum;
    } else if (plan.interactions[j] > 0) {
      --plan.interactions[j];
      --sum;
    }
  }

  if (contacts >= kEdgeCaseThreshold && total >= 8) {
    auto chosen = distinct(rng, total, 8);
    const Edge kinds[] = {Edge::FutureStart,      Edge::FutureStart,      Edge::FutureStart,   Edge::LegacyPercentile,
                          Edge::LegacyPercentile, Edge::LegacyPercentile, Edge::LongUserAgent, Edge::UnicodeUserAgent};
    for (std::size_t i = 0; i < chosen.size(); ++i) plan.edges.emplace_back(chosen[i], kinds[i]);
    std::sort(plan.edges.begin(), plan.edges.end());
  }
  return plan;
}

std::string long_user_agent() {
  std::string ua = std::string(kUserAgents[0]);
  for (int i = 0; ua.size() < 5'000; ++i) ua += " Extension" + std::to_string(i) + "/1.0";
  ua.resize(5'000);
  return ua;
}

// format_timestamp's exact text ("2020-08-18T10:59:39.7216673Z") without snprintf, which took a tenth of the
// generator's time. Years 0..9999 only, which the generated dates never leave.
class TimestampText {
 public:
  explicit TimestampText(Timestamp t) {
    using namespace std::chrono;
    auto day = floor<days>(t);
    year_month_day ymd{day};
    std::int64_t ticks = (t - day).count();
    put(0, 4, static_cast<int>(ymd.year()));
    put(5, 2, static_cast<unsigned>(ymd.month()));
    put(8, 2, static_cast<unsigned>(ymd.day()));
    put(11, 2, ticks / (3600 * kSecond));
    put(14, 2, ticks / (60 * kSecond) % 60);
    put(17, 2, ticks / kSecond % 60);
    put(20, 7, ticks % kSecond);
  }
  operator std::string_view() const { return {text_, sizeof text_ - 1}; }

 private:
  void put(int pos, int width, std::int64_t value) {
    for (int i = pos + width - 1; i >= pos; --i, value /= 10) text_[i] = static_cast<char>('0' + value % 10);
  }
  char text_[29] = "0000-00-00T00:00:00.0000000Z";
};

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// What one contact's interactions draw on.
struct ContactContext {
  std::string id;
  Timestamp created{};
  Guid devices[2];
};

class Generator {
 public:
  Generator(Database& db, const GeneratorOptions& options)
      : db_(db), options_(options), rng_(options.seed), added_(format_timestamp(options.now)) {}

  Result<GenerateReport> run() {
    CORTEX_RETURN_IF_ERROR(prepare());
    Plan plan = make_plan(rng_, options_.contacts, options_.interactions_per_contact);
    CORTEX_RETURN_IF_ERROR(begin());
    std::size_t next_legacy = 0;
    for (std::int64_t c = 0; c < options_.contacts; ++c) {
      bool legacy = next_legacy < plan.legacy_contacts.size() && plan.legacy_contacts[next_legacy] == c;
      if (legacy) ++next_legacy;
      CORTEX_RETURN_IF_ERROR(write_contact(legacy, plan.interactions[static_cast<std::size_t>(c)], plan.edges));
      // Between contacts, so that a contact and its interactions are committed together.
      if (rows_in_transaction_ >= kRowsPerTransaction) {
        CORTEX_RETURN_IF_ERROR(commit());
        CORTEX_RETURN_IF_ERROR(begin());
      }
    }
    CORTEX_RETURN_IF_ERROR(commit());
    return report_;
  }

 private:
  Status write_contact(bool legacy, std::int64_t interaction_count,
                       const std::vector<std::pair<std::int64_t, Edge>>& edges) {
    ContactContext contact;
    contact.id = rng_.guid().str();
    contact.created = options_.now - Ticks(rng_.below(kFiveYears));
    Timestamp modified = contact.created + Ticks(rng_.below((options_.now - contact.created).count() + 1));
    double percentile = legacy ? -1.0 : rng_.unit();
    insert_contact_.bind(1, contact.id)
        .bind(2, TimestampText(contact.created))
        .bind(3, TimestampText(modified))
        .bind(4, rng_.guid().str())
        .bind(5, percentile)
        .bind(6, added_);
    CORTEX_RETURN_IF_ERROR(insert_contact_.run());
    const std::int64_t seq = db_.last_insert_rowid();
    ++rows_in_transaction_;

    std::string_view first = rng_.pick(kFirstNames);
    std::string_view last = rng_.pick(kLastNames);
    bool known = rng_.chance(0.7);
    CORTEX_RETURN_IF_ERROR(identifier(seq, "xDB.Tracker", tracker_id(), 0));
    std::string email = lowercase(first) + "." + lowercase(last) + std::to_string(seq) + "@example.com";
    if (known) CORTEX_RETURN_IF_ERROR(identifier(seq, "email", email, 1));
    if (rng_.chance(0.25)) CORTEX_RETURN_IF_ERROR(identifier(seq, "xDB.Tracker", tracker_id(), 0));

    if (known || rng_.chance(0.5)) {
      json_.clear();
      JsonWriter w(json_);
      w.begin_object();
      w.key("@odata.type");
      w.string(std::string(kModel) + "PersonalInformation");
      w.key("FirstName");
      w.string(first);
      if (rng_.chance(0.4)) {
        w.key("JobTitle");
        w.string(rng_.pick(kJobTitles));
      }
      w.key("LastName");
      w.string(last);
      w.key("PreferredLanguage");
      w.string(rng_.pick(kLanguages));
      w.end_object();
      CORTEX_RETURN_IF_ERROR(facet(insert_contact_facet_, seq, "Personal"));
    }
    if (known) {
      std::string_view key = rng_.chance(0.3) ? "Work" : "Home";
      json_.clear();
      JsonWriter w(json_);
      w.begin_object();
      w.key("@odata.type");
      w.string(std::string(kModel) + "EmailAddressList");
      w.key("Emails");
      w.begin_object();
      w.key(key);
      w.begin_object();
      w.key("SmtpAddress");
      w.string(email);
      w.end_object();
      w.end_object();
      w.key("PreferredKey");
      w.string(key);
      w.end_object();
      CORTEX_RETURN_IF_ERROR(facet(insert_contact_facet_, seq, "Emails"));
    }
    contact.devices[0] = rng_.guid();
    contact.devices[1] = rng_.guid();
    ++report_.contacts;

    for (std::int64_t i = 0; i < interaction_count; ++i) {
      Edge edge = Edge::None;
      if (next_edge_ < edges.size() && edges[next_edge_].first == interaction_position_)
        edge = edges[next_edge_++].second;
      CORTEX_RETURN_IF_ERROR(write_interaction(contact, edge));
      ++interaction_position_;
    }
    return Status::OK();
  }

  Status write_interaction(const ContactContext& contact, Edge edge) {
    std::string id = rng_.guid().str();
    Timestamp start =
        edge == Edge::FutureStart
            ? options_.now + Ticks(1 + rng_.below(30 * kDay))
            : contact.created + Ticks(rng_.below(std::max<std::int64_t>(1, (options_.now - contact.created).count())));
    bool bounce = rng_.chance(0.2);  // one page and gone: no duration, as in the public fixture's second interaction
    std::int64_t duration = bounce ? 0 : (5 + rng_.below(1'800)) * kSecond + rng_.below(kSecond);
    Timestamp end = start + Ticks(duration);
    Timestamp modified = end + Ticks(rng_.below(10 * kSecond));
    std::string_view channel = rng_.pick(kChannels);
    std::string_view initiator = rng_.chance(0.9) ? "Contact" : "Brand";
    std::string_view user_agent = rng_.pick(kUserAgents);
    if (edge == Edge::LongUserAgent) user_agent = long_user_agent_;
    if (edge == Edge::UnicodeUserAgent) user_agent = kUnicodeUserAgent;
    bool campaign = rng_.chance(0.1);
    std::string_view campaign_id = campaign ? rng_.pick(kCampaigns) : std::string_view();
    bool venue = rng_.chance(0.03);
    std::string_view venue_id = venue ? rng_.pick(kVenues) : std::string_view();
    std::string device = contact.devices[rng_.below(2)].str();
    std::string token = rng_.guid().str();
    std::int64_t engagement = write_events(start, duration, bounce ? 1 : 1 + static_cast<int>(rng_.below(3)));
    double percentile = edge == Edge::LegacyPercentile ? -1.0 : rng_.unit();

    insert_interaction_.bind(1, id)
        .bind(2, contact.id)
        .bind(3, TimestampText(start))
        .bind(4, TimestampText(end))
        .bind(5, duration)
        .bind(6, TimestampText(modified))
        .bind(7, channel)
        .bind(8, initiator)
        .bind(9, user_agent)
        .bind(12, device)
        .bind(13, token)
        .bind(14, engagement)
        .bind(15, json_)
        .bind(16, percentile)
        .bind(17, added_);
    if (campaign) insert_interaction_.bind(10, campaign_id);
    if (venue) insert_interaction_.bind(11, venue_id);
    CORTEX_RETURN_IF_ERROR(insert_interaction_.run());
    const std::int64_t seq = db_.last_insert_rowid();
    ++rows_in_transaction_;
    ++report_.interactions;

    if (rng_.chance(0.3)) {
      json_.clear();
      JsonWriter w(json_);
      w.begin_object();
      w.key("@odata.type");
      w.string(std::string(kModel) + "WebVisit");
      w.key("Language");
      w.string("en");
      if (rng_.chance(0.6)) {
        w.key("Referrer");
        w.string(rng_.pick(kReferrers));
      }
      w.key("SiteName");
      w.string("website");
      w.end_object();
      CORTEX_RETURN_IF_ERROR(facet(insert_interaction_facet_, seq, "WebVisit"));
    }
    return Status::OK();
  }

  // Fills json_ with the events, members in sorted order and defaults left out: the form the importer stores.
  // Returns the engagement value they add up to.
  std::int64_t write_events(Timestamp start, std::int64_t duration, int pages) {
    json_.clear();
    JsonWriter w(json_);
    std::int64_t engagement = 0;
    const std::int64_t step = duration / pages;
    w.begin_array();
    for (int p = 0; p < pages; ++p) {
      Timestamp at = start + Ticks(step * p);
      const Page& page = rng_.pick(kPages);
      begin_event(w, "PageViewEvent", kPageViewDefinition);
      if (p + 1 < pages && step > 0) {  // the last page's time on page is unknown, as in xConnect
        w.key("Duration");
        w.string(format_duration(step));
      }
      event_id(w);
      w.key("ItemId");
      w.string(page.item_id);
      w.key("ItemLanguage");
      w.string("en");
      w.key("ItemVersion");
      w.integer(1);
      w.key("SitecoreRenderingDevice");
      w.begin_object();
      w.key("Id");
      w.string(kRenderingDevice);
      w.key("Name");
      w.string("Default");
      w.end_object();
      event_timestamp(w, at);
      w.key("Url");
      w.string(page.url);
      w.end_object();

      Timestamp later = at + Ticks(step / 2);
      if (rng_.chance(0.05)) {
        begin_event(w, "SearchEvent", kSearchDefinition);
        event_id(w);
        w.key("Keywords");
        w.string(rng_.pick(kKeywords));
        event_timestamp(w, later);
        w.end_object();
      }
      if (rng_.chance(0.04)) {
        begin_event(w, "DownloadEvent", kDownloadDefinition);
        event_id(w);
        w.key("ItemId");
        w.string(rng_.pick(kDownloads));
        event_timestamp(w, later);
        w.end_object();
      }
      if (rng_.chance(0.08)) {
        const GoalDefinition& goal = rng_.pick(kGoals);
        begin_event(w, "Goal", goal.id);
        w.key("EngagementValue");
        w.integer(goal.points);
        event_id(w);
        event_timestamp(w, later);
        w.end_object();
        engagement += goal.points;
      }
      if (rng_.chance(0.02)) {
        const OutcomeDefinition& outcome = rng_.pick(kOutcomes);
        w.begin_object();
        w.key("@odata.type");
        w.string(std::string(kModel) + "Outcome");
        w.key("CurrencyCode");
        w.string(outcome.currency);
        w.key("DefinitionId");
        w.string(outcome.id);
        w.key("EngagementValue");
        w.integer(outcome.points);
        event_id(w);
        w.key("MonetaryValue");
        w.raw(outcome.monetary_value);
        event_timestamp(w, later);
        w.end_object();
        engagement += outcome.points;
      }
    }
    w.end_array();
    return engagement;
  }

  static void begin_event(JsonWriter& w, std::string_view type, std::string_view definition) {
    w.begin_object();
    w.key("@odata.type");
    w.string(std::string(kModel) + std::string(type));
    w.key("DefinitionId");
    w.string(definition);
  }
  void event_id(JsonWriter& w) {
    w.key("Id");
    w.string(rng_.guid().str());
  }
  // Timestamp sorts after every member but Url, which the caller adds before closing the event.
  static void event_timestamp(JsonWriter& w, Timestamp at) {
    w.key("Timestamp");
    w.string(TimestampText(at));
  }

  std::string tracker_id() {
    std::string hex = rng_.guid().str();
    hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
    return hex;
  }

  Status identifier(std::int64_t seq, std::string_view source, const std::string& value, int type) {
    insert_identifier_.bind(1, seq).bind(2, source).bind(3, value).bind(4, type);
    ++rows_in_transaction_;
    return insert_identifier_.run();
  }

  Status facet(Statement& insert, std::int64_t seq, std::string_view key) {
    insert.bind(1, seq).bind(2, key).bind(3, json_);
    ++rows_in_transaction_;
    return insert.run();
  }

  Status begin() {
    auto transaction = Transaction::begin(db_);
    if (!transaction.ok()) return transaction.error();
    transaction_ = std::move(*transaction);
    rows_in_transaction_ = 0;
    return Status::OK();
  }

  Status commit() {
    CORTEX_RETURN_IF_ERROR(transaction_->commit());
    transaction_.reset();
    return Status::OK();
  }

  Status prepare() {
    const std::pair<Statement*, const char*> statements[] = {
        {&insert_contact_,
         "INSERT INTO Contacts (Id, Created, LastModified, ConcurrencyToken, Percentile, Added) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
        {&insert_identifier_,
         "INSERT INTO ContactIdentifiers (ContactSeq, Source, Identifier, IdentifierType) VALUES (?1, ?2, ?3, ?4)"},
        {&insert_contact_facet_, "INSERT INTO ContactFacets (ContactSeq, FacetKey, Data) VALUES (?1, ?2, ?3)"},
        {&insert_interaction_,
         "INSERT INTO Interactions (Id, ContactId, StartDateTime, EndDateTime, DurationTicks, LastModified, ChannelId, "
         "Initiator, UserAgent, CampaignId, VenueId, DeviceProfileId, ConcurrencyToken, EngagementValue, Events, "
         "Percentile, Added) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"},
        {&insert_interaction_facet_,
         "INSERT INTO InteractionFacets (InteractionSeq, FacetKey, Data) VALUES (?1, ?2, ?3)"},
    };
    for (const auto& [target, sql] : statements) {
      auto statement = db_.prepare(sql);
      if (!statement.ok()) return statement.error();
      *target = std::move(*statement);
    }
    return Status::OK();
  }

  Database& db_;
  const GeneratorOptions& options_;
  Random rng_;
  const std::string added_;
  const std::string long_user_agent_ = long_user_agent();
  std::string json_;  // the Events or facet being built; reused so the hot loop does not allocate for it
  std::unique_ptr<Transaction> transaction_;
  std::int64_t rows_in_transaction_ = 0;
  std::int64_t interaction_position_ = 0;
  std::size_t next_edge_ = 0;
  GenerateReport report_;
  Statement insert_contact_, insert_identifier_, insert_contact_facet_, insert_interaction_, insert_interaction_facet_;
};

}  // namespace

Result<GenerateReport> generate_collection(Database& collection, const GeneratorOptions& options) {
  if (options.contacts < 0 || options.interactions_per_contact < 0) {
    return make_error(ErrorCode::InvalidArgument, "contacts and interactions per contact must not be negative");
  }
  // A bound far above any useful collection, which keeps the plan's per-contact vector and the total in range.
  constexpr std::int64_t kLimit = std::numeric_limits<std::int32_t>::max();
  if (options.contacts > kLimit ||
      (options.interactions_per_contact > 0 && options.contacts > kLimit / options.interactions_per_contact)) {
    return make_error(ErrorCode::InvalidArgument, "more than 2^31 contacts or interactions requested");
  }
  if (options.now == Timestamp{}) {
    return make_error(ErrorCode::InvalidArgument, "the generator's reference time (now) is not set");
  }
  // A larger page cache for the bulk write, set back afterwards since the connection is the caller's.
  std::int64_t cache_size = -2000;
  if (auto query = collection.prepare("PRAGMA cache_size"); query.ok() && query->step().ok())
    cache_size = query->int64(0);
  CORTEX_RETURN_IF_ERROR(collection.exec("PRAGMA cache_size = -" + std::to_string(kCacheKibibytes)));
  Generator generator(collection, options);
  auto report = generator.run();
  (void)collection.exec("PRAGMA cache_size = " + std::to_string(cache_size));
  if (!report.ok()) return report.error().with_context("generating into " + collection.path());
  return report;
}

}  // namespace cortex

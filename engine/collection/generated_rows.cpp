// Rendering the generator's rows: a plan of interaction counts and edge cases first, then the rows contact by
// contact, written straight into a batch's text buffer (no per-row allocation, constant JSON as literal runs).
#include "collection/generated_rows.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <random>
#include <utility>

namespace cortex::generated {
namespace {

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
  // A version-4-shaped GUID from the seed's stream, so ids look like xConnect's random ones yet repeat per seed:
  // the 16 bytes, most significant first, of two draws.
  std::array<std::uint8_t, 16> guid() {
    std::array<std::uint8_t, 16> bytes{};
    for (int half = 0; half < 2; ++half) {
      std::uint64_t bits = engine_();
      for (int i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
    }
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);
    return bytes;
  }

 private:
  std::mt19937_64 engine_;
};

// ---- The tables the data is drawn from. No value needs JSON escaping (the renderer below copies them as is). ----

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
// A column value only (never inside JSON), so its quotes and backslash need no escaping.
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
  std::string_view points;  // the EngagementValue's JSON text
  std::int64_t value;
};
constexpr GoalDefinition kGoals[] = {{"66722f52-2d13-4dcc-90fc-ea7117cf2298", "10", 10},   // Instant Demo
                                     {"28a7c944-b8b6-45ad-a635-6f72e8f81f69", "20", 20},   // Register
                                     {"968897f1-328a-489d-88e8-be78f4370958", "5", 5},     // Login
                                     {"8fffb3c6-1b94-4f5e-8d42-ff1f3f0c7a28", "50", 50}};  // Newsletter sign-up
struct OutcomeDefinition {
  std::string_view id;
  std::string_view monetary_value;  // JSON number text, already in the form nlohmann writes it
  std::string_view currency;
  std::string_view points;
  std::int64_t value;
};
constexpr OutcomeDefinition kOutcomes[] = {{"9016e456-95cb-42e9-ad58-997d6d77ae83", "49.95", "USD", "100", 100},
                                           {"75d53206-47b3-4391-bd1c-7a2b2e8d2a6f", "129.5", "EUR", "100", 100},
                                           {"bf61f6c9-2d27-4f0b-9c3f-5a2e0d5f8c11", "899", "DKK", "200", 200}};
constexpr std::string_view kKeywords[] = {"mountain bike", "helmet size", "opening hours",
                                          "return policy", "gift card",   "carbon frame"};
constexpr std::string_view kDownloads[] = {"0b6b9b5e-2f4c-4b0f-8a4e-5c3d2e1f0a9b",
                                           "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"};
constexpr std::string_view kReferrers[] = {"https://www.google.com/", "https://www.bing.com/", "https://t.co/",
                                           "https://www.linkedin.com/"};

// ---- The JSON around the values: members in sorted order and defaults left out, the form the importer stores
// (JsonWriter's compact output, which the tests compare with stored_json). ----

#define CORTEX_MODEL "#Sitecore.XConnect.Collection.Model."
constexpr std::string_view kPageViewOpen =
    "{\"@odata.type\":\"" CORTEX_MODEL "PageViewEvent\",\"DefinitionId\":\"9326cb1e-cec8-48f2-9a3e-91c7dbb2166c\",";
constexpr std::string_view kPageViewItem = "\",\"ItemId\":\"";
constexpr std::string_view kPageViewDevice =
    "\",\"ItemLanguage\":\"en\",\"ItemVersion\":1,\"SitecoreRenderingDevice\":{\"Id\":\"fe5d7fdf-89c0-4d99-9aa3-"
    "b5fbd009c9f3\",\"Name\":\"Default\"},\"Timestamp\":\"";
constexpr std::string_view kPageViewUrl = "\",\"Url\":\"";
constexpr std::string_view kSearchOpen =
    "{\"@odata.type\":\"" CORTEX_MODEL "SearchEvent\",\"DefinitionId\":\"0c179613-2073-41ab-992e-027d03d9c36b\","
    "\"Id\":\"";
constexpr std::string_view kSearchKeywords = "\",\"Keywords\":\"";
constexpr std::string_view kDownloadOpen =
    "{\"@odata.type\":\"" CORTEX_MODEL "DownloadEvent\",\"DefinitionId\":\"fa72e131-3cfd-481c-8e15-04496e9586dc\","
    "\"Id\":\"";
constexpr std::string_view kGoalOpen = "{\"@odata.type\":\"" CORTEX_MODEL "Goal\",\"DefinitionId\":\"";
constexpr std::string_view kOutcomeOpen = "{\"@odata.type\":\"" CORTEX_MODEL "Outcome\",\"CurrencyCode\":\"";
constexpr std::string_view kPersonalOpen = "{\"@odata.type\":\"" CORTEX_MODEL "PersonalInformation\",\"FirstName\":\"";
constexpr std::string_view kWebVisitOpen = "{\"@odata.type\":\"" CORTEX_MODEL "WebVisit\",\"Language\":\"en\"";
constexpr std::string_view kEmailsOpen = "{\"@odata.type\":\"" CORTEX_MODEL "EmailAddressList\",\"Emails\":{\"";
#undef CORTEX_MODEL

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

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "00".."ff" for each byte value.
constexpr std::array<char, 512> kHexPairs = [] {
  std::array<char, 512> pairs{};
  constexpr char digits[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    pairs[2 * i] = digits[i >> 4];
    pairs[2 * i + 1] = digits[i & 15];
  }
  return pairs;
}();

// Appends to a batch's text. Every value is written in place: the buffer grows by what is added, nothing else.
class Text {
 public:
  explicit Text(std::string& out) : out_(out) {}

  std::uint32_t size() const { return static_cast<std::uint32_t>(out_.size()); }
  Span since(std::uint32_t start) const { return {start, size() - start}; }

  void add(std::string_view s) { out_.append(s); }
  void add(char c) { out_.push_back(c); }

  // Guid::str()'s form: lowercase, dashed.
  void guid(const std::array<std::uint8_t, 16>& bytes) {
    char* p = grow(36);
    for (std::size_t i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
      *p++ = kHexPairs[2 * bytes[i]];
      *p++ = kHexPairs[2 * bytes[i] + 1];
    }
  }
  // The same without dashes (the xDB.Tracker identifiers).
  void hex(const std::array<std::uint8_t, 16>& bytes) {
    char* p = grow(32);
    for (std::size_t i = 0; i < 16; ++i) {
      *p++ = kHexPairs[2 * bytes[i]];
      *p++ = kHexPairs[2 * bytes[i] + 1];
    }
  }

  // format_timestamp's exact text ("2020-08-18T10:59:39.7216673Z"), years 0..9999 (the generated dates never leave
  // them).
  void timestamp(Timestamp t) {
    using namespace std::chrono;
    auto day = floor<days>(t);
    year_month_day ymd{day};
    std::int64_t ticks = (t - day).count();
    char* p = grow(28);
    digits(p, 4, static_cast<int>(ymd.year()));
    p[4] = '-';
    digits(p + 5, 2, static_cast<unsigned>(ymd.month()));
    p[7] = '-';
    digits(p + 8, 2, static_cast<unsigned>(ymd.day()));
    p[10] = 'T';
    digits(p + 11, 2, ticks / (3600 * kSecond));
    p[13] = ':';
    digits(p + 14, 2, ticks / (60 * kSecond) % 60);
    p[16] = ':';
    digits(p + 17, 2, ticks / kSecond % 60);
    p[19] = '.';
    digits(p + 20, 7, ticks % kSecond);
    p[27] = 'Z';
  }

  void integer(std::int64_t value) {
    char buf[24];
    int n = 0;
    std::uint64_t v = value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
    do {
      buf[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    if (value < 0) buf[n++] = '-';
    char* p = grow(static_cast<std::size_t>(n));
    while (n) *p++ = buf[--n];
  }

  // format_duration's exact text (ISO 8601, "PT28.6763679S") for ticks >= 0.
  void duration(std::int64_t ticks) {
    add('P');
    std::int64_t d = ticks / kDay;
    ticks %= kDay;
    std::int64_t h = ticks / (3600 * kSecond);
    ticks %= 3600 * kSecond;
    std::int64_t m = ticks / (60 * kSecond);
    ticks %= 60 * kSecond;
    std::int64_t s = ticks / kSecond;
    std::int64_t frac = ticks % kSecond;
    if (d) {
      integer(d);
      add('D');
    }
    if (!(h || m || s || frac || !d)) return;
    add('T');
    if (h) {
      integer(h);
      add('H');
    }
    if (m) {
      integer(m);
      add('M');
    }
    if (s || frac || (!h && !m)) {
      integer(s);
      if (frac) {
        char buf[8];
        digits(buf, 7, frac);
        int n = 7;
        while (buf[n - 1] == '0') --n;
        add('.');
        add(std::string_view(buf, static_cast<std::size_t>(n)));
      }
      add('S');
    }
  }

 private:
  char* grow(std::size_t n) {
    std::size_t at = out_.size();
    out_.resize(at + n);
    return out_.data() + at;
  }
  static void digits(char* p, int width, std::int64_t value) {
    for (int i = width - 1; i >= 0; --i, value /= 10) p[i] = static_cast<char>('0' + value % 10);
  }
  std::string& out_;
};

}  // namespace

std::string_view email_facet_prefix(bool work) {
  static const std::string work_prefix = std::string(kEmailsOpen) + "Work\":{\"SmtpAddress\":\"";
  static const std::string home_prefix = std::string(kEmailsOpen) + "Home\":{\"SmtpAddress\":\"";
  return work ? work_prefix : home_prefix;
}

std::string_view email_facet_suffix(bool work) {
  return work ? "\"}},\"PreferredKey\":\"Work\"}" : "\"}},\"PreferredKey\":\"Home\"}";
}

struct RowGenerator::State {
  explicit State(const GeneratorOptions& o) : options(o), rng(o.seed) {
    plan = make_plan(rng, options.contacts, options.interactions_per_contact);
    for (auto name : kFirstNames) first_lower.push_back(lowercase(name));
    for (auto name : kLastNames) last_lower.push_back(lowercase(name));
  }

  // The contact's draws, in the order the generator has always made them (the stream is its identity).
  void write_contact(RowBatch& batch, bool legacy, std::int64_t interaction_count) {
    Text t(batch.text);
    ContactRow& row = batch.contacts.emplace_back();
    std::uint32_t start = t.size();
    t.guid(rng.guid());
    row.id = t.since(start);
    const Timestamp created = options.now - Ticks(rng.below(kFiveYears));
    const Timestamp modified = created + Ticks(rng.below((options.now - created).count() + 1));
    row.percentile = legacy ? -1.0 : rng.unit();
    start = t.size();
    t.timestamp(created);
    row.created = t.since(start);
    start = t.size();
    t.timestamp(modified);
    row.modified = t.since(start);
    start = t.size();
    t.guid(rng.guid());
    row.token = t.since(start);

    const std::size_t first = static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(std::size(kFirstNames))));
    const std::size_t last = static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(std::size(kLastNames))));
    row.known = rng.chance(0.7);
    start = t.size();
    t.hex(rng.guid());
    row.tracker = t.since(start);
    if (row.known) {
      start = t.size();
      t.add(first_lower[first]);
      t.add('.');
      t.add(last_lower[last]);
      row.email_local = t.since(start);
    }
    if (rng.chance(0.25)) {
      start = t.size();
      t.hex(rng.guid());
      row.second_tracker = t.since(start);
    }
    if (row.known || rng.chance(0.5)) {
      start = t.size();
      t.add(kPersonalOpen);
      t.add(kFirstNames[first]);
      if (rng.chance(0.4)) {
        t.add("\",\"JobTitle\":\"");
        t.add(rng.pick(kJobTitles));
      }
      t.add("\",\"LastName\":\"");
      t.add(kLastNames[last]);
      t.add("\",\"PreferredLanguage\":\"");
      t.add(rng.pick(kLanguages));
      t.add("\"}");
      row.personal = t.since(start);
    }
    if (row.known) row.work_email = rng.chance(0.3);
    const auto device0 = rng.guid();
    const auto device1 = rng.guid();

    const Span contact_id = row.id;
    row.interactions = static_cast<std::uint32_t>(interaction_count);
    for (std::int64_t i = 0; i < interaction_count; ++i) {
      Edge edge = Edge::None;
      if (next_edge < plan.edges.size() && plan.edges[next_edge].first == interaction_position)
        edge = plan.edges[next_edge++].second;
      write_interaction(batch, contact_id, created, device0, device1, edge);
      ++interaction_position;
    }
  }

  void write_interaction(RowBatch& batch, Span contact_id, Timestamp contact_created,
                         const std::array<std::uint8_t, 16>& device0, const std::array<std::uint8_t, 16>& device1,
                         Edge edge) {
    Text t(batch.text);
    InteractionRow& row = batch.interactions.emplace_back();
    row.contact_id = contact_id;
    std::uint32_t start = t.size();
    t.guid(rng.guid());
    row.id = t.since(start);
    const Timestamp begin =
        edge == Edge::FutureStart
            ? options.now + Ticks(1 + rng.below(30 * kDay))
            : contact_created +
                  Ticks(rng.below(std::max<std::int64_t>(1, (options.now - contact_created).count())));
    const bool bounce = rng.chance(0.2);  // one page and gone: no duration, as in the public fixture's second one
    std::int64_t duration = 0;
    if (!bounce) {
      const std::int64_t seconds = 5 + rng.below(1'800);
      duration = seconds * kSecond + rng.below(kSecond);
    }
    const Timestamp end = begin + Ticks(duration);
    const Timestamp modified = end + Ticks(rng.below(10 * kSecond));
    row.duration = duration;
    start = t.size();
    t.timestamp(begin);
    row.start = t.since(start);
    start = t.size();
    t.timestamp(end);
    row.end = t.since(start);
    start = t.size();
    t.timestamp(modified);
    row.modified = t.since(start);

    row.channel = rng.pick(kChannels);
    row.initiator = rng.chance(0.9) ? "Contact" : "Brand";
    row.user_agent = rng.pick(kUserAgents);
    if (edge == Edge::LongUserAgent) row.user_agent = long_ua;
    if (edge == Edge::UnicodeUserAgent) row.user_agent = kUnicodeUserAgent;
    if (rng.chance(0.1)) row.campaign = rng.pick(kCampaigns);
    if (rng.chance(0.03)) row.venue = rng.pick(kVenues);
    start = t.size();
    t.guid(rng.below(2) == 0 ? device0 : device1);
    row.device = t.since(start);
    start = t.size();
    t.guid(rng.guid());
    row.token = t.since(start);
    const int pages = bounce ? 1 : 1 + static_cast<int>(rng.below(3));
    start = t.size();
    row.engagement = write_events(t, begin, duration, pages);
    row.events = t.since(start);
    row.percentile = edge == Edge::LegacyPercentile ? -1.0 : rng.unit();

    if (rng.chance(0.3)) {
      start = t.size();
      t.add(kWebVisitOpen);
      if (rng.chance(0.6)) {
        t.add(",\"Referrer\":\"");
        t.add(rng.pick(kReferrers));
        t.add('"');
      }
      t.add(",\"SiteName\":\"website\"}");
      row.web_visit = t.since(start);
    }
  }

  // The Events array; returns the engagement value its goals and outcomes add up to.
  std::int64_t write_events(Text& t, Timestamp begin, std::int64_t duration, int pages) {
    std::int64_t engagement = 0;
    const std::int64_t step = duration / pages;
    t.add('[');
    for (int p = 0; p < pages; ++p) {
      if (p) t.add(',');
      const Timestamp at = begin + Ticks(step * p);
      const Page& page = rng.pick(kPages);
      t.add(kPageViewOpen);
      if (p + 1 < pages && step > 0) {  // the last page's time on page is unknown, as in xConnect
        t.add("\"Duration\":\"");
        t.duration(step);
        t.add("\",");
      }
      t.add("\"Id\":\"");
      t.guid(rng.guid());
      t.add(kPageViewItem);
      t.add(page.item_id);
      t.add(kPageViewDevice);
      t.timestamp(at);
      t.add(kPageViewUrl);
      t.add(page.url);
      t.add("\"}");

      const Timestamp later = at + Ticks(step / 2);
      if (rng.chance(0.05)) {
        t.add(',');
        t.add(kSearchOpen);
        t.guid(rng.guid());
        t.add(kSearchKeywords);
        t.add(rng.pick(kKeywords));
        event_timestamp(t, later);
      }
      if (rng.chance(0.04)) {
        t.add(',');
        t.add(kDownloadOpen);
        t.guid(rng.guid());
        t.add("\",\"ItemId\":\"");
        t.add(rng.pick(kDownloads));
        event_timestamp(t, later);
      }
      if (rng.chance(0.08)) {
        const GoalDefinition& goal = rng.pick(kGoals);
        t.add(',');
        t.add(kGoalOpen);
        t.add(goal.id);
        t.add("\",\"EngagementValue\":");
        t.add(goal.points);
        t.add(",\"Id\":\"");
        t.guid(rng.guid());
        event_timestamp(t, later);
        engagement += goal.value;
      }
      if (rng.chance(0.02)) {
        const OutcomeDefinition& outcome = rng.pick(kOutcomes);
        t.add(',');
        t.add(kOutcomeOpen);
        t.add(outcome.currency);
        t.add("\",\"DefinitionId\":\"");
        t.add(outcome.id);
        t.add("\",\"EngagementValue\":");
        t.add(outcome.points);
        t.add(",\"Id\":\"");
        t.guid(rng.guid());
        t.add("\",\"MonetaryValue\":");
        t.add(outcome.monetary_value);
        t.add(",\"Timestamp\":\"");
        t.timestamp(later);
        t.add("\"}");
        engagement += outcome.value;
      }
    }
    t.add(']');
    return engagement;
  }

  // Closes a string member and the event with its Timestamp, the last member of the event types that use it.
  static void event_timestamp(Text& t, Timestamp at) {
    t.add("\",\"Timestamp\":\"");
    t.timestamp(at);
    t.add("\"}");
  }

  const GeneratorOptions options;
  Random rng;
  Plan plan;
  const std::string long_ua = long_user_agent();
  std::vector<std::string> first_lower, last_lower;
  std::int64_t next_contact = 0;
  std::size_t next_legacy = 0;
  std::size_t next_edge = 0;
  std::int64_t interaction_position = 0;
};

RowGenerator::RowGenerator(const GeneratorOptions& options) : state_(std::make_unique<State>(options)) {}
RowGenerator::~RowGenerator() = default;

bool RowGenerator::fill(RowBatch& batch, std::size_t interactions) {
  batch.clear();
  State& s = *state_;
  while (s.next_contact < s.options.contacts && (batch.contacts.empty() || batch.interactions.size() < interactions)) {
    const std::int64_t c = s.next_contact++;
    const bool legacy = s.next_legacy < s.plan.legacy_contacts.size() && s.plan.legacy_contacts[s.next_legacy] == c;
    if (legacy) ++s.next_legacy;
    s.write_contact(batch, legacy, s.plan.interactions[static_cast<std::size_t>(c)]);
    // A contact without interactions still counts a little, so that a batch of contacts alone stays bounded.
    if (batch.contacts.size() >= interactions) break;
  }
  return !batch.contacts.empty();
}

}  // namespace cortex::generated

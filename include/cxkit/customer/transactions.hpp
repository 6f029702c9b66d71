/**
 * @file transactions.hpp
 * @brief The mergeable state behind `rfm` and `clv_summary` (METRICS.md §4 "RFM" and "Customer
 * lifetime value", summary part): per customer, the sorted distinct purchase days with, per day,
 * the number of transactions and their amount sum.
 *
 * Why days: every result option of RFM and of the transaction summary — the period (D/W/M), the
 * multiplier, the as-of day / observation end, the calibration/holdout split — is a function of a
 * customer's purchase days, the rows per day and the amount per day, so with days in the state all
 * of them are arguments of the result, never of the state (ARCHITECTURE.md §1). The results feed
 * the state's entries (customer, day, rows, amount) to the one aggregation kernel,
 * `aggregate_transactions` (rfm.hpp), with a per-entry row count, so there is no second
 * aggregation: `rfm()` / `clv_summary()` of a state equal `rfm` / `clv_summary` of the rows it was
 * built from, with one resolution limit: a state knows days, not times of day, so a calibration
 * or holdout end is a day (rows on that day are before the end).
 *
 * Merge: per customer, the union of the day sets with rows and amounts added on common days.
 * Counts are exact and the union is exact, so a customer whose rows are split across partitions
 * merges to exactly the state of one pass. Amounts are IEEE sums: the day sums of a merge are added
 * in another order than one pass adds the rows, so they agree to rounding (exactly when the
 * amounts are exactly representable partial sums, e.g. whole cents scaled to integers).
 *
 * Row classes (ARCHITECTURE.md §3, as for `rfm`): a missing customer, time (NaT / flag 1) or amount
 * (NaN) is missing; a time that is not a time (flag 2) or beyond ±(2^31 − 1) days, and a negative or
 * infinite amount, are invalid (raise naming the position and value, or drop and count). Every row
 * is counted once: n + n_missing + n_invalid = rows added.
 *
 * Cost: add() of a batch of b rows sorts the batch (O(b log b)) and merges each touched customer's
 * day vector (appending when the new days are later, the usual feed); results sort the customer
 * keys (O(K log K)) and run the linear kernel over the E entries.
 */
#ifndef CXKIT_CUSTOMER_TRANSACTIONS_HPP
#define CXKIT_CUSTOMER_TRANSACTIONS_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/archive.hpp"
#include "cxkit/core/time.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/customer/clv_summary.hpp"
#include "cxkit/customer/rfm.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace customer {

/**
 * Mergeable transaction state: per customer key (int64) the sorted distinct purchase days, each
 * with its transaction count and amount sum, plus the row accounting. See the file comment.
 */
class transaction_accumulator {
public:
    static constexpr core::state_family family = core::state_family::transactions;
    static constexpr std::uint16_t format_version = 1;

    /// One purchase day of one customer.
    struct day_entry {
        std::int64_t day = 0;     ///< days since 1970-01-01
        std::uint64_t rows = 0;   ///< transactions on that day (>= 1)
        double amount = 0.0;      ///< their amount sum (0 without amounts)
        bool operator==(const day_entry& o) const noexcept {
            return day == o.day && rows == o.rows && amount == o.amount;
        }
    };

    /// @param amounts whether rows carry an amount (needed by rfm and the monetary columns).
    explicit transaction_accumulator(bool amounts = true) : has_amount_(amounts) {}

    bool has_amount() const noexcept { return has_amount_; }
    std::uint64_t n() const noexcept { return n_; }
    std::uint64_t n_missing() const noexcept { return missing_; }
    std::uint64_t n_invalid() const noexcept { return invalid_; }
    std::size_t n_customers() const noexcept { return days_.size(); }
    /// Number of (customer, day) entries.
    std::size_t n_entries() const noexcept {
        std::size_t e = 0;
        for (const auto& kv : days_) e += kv.second.size();
        return e;
    }
    /// The days of one customer (empty when unknown), ascending.
    const std::vector<day_entry>& days_of(std::int64_t customer) const {
        static const std::vector<day_entry> none;
        const auto it = days_.find(customer);
        return it == days_.end() ? none : it->second;
    }

    /**
     * Adds transactions: customer keys as int64 (`customer_offset` is ignored; `customer_missing`
     * flags missing ones), times in `units_per_day` units with flags, amounts exactly when the state
     * keeps them. One row per transaction (`rows` must be null). With policy raise an invalid row
     * refuses the whole batch and leaves the state unchanged.
     * @throws invalid_argument for amounts given/not given against the state, a rows column, or a
     *         non-positive units_per_day; invalid_input (policy raise) naming the first invalid
     *         position, its value and the number of invalid rows.
     */
    void add(const transaction_columns<std::int64_t>& in, core::on_invalid policy = core::on_invalid::raise) {
        if ((in.amount != nullptr) != has_amount_)
            CXKIT_THROW(invalid_argument, has_amount_ ? "this transaction state keeps amounts: pass amount"
                                                      : "this transaction state was made without amounts");
        if (in.rows != nullptr) CXKIT_THROW(invalid_argument, "add takes one row per transaction (rows must be null)");
        if (in.units_per_day <= 0) CXKIT_THROW(invalid_argument, "units_per_day must be positive");
        if (in.size > 0 && in.time == nullptr) CXKIT_THROW(invalid_argument, "times are required");
        struct row {
            std::int64_t customer, day;
            double amount;
        };
        std::vector<row> batch;
        batch.reserve(in.size);
        std::uint64_t missing = 0, bad = 0;
        std::size_t first_bad = 0;
        const transaction_window open;  // no end, no split: every present, valid row is main
        const std::int64_t upd = in.units_per_day;
        auto div = [upd](std::int64_t t) { return core::floor_div(t, upd); };
        for (std::size_t i = 0; i < in.size; ++i) {
            if (in.customer_missing && in.customer_missing[i]) {
                ++missing;
                continue;
            }
            std::int64_t day = 0, period = 0;
            const std::uint8_t cls = detail::transaction_class(in, open, div, i, day, period);
            if (cls == detail::tx_missing) {
                ++missing;
                continue;
            }
            if (cls == detail::tx_bad) {
                if (bad++ == 0) first_bad = i;
                continue;
            }
            batch.push_back({in.customer[i], day, in.amount ? in.amount[i] : 0.0});
        }
        if (bad > 0 && policy == core::on_invalid::raise) detail::throw_transaction_invalid(in, first_bad, bad);
        missing_ += missing;
        invalid_ += bad;
        n_ += batch.size();
        // Stable: the rows of one customer-day are summed in input order.
        std::stable_sort(batch.begin(), batch.end(), [](const row& a, const row& b) {
            return a.customer != b.customer ? a.customer < b.customer : a.day < b.day;
        });
        std::vector<day_entry> fresh;
        for (std::size_t i = 0; i < batch.size();) {
            fresh.clear();
            std::size_t j = i;
            for (; j < batch.size() && batch[j].customer == batch[i].customer; ++j) {
                if (!fresh.empty() && fresh.back().day == batch[j].day) {
                    ++fresh.back().rows;
                    fresh.back().amount += batch[j].amount;
                } else {
                    fresh.push_back({batch[j].day, 1, batch[j].amount});
                }
            }
            merge_days(days_[batch[i].customer], fresh);
            i = j;
        }
    }

    /// Adds one transaction (time in `units_per_day` units; `amount` exactly when the state keeps
    /// amounts). Same classes and policy as the batch add.
    void add(std::int64_t customer, std::int64_t time, std::optional<double> amount = std::nullopt,
             std::int64_t units_per_day = core::seconds_per_day, core::on_invalid policy = core::on_invalid::raise) {
        transaction_columns<std::int64_t> c;
        c.size = 1;
        c.customer = &customer;
        c.time = &time;
        c.units_per_day = units_per_day;
        const double a = amount ? *amount : 0.0;
        c.amount = amount ? &a : nullptr;
        add(c, policy);
    }

    /**
     * Merge (ARCHITECTURE.md §1): row counts add; per customer the day sets are united and the rows
     * and amounts of a day present in both are added. Union and integer sums are associative and
     * commutative, so merging is exact for everything but the floating amount sums (see the file
     * comment). @throws invalid_argument when one state keeps amounts and the other does not.
     */
    transaction_accumulator& operator+=(const transaction_accumulator& other) {
        if (has_amount_ != other.has_amount_)
            CXKIT_THROW(invalid_argument, "cannot merge transaction states with and without amounts");
        if (this == &other) {
            const transaction_accumulator copy(other);
            return *this += copy;
        }
        n_ += other.n_;
        missing_ += other.missing_;
        invalid_ += other.invalid_;
        for (const auto& kv : other.days_) merge_days(days_[kv.first], kv.second);
        return *this;
    }
    transaction_accumulator& merge(const transaction_accumulator& other) { return *this += other; }
    friend transaction_accumulator operator+(transaction_accumulator a, const transaction_accumulator& b) { return a += b; }
    friend bool operator==(const transaction_accumulator& a, const transaction_accumulator& b) {
        return a.has_amount_ == b.has_amount_ && a.n_ == b.n_ && a.missing_ == b.missing_ &&
               a.invalid_ == b.invalid_ && a.days_ == b.days_;
    }
    friend bool operator!=(const transaction_accumulator& a, const transaction_accumulator& b) { return !(a == b); }

    /**
     * RFM of the transactions added so far (as `rfm` in rfm.hpp on the same rows; `as_of_day` a
     * day number). Customer ids (not codes) in `customer`, ascending; `n_missing` and `n_invalid`
     * are the state's. @throws invalid_argument without amounts, for bad options, or when one
     * customer holds 2^32 or more transactions.
     */
    rfm_table rfm(const rfm_options& opt, unsigned threads = 0) const {
        if (!has_amount_) CXKIT_THROW(invalid_argument, "rfm needs amounts: this transaction state was made without them");
        check_rfm_options(opt);
        const flat f = flatten();
        rfm_table t = customer::rfm(f.columns(), f.ids.size(), opt, core::on_invalid::raise, threads);
        for (auto& c : t.customer) c = f.ids[static_cast<std::size_t>(c)];
        t.n_missing = missing_;
        t.n_invalid = invalid_;
        return t;
    }

    /**
     * Transaction summary of the transactions added so far (as `clv_summary` in clv_summary.hpp on
     * the same rows), with `end_stamp`, `calibration_end` and `holdout_end` given as DAY numbers: a
     * calibration end day holds the rows of that day in the calibration part. Customer ids in
     * `customer`, ascending; without amounts the monetary columns are zero (callers drop them).
     * @throws invalid_argument as clv_summary, or when one customer holds 2^32 or more transactions.
     */
    clv_summary_table clv_summary(const clv_summary_options& opt, unsigned threads = 0) const {
        const flat f = flatten();
        clv_summary_table t = customer::clv_summary(f.columns(), f.ids.size(), opt, core::on_invalid::raise, threads);
        for (auto& c : t.customer) c = f.ids[static_cast<std::size_t>(c)];
        t.n_missing = missing_;
        t.n_invalid = invalid_;
        return t;
    }

    /**
     * Payload v1: u8 has_amount; u64 n, missing, invalid; u64 customers; per customer in ascending
     * key order: i64 customer, u64 day count (>= 1), per day ascending: i64 day, u64 rows (>= 1),
     * then f64 amount (finite, >= 0) when has_amount. n equals the sum of rows.
     */
    std::vector<std::uint8_t> serialize() const {
        core::archive_writer w(family, format_version);
        w.write_u8(has_amount_ ? 1 : 0);
        w.write_u64(n_);
        w.write_u64(missing_);
        w.write_u64(invalid_);
        const auto customers = sorted_customers();
        w.reserve(8 + customers.size() * 16 + n_entries() * (has_amount_ ? 24 : 16));
        w.write_u64(customers.size());
        for (const auto& [k, v] : customers) {
            w.write_i64(k);
            w.write_u64(v->size());
            for (const day_entry& e : *v) {
                w.write_i64(e.day);
                w.write_u64(e.rows);
                if (has_amount_) w.write_f64(e.amount);
            }
        }
        return w.finish();
    }

    /// @throws corrupt_state ("corrupt state: ...") for any inconsistency of the bytes.
    static transaction_accumulator deserialize(const std::uint8_t* data, std::size_t size) {
        using core::archive_reader;
        archive_reader r(data, size, family, format_version);
        const std::uint8_t has = r.read_u8("has_amount");
        if (has > 1) archive_reader::fail("has_amount is " + std::to_string(has));
        transaction_accumulator a(has == 1);
        a.n_ = r.read_u64("n");
        a.missing_ = r.read_u64("missing");
        a.invalid_ = r.read_u64("invalid");
        const std::uint64_t customers = r.read_u64("customers");
        r.expect_remaining_at_least(customers * 16, "customers");  // key + day count each
        const std::size_t entry_bytes = a.has_amount_ ? 24 : 16;
        std::uint64_t rows = 0;
        std::optional<std::int64_t> prev_key;
        for (std::uint64_t c = 0; c < customers; ++c) {
            const std::int64_t key = r.read_i64("customer");
            if (prev_key && key <= *prev_key) archive_reader::fail("customers are not sorted and unique");
            prev_key = key;
            const std::uint64_t nd = r.read_u64("day count");
            if (nd == 0) archive_reader::fail("customer " + std::to_string(key) + " without days");
            r.expect_remaining_at_least(nd * entry_bytes, "days");
            std::vector<day_entry> v;
            v.reserve(static_cast<std::size_t>(nd));
            for (std::uint64_t d = 0; d < nd; ++d) {
                day_entry e;
                e.day = r.read_i64("day");
                if (e.day < -transaction_max_abs_day || e.day > transaction_max_abs_day)
                    archive_reader::fail("day " + std::to_string(e.day) + " is out of range");
                if (!v.empty() && e.day <= v.back().day) archive_reader::fail("days are not sorted and unique");
                e.rows = r.read_u64("rows");
                if (e.rows == 0) archive_reader::fail("a day with 0 rows");
                if (rows + e.rows < rows) archive_reader::fail("row count overflow");
                rows += e.rows;
                if (a.has_amount_) {
                    e.amount = r.read_f64("amount");
                    if (!(e.amount >= 0.0) || !std::isfinite(e.amount))
                        archive_reader::fail("amount " + core::format_value(e.amount) + ", expected a finite value >= 0");
                }
                v.push_back(e);
            }
            a.days_.emplace(key, std::move(v));
        }
        if (rows != a.n_)
            archive_reader::fail("n is " + std::to_string(a.n_) + " but the days hold " + std::to_string(rows) + " rows");
        r.finish();
        return a;
    }

private:
    /// The state's entries as kernel columns: dense codes in key order, days (units_per_day = 1),
    /// per-entry row counts and amounts.
    struct flat {
        std::vector<std::int64_t> ids, codes, days;
        std::vector<std::uint32_t> rows;
        std::vector<double> amounts;
        bool has_amount = false;
        transaction_columns<std::int64_t> columns() const {
            transaction_columns<std::int64_t> c;
            c.size = codes.size();
            c.customer = codes.data();
            c.time = days.data();
            c.units_per_day = 1;
            c.amount = has_amount ? amounts.data() : nullptr;
            c.rows = rows.data();
            return c;
        }
    };

    /// The customers in ascending key order with their days (pointers into the map: one pass over
    /// it, no lookup per key afterwards).
    std::vector<std::pair<std::int64_t, const std::vector<day_entry>*>> sorted_customers() const {
        std::vector<std::pair<std::int64_t, const std::vector<day_entry>*>> out;
        out.reserve(days_.size());
        for (const auto& kv : days_) out.emplace_back(kv.first, &kv.second);
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        return out;
    }

    flat flatten() const {
        flat f;
        f.has_amount = has_amount_;
        const auto customers = sorted_customers();
        f.ids.reserve(customers.size());
        for (const auto& kv : customers) f.ids.push_back(kv.first);
        const std::size_t e = n_entries();
        f.codes.reserve(e);
        f.days.reserve(e);
        f.rows.reserve(e);
        if (has_amount_) f.amounts.reserve(e);
        for (std::size_t c = 0; c < f.ids.size(); ++c) {
            std::uint64_t total = 0;
            for (const day_entry& d : *customers[c].second) {
                total += d.rows;
                // the kernel's cells count rows in 32 bits
                if (total > std::numeric_limits<std::uint32_t>::max())
                    CXKIT_THROW(invalid_argument, "customer " + std::to_string(f.ids[c]) +
                                                      " holds 2^32 or more transactions, more than the summary counts");
                f.codes.push_back(static_cast<std::int64_t>(c));
                f.days.push_back(d.day);
                f.rows.push_back(static_cast<std::uint32_t>(d.rows));
                if (has_amount_) f.amounts.push_back(d.amount);
            }
        }
        return f;
    }

    /// into ∪= from (both ascending by day, unique): rows and amounts of common days add.
    static void merge_days(std::vector<day_entry>& into, const std::vector<day_entry>& from) {
        if (from.empty()) return;
        if (into.empty() || into.back().day < from.front().day) {  // a feed in time order: append
            into.insert(into.end(), from.begin(), from.end());
            return;
        }
        std::vector<day_entry> out;
        out.reserve(into.size() + from.size());
        std::size_t i = 0, j = 0;
        while (i < into.size() || j < from.size()) {
            if (j == from.size() || (i < into.size() && into[i].day < from[j].day)) {
                out.push_back(into[i++]);
            } else if (i == into.size() || from[j].day < into[i].day) {
                out.push_back(from[j++]);
            } else {
                day_entry e = into[i++];
                e.rows += from[j].rows;
                e.amount += from[j++].amount;
                out.push_back(e);
            }
        }
        into = std::move(out);
    }

    bool has_amount_ = true;
    std::uint64_t n_ = 0, missing_ = 0, invalid_ = 0;
    std::unordered_map<std::int64_t, std::vector<day_entry>> days_;
};

}  // namespace customer

using customer::transaction_accumulator;
CXKIT_NAMESPACE_END

#endif  // CXKIT_CUSTOMER_TRANSACTIONS_HPP

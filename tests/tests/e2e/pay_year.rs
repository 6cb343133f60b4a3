//! A year of pay, simulated over HTTP: 50 mentors (some referred by others), each with a student
//! and two sessions a month for the last twelve months, ending every way a session ends (in time
//! and late cancellations on either side, no-shows, moves, completed with notes written at once,
//! after the month's statement, or never); each month issued as it ends, an earlier month first
//! when a late record makes it due; a new rate card and new policies mid-year. Then, for every mentor and month:
//! each payable item on exactly one statement, the one the rules choose; every amount equal to the
//! domain's price of it; total = sum of the lines = sum of the CSV; numbers without gaps; and no
//! issued statement changed by what came after it (a new rate card and a policy change).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use mentorship_domain::catalog::Level;
use mentorship_domain::money::Money;
use mentorship_domain::pay::session_pay;
use mentorship_domain::policy::OutcomeFactors;
use mentorship_domain::rates::RateCard;
use mentorship_domain::sessions::{SessionLength, SessionStatus};
use mentorship_tests::{Pair, TestApp, on_both_databases};

use super::pay::{at_ten, month_start, tuesday_of};
use serde_json::{Value, json};

const PARIS: Tz = chrono_tz::Europe::Paris;
const MENTORS: usize = 50;
const MONTHS: u32 = 12;

/// A small deterministic generator (xorshift64*): the same year on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % sides
    }
}

fn month_key(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

/// A payable item as the simulation saw it happen.
struct Item {
    mentor: usize,
    month: String,
    amount: Money,
    /// The number of statements issued before it was recorded.
    recorded_after: usize,
}

/// Statements in the order they were issued: (mentor, month).
type Issued = Vec<(usize, String)>;

struct Year {
    app: TestApp,
    admin: String,
    manager: String,
    pairs: Vec<Pair>,
    project: String,
    dice: Dice,
    items: HashMap<String, Item>,
    issued: Issued,
    /// Sessions completed whose notes come after their month's statement, or never.
    deferred: Vec<(usize, String, String)>,
    /// How many times an earlier month had to be issued first.
    earlier_first: usize,
    /// The day the mid-year card (40.00 everywhere) takes over, once published.
    new_card_from: Option<NaiveDate>,
}

/// The domain's price of a 45-minute session on the harness path (complexity 1, difficulty 1)
/// at `rate`: the independent recomputation.
fn price(status: SessionStatus, rate: Money) -> Money {
    session_pay(
        rate,
        SessionLength::Minutes45,
        status,
        &OutcomeFactors::default(),
    )
    .unwrap()
}

impl Year {
    async fn post(&self, url: &str, token: &str, body: Value) -> Value {
        let reply = self.app.post(url, token, body).await;
        assert!(reply.status < 300, "{url}: {} {}", reply.status, reply.body);
        reply.body
    }

    /// Books a session of pair `m` at `start` (in the future), as its mentor.
    async fn book(&self, m: usize, start: DateTime<Utc>) -> String {
        let body = json!({"student_id": self.pairs[m].student_id, "start": start, "project_id": self.project});
        let booked = self.post("/v1/sessions", &self.pairs[m].mentor, body).await;
        booked["id"].as_str().unwrap().to_owned()
    }

    /// The harness path's hourly rate on `day`: the default card's until the mid-year card
    /// takes over.
    fn rate_on(&self, day: NaiveDate) -> Money {
        match self.new_card_from {
            Some(from) if day >= from => Money::parse("40.00").unwrap(),
            _ => {
                let level = Level::new(1).unwrap();
                RateCard::default_card().rate(level, level)
            }
        }
    }

    /// Records that session `id` is payable in `month`, priced at the rate of `day`: the day it
    /// was to be held when it reached its final state (a session moved to the past after a late
    /// cancellation keeps the rate of the day it was cancelled for).
    fn payable(&mut self, m: usize, id: &str, month: &str, status: SessionStatus, day: NaiveDate) {
        let item = Item {
            mentor: m,
            month: month.to_owned(),
            amount: price(status, self.rate_on(day)),
            recorded_after: self.issued.len(),
        };
        self.items.insert(id.to_owned(), item);
    }

    async fn notes(&mut self, m: usize, id: &str, month: &str) {
        let url = format!("/v1/sessions/{id}/notes");
        let reply = self
            .app
            .call(
                "PUT",
                &url,
                Some(&self.pairs[m].mentor),
                Some(json!({"summary": "Worked."})),
                &[],
            )
            .await;
        reply.ok(200);
        // Held (and priced) in its month, which is over.
        let day = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
        self.payable(m, id, month, SessionStatus::Completed, day);
    }

    /// One session of mentor `m` in the month starting `first`, on its `slot`-th Tuesday, ended
    /// the way the dice say.
    async fn session(&mut self, m: usize, first: NaiveDate, slot: u64) {
        let month = month_key(first);
        let start = tuesday_of(first, slot);
        let ahead = at_ten(Utc::now().with_timezone(&PARIS).date_naive() + Days::new(14));
        let (mentor, student) = (self.pairs[m].mentor.clone(), self.pairs[m].student.clone());
        match self.dice.roll(10) {
            0 => {
                // Cancelled in time by the student: nothing to pay; it stays where it was.
                let id = self.book(m, ahead).await;
                self.post(&format!("/v1/sessions/{id}/cancel"), &student, json!({}))
                    .await;
            }
            1 | 2 => {
                // Cancelled late (within a day of the start), by either side.
                let soon = Utc::now() + chrono::Duration::hours(3);
                let id = self.book(m, soon).await;
                let by_student = self.dice.roll(2) == 0;
                let who = if by_student { &student } else { &mentor };
                self.post(&format!("/v1/sessions/{id}/cancel"), who, json!({}))
                    .await;
                self.app.move_session_to(&id, start).await;
                if by_student {
                    let day = soon.with_timezone(&PARIS).date_naive();
                    self.payable(m, &id, &month, SessionStatus::LateCancelledByStudent, day);
                }
            }
            3 => {
                let id = self.book(m, ahead).await;
                self.app.move_session_to(&id, start).await;
                let url = format!("/v1/sessions/{id}/outcome");
                self.post(&url, &mentor, json!({"outcome": "student_no_show"}))
                    .await;
                let day = start.with_timezone(&PARIS).date_naive();
                self.payable(m, &id, &month, SessionStatus::StudentNoShow, day);
            }
            roll => {
                // Completed, after a move when the dice say so; notes now, later, or never.
                let mut id = self.book(m, ahead).await;
                if roll == 4 {
                    let url = format!("/v1/sessions/{id}/reschedule");
                    let moved = self
                        .post(
                            &url,
                            &mentor,
                            json!({"start": ahead + chrono::Duration::days(1)}),
                        )
                        .await;
                    id = moved["id"].as_str().unwrap().to_owned();
                }
                self.app.move_session_to(&id, start).await;
                let url = format!("/v1/sessions/{id}/outcome");
                self.post(&url, &mentor, json!({"outcome": "completed"}))
                    .await;
                if self.dice.roll(10) < 7 {
                    self.notes(m, &id, &month).await;
                } else {
                    self.deferred.push((m, id, month));
                }
            }
        }
    }

    /// Issues `month` for everyone; a mentor refused for an earlier month with items gets that
    /// month issued first, as a manager would.
    async fn issue_month(&mut self, month: &str) {
        let answer = self
            .post(
                "/v1/statements/issue-month",
                &self.manager.clone(),
                json!({"month": month}),
            )
            .await;
        let ids: HashMap<String, usize> = self
            .pairs
            .iter()
            .enumerate()
            .map(|(m, p)| (p.mentor_id.clone(), m))
            .collect();
        for item in answer["items"].as_array().unwrap() {
            let m = ids[item["mentor_id"].as_str().unwrap()];
            match item["outcome"].as_str().unwrap() {
                "issued" => self.issued.push((m, month.to_owned())),
                "refused" => {
                    assert_eq!(
                        item["problem"]["code"], "earlier_month_not_issued",
                        "{item}"
                    );
                    self.issue_in_order(m, month).await;
                }
                other => panic!("{other}: {item}"),
            }
        }
    }

    /// Issues the mentor's months up to `month`, earliest first, as the refusals name them.
    async fn issue_in_order(&mut self, m: usize, month: &str) {
        let url = format!("/v1/mentors/{}/statements", self.pairs[m].mentor_id);
        let mut next = month.to_owned();
        loop {
            let reply = self
                .app
                .post(&url, &self.manager, json!({"month": next}))
                .await;
            match reply.status {
                201 => {
                    self.issued.push((m, next.clone()));
                    if next == month {
                        return;
                    }
                    next = month.to_owned();
                }
                409 if reply.body["code"] == "earlier_month_not_issued" => {
                    self.earlier_first += 1;
                    let detail = reply.body["detail"].as_str().unwrap();
                    let earlier = detail
                        .split_whitespace()
                        .map(|w| w.trim_end_matches(','))
                        .find(|w| w.len() == 7 && w.as_bytes()[4] == b'-')
                        .unwrap();
                    next = earlier.to_owned();
                }
                409 if reply.body["code"] == "nothing_to_issue" && next == month => return,
                _ => panic!("{url} {next}: {} {}", reply.status, reply.body),
            }
        }
    }

    /// Every issued statement with its lines, by id.
    async fn statements(&self) -> BTreeMap<String, Value> {
        let mut all = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("/v1/statements?limit=200&cursor={c}"),
                None => "/v1/statements?limit=200".to_owned(),
            };
            let page = self.app.get(&url, &self.manager).await;
            let page = page.ok(200).clone();
            for s in page["items"].as_array().unwrap() {
                let id = s["id"].as_str().unwrap().to_owned();
                let full = self
                    .app
                    .get(&format!("/v1/statements/{id}"), &self.manager)
                    .await;
                all.insert(id, full.ok(200).clone());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return all,
            }
        }
    }
}

fn cents(amount: &Value) -> i64 {
    amount.as_str().unwrap().parse::<Money>().unwrap().cents()
}

async fn a_year_of_pay(app: TestApp) {
    let admin = app.admin().await;
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    let mut pairs = Vec::with_capacity(MENTORS);
    let mut codes: Vec<String> = Vec::new();
    for m in 0..MENTORS {
        let email = format!("mentor{m}@example.com");
        // Mentors 2.. are referred by mentor 0 or 1, in turn, for the first dozen.
        let (token, id) = match codes.get(m % 2).filter(|_| (2..14).contains(&m)) {
            Some(code) => app.referred_mentor(&email, code).await,
            None => app.mentor(&email).await,
        };
        if m < 2 {
            let profile = app.get(&format!("/v1/mentors/{id}"), &token).await;
            codes.push(
                profile.ok(200)["referral_code"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        app.open_places(&token, &id, 1).await;
        let (student, student_id) = app
            .student(&admin, &format!("student{m}@example.com"))
            .await;
        app.assign(&admin, &student_id, &id).await;
        pairs.push(Pair {
            mentor: token,
            mentor_id: id,
            student,
            student_id,
        });
    }
    let project = app.first_project(&app.harness_path().await).await;
    let mut year = Year {
        app,
        admin,
        manager,
        pairs,
        project,
        dice: Dice(0x9E37_79B9_7F4A_7C15),
        items: HashMap::new(),
        issued: Vec::new(),
        deferred: Vec::new(),
        earlier_first: 0,
        new_card_from: None,
    };
    let mut frozen: Option<BTreeMap<String, Value>> = None;
    for back in (1..=MONTHS).rev() {
        let first = month_start(back);
        for m in 0..MENTORS {
            year.session(m, first, 0).await;
            year.session(m, first, 2).await;
        }
        let month = month_key(first);
        year.issue_month(&month).await;
        // Some deferred notes come now, after their month's statement: late items.
        let deferred = std::mem::take(&mut year.deferred);
        for (m, id, month) in deferred {
            if year.dice.roll(3) == 0 {
                year.deferred.push((m, id, month));
            } else {
                year.notes(m, &id, &month).await;
            }
        }
        if back == MONTHS / 2 {
            // Mid-year: a new card, in force from tomorrow; what is issued must not move.
            let tomorrow = Utc::now().with_timezone(&PARIS).date_naive() + Days::new(1);
            let cells = [["40.00"; 3]; 3];
            let body = json!({"effective_on": tomorrow, "cells": cells});
            year.post("/v1/rate-cards", &year.admin.clone(), body).await;
            year.new_card_from = Some(tomorrow);
            // And a policy change: a longer cancellation notice, a day of grace for notes.
            let read = year.app.get("/v1/policies", &year.admin).await;
            let mut policies = read.ok(200)["policies"].clone();
            policies["cancellation_notice_hours"] = json!(48);
            policies["notes_grace_days"] = json!(1);
            let etag = read.header("etag").unwrap();
            let changed = year
                .app
                .call(
                    "PUT",
                    "/v1/policies",
                    Some(&year.admin),
                    Some(policies),
                    &[("if-match", &etag)],
                )
                .await;
            assert_eq!(changed.ok(200)["version"], 2);
            frozen = Some(year.statements().await);
        }
    }
    let statements = year.statements().await;
    check(&year, &statements, frozen.as_ref().unwrap()).await;
}

async fn check(
    year: &Year,
    statements: &BTreeMap<String, Value>,
    frozen: &BTreeMap<String, Value>,
) {
    // Nothing issued before the new card changed after it.
    for (id, before) in frozen {
        let after = &statements[id];
        assert_eq!(after["total"], before["total"], "statement {id}");
        assert_eq!(after["lines"], before["lines"], "statement {id}");
        assert_eq!(after["number"], before["number"], "statement {id}");
    }
    let mentors: HashMap<&str, usize> = year
        .pairs
        .iter()
        .enumerate()
        .map(|(m, p)| (p.mentor_id.as_str(), m))
        .collect();
    // The year went every way the rules allow.
    assert!(
        statements.len() > MENTORS * 10,
        "{} statements",
        statements.len()
    );
    let late = statements
        .values()
        .flat_map(|s| s["lines"].as_array().unwrap().iter())
        .filter(|l| l["late"] == true)
        .count();
    assert!(late > 10, "{late} late lines");
    assert!(year.earlier_first > 0, "no month was due before another");
    let mut numbers: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut placed: HashMap<String, (usize, String)> = HashMap::new();
    for (id, s) in statements {
        let month = s["month"].as_str().unwrap().to_owned();
        let number = s["number"].as_str().unwrap();
        assert!(number.starts_with(&format!("{month}-")), "{number}");
        numbers
            .entry(month.clone())
            .or_default()
            .push(number[8..].parse().unwrap());
        let lines = s["lines"].as_array().unwrap();
        let sum: i64 = lines.iter().map(|l| cents(&l["amount"])).sum();
        assert_eq!(
            sum,
            cents(&s["total"]),
            "total = sum of the lines of {number}"
        );
        let m = mentors[s["mentor_id"].as_str().unwrap()];
        for line in lines {
            let item = line["item_id"].as_str().unwrap().to_owned();
            let known = &year.items[&item];
            assert_eq!(
                cents(&line["amount"]),
                known.amount.cents(),
                "amount of {item}"
            );
            assert_eq!(
                line["late"],
                json!(known.month < month),
                "late flag of {item}"
            );
            let twice = placed.insert(item.clone(), (m, month.clone()));
            assert!(twice.is_none(), "{item} is on two statements");
        }
        // The CSV says the same.
        let csv = year
            .app
            .call(
                "GET",
                &format!("/v1/statements/{id}"),
                Some(&year.manager),
                None,
                &[("accept", "text/csv")],
            )
            .await;
        let text = csv.body.as_str().unwrap().to_owned();
        let csv_sum: i64 = text
            .split("\r\n")
            .skip(1)
            .filter(|r| !r.is_empty())
            .map(|r| {
                let amount = r.rsplit(',').next().unwrap();
                amount.parse::<Money>().unwrap().cents()
            })
            .sum();
        assert_eq!(csv_sum, cents(&s["total"]), "the CSV of {number}");
    }
    for (month, mut seq) in numbers {
        seq.sort_unstable();
        let expected: Vec<u32> = (1..=u32::try_from(seq.len()).unwrap()).collect();
        assert_eq!(seq, expected, "numbers of {month} without gaps");
    }
    // Each item on the statement the rules choose: its mentor's first statement issued after it
    // was recorded, of its month or a later one; or, if none, still waiting (not on any).
    for (id, item) in &year.items {
        let expected = year
            .issued
            .iter()
            .skip(item.recorded_after)
            .find(|(m, month)| *m == item.mentor && *month >= item.month)
            .cloned();
        assert_eq!(placed.get(id).cloned(), expected, "the statement of {id}");
    }
    // The referrers' bonuses: mentor 0 and 1 each referred six; those who completed a session
    // with notes qualified, numbered in order, on this month's draft.
    for referrer in 0..2 {
        let url = format!("/v1/mentors/{}/referrals", year.pairs[referrer].mentor_id);
        let ledger = year.app.get(&url, &year.manager).await;
        let ledger = ledger.ok(200).clone();
        let nths: Vec<i64> = ledger["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["nth"].as_i64())
            .collect();
        let expected: Vec<i64> = (1..=i64::try_from(nths.len()).unwrap()).collect();
        assert_eq!(nths, expected);
        let bonus: i64 = nths.iter().map(|&n| if n <= 3 { 3000 } else { 5000 }).sum();
        assert_eq!(cents(&ledger["total_bonus"]), bonus);
        let draft_url = format!(
            "/v1/mentors/{}/statements/draft?month={}",
            year.pairs[referrer].mentor_id,
            month_key(month_start(0))
        );
        let draft = year.app.get(&draft_url, &year.manager).await;
        let bonuses: i64 = draft.ok(200)["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["kind"] == "referral_bonus")
            .map(|l| cents(&l["amount"]))
            .sum();
        assert_eq!(
            bonuses, bonus,
            "the bonuses on the draft of referrer {referrer}"
        );
    }
}

on_both_databases!(a_year_of_pay);

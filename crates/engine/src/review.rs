//! Reports, cases and review: the review engine (`guardrail-review`) over
//! the store.
//!
//! Intake (from the command line, or from the `report` and `enforcement`
//! events of the stored log, with hash-bank matches of posts as signals)
//! routes each report to its case (the network, else the person, else the
//! account, from the latest stored scan) and acknowledges it only after the
//! store committed it. The queue lists undecided cases by priority; claims,
//! decisions (with the enforcement outbox and the statement of reasons in
//! the same transaction) and appeals go through the review engine's state
//! machine and the store's compare-and-set; the CyberTipline export writes
//! the report document of a confirmed child-safety case; every step appends
//! to the audit log, whose chain `verify_audit` checks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use guardrail_core::{
    AccountId, CaseId, EnforcementAction, EventKind, Media, ReportCategory, RiskTier, Timestamp,
};
use guardrail_review::audit::{self, AuditEntry, ChainBreak, SealedEntry};
use guardrail_review::case::{
    self, Case, CaseState, CyberTipFields, Decision, Link, Reviewer, Role, Subject, Verdict,
};
use guardrail_review::cybertip::{
    CyberTipReport, IncidentType, LinkedAccount, ReportFile, ReportedUser, ReportingPerson,
};
use guardrail_review::enforce::{self, AccountAction, Action, Enforcement};
use guardrail_review::priority::{self, Level, Priority, PriorityInputs, SlaConfig};
use guardrail_review::statement::{StatementInput, StatementOfReasons};
use guardrail_review::{NewReport, ReviewError, Target, ValidReport};
use guardrail_store::{
    AuditDraft, AuditRow, CaseRow, CaseWrite, DecisionRow, DecisionWrite, EnforcementRow, Evidence,
    FileView, Intake, IntakeItem, IntakeOutcome, NewReportRow, ReportRow, SignalRow, Store,
    WebhookRow,
};

use crate::{EngineError, Result};

/// The review settings of a deployment (a TOML file; every key has a default).
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewConfig {
    /// How long a claim lasts.
    pub lease: Duration,
    /// The share of decisions sampled for a second review (0 to 1).
    pub second_review_rate: f64,
    /// SLA deadlines per priority level.
    pub sla: SlaConfig,
    /// Reviewers and their roles.
    pub reviewers: BTreeMap<String, Vec<Role>>,
    /// The CyberTipline reporter and URLs.
    pub cybertip: CyberTipConfig,
    /// How evidence is preserved.
    pub preservation: crate::preservation::PreservationConfig,
}

/// What the CyberTipline documents say about the provider, and where and
/// how submissions go.
#[derive(Clone, Debug, PartialEq)]
pub struct CyberTipConfig {
    /// The contact NCMEC reaches (required to export).
    pub email: Option<String>,
    /// The contact's first name.
    pub first_name: Option<String>,
    /// The contact's last name.
    pub last_name: Option<String>,
    /// The platform's application name.
    pub platform: Option<String>,
    /// The platform's product name (`espService`).
    pub esp_service: Option<String>,
    /// A profile URL with `{account}` in it.
    pub profile_url: Option<String>,
    /// A post URL with `{post}` in it.
    pub post_url: Option<String>,
    /// Where submissions go: NCMEC's test environment unless `production`
    /// is set explicitly (submitting from an integration NCMEC has not
    /// approved can cost the credentials).
    pub environment: crate::cybertip::Environment,
    /// Another base URL for the test environment (a local fake server in
    /// tests); refused together with `production`.
    pub url: Option<String>,
    /// The username NCMEC issued (or `GUARDRAIL_CYBERTIP_USERNAME`).
    pub username: Option<String>,
    /// The password (or `GUARDRAIL_CYBERTIP_PASSWORD`); never printed.
    pub password: Option<crate::cybertip::Secret>,
    /// How long to wait for each answer (default 60 s).
    pub timeout: Duration,
    /// How long to keep retrying a submission that fails for a passing
    /// reason (server errors, timeouts) before it needs a person (default 30 days).
    pub retry_window: Duration,
}

impl Default for CyberTipConfig {
    fn default() -> CyberTipConfig {
        CyberTipConfig {
            email: None,
            first_name: None,
            last_name: None,
            platform: None,
            esp_service: None,
            profile_url: None,
            post_url: None,
            environment: crate::cybertip::Environment::Test,
            url: None,
            username: None,
            password: None,
            timeout: Duration::from_secs(60),
            retry_window: Duration::from_secs(30 * 86_400),
        }
    }
}

impl Default for ReviewConfig {
    fn default() -> ReviewConfig {
        ReviewConfig {
            lease: Duration::from_secs(30 * 60),
            second_review_rate: 0.1,
            sla: SlaConfig::default(),
            reviewers: BTreeMap::new(),
            cybertip: CyberTipConfig::default(),
            preservation: crate::preservation::PreservationConfig::default(),
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    lease_seconds: Option<u64>,
    second_review_rate: Option<f64>,
    sla: Option<BTreeMap<String, u64>>,
    #[serde(default)]
    reviewers: BTreeMap<String, Vec<String>>,
    cybertip: Option<CyberTipFile>,
    preservation: Option<PreservationFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PreservationFile {
    retention_days: Option<u64>,
    store_media: Option<bool>,
    dir: Option<PathBuf>,
    key: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CyberTipFile {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    platform: Option<String>,
    esp_service: Option<String>,
    profile_url: Option<String>,
    post_url: Option<String>,
    environment: Option<String>,
    url: Option<String>,
    username: Option<String>,
    password: Option<String>,
    timeout_seconds: Option<u64>,
    retry_window_hours: Option<u64>,
}

impl ReviewConfig {
    /// Reads a review configuration file.
    pub fn read(path: &Path) -> Result<ReviewConfig> {
        let text = crate::banks::read_text(path)?;
        ReviewConfig::parse(&text)
            .map_err(|why| EngineError::ReviewConfig { path: path.to_owned(), why })
    }

    /// Parses a review configuration; the error names the key.
    pub fn parse(text: &str) -> std::result::Result<ReviewConfig, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let mut config = ReviewConfig::default();
        if let Some(secs) = file.lease_seconds {
            if secs == 0 {
                return Err("lease_seconds: must be at least 1".into());
            }
            config.lease = Duration::from_secs(secs);
        }
        if let Some(rate) = file.second_review_rate {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("second_review_rate: {rate} is not between 0 and 1"));
            }
            config.second_review_rate = rate;
        }
        for (key, secs) in file.sla.unwrap_or_default() {
            let level = Level::ALL
                .into_iter()
                .position(|l| l.as_str() == key)
                .ok_or_else(|| format!("sla.{key}: not a level (p0, p1, p2, p3)"))?;
            config.sla.deadlines[level] = Duration::from_secs(secs);
        }
        config.sla.validate().map_err(|e| e.to_string())?;
        for (reviewer, roles) in file.reviewers {
            let roles = roles
                .iter()
                .map(|r| {
                    Role::parse(r).ok_or_else(|| {
                        format!("reviewers.{reviewer}: {r:?} is not a role (reviewer, child_safety, lead)")
                    })
                })
                .collect::<std::result::Result<Vec<Role>, String>>()?;
            config.reviewers.insert(reviewer, roles);
        }
        if let Some(c) = file.cybertip {
            let defaults = CyberTipConfig::default();
            let environment = match c.environment.as_deref() {
                None | Some("test") => crate::cybertip::Environment::Test,
                Some("production") => crate::cybertip::Environment::Production,
                Some(other) => {
                    return Err(format!(
                        "cybertip.environment: {other:?} is not test or production"
                    ))
                }
            };
            if environment == crate::cybertip::Environment::Production && c.url.is_some() {
                return Err("cybertip.url: production submissions go to NCMEC's own URL only; remove url or use environment = \"test\"".into());
            }
            if let Some(url) = &c.url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!("cybertip.url: {url:?} is not an http:// or https:// URL"));
                }
            }
            if c.timeout_seconds == Some(0) {
                return Err("cybertip.timeout_seconds: must be at least 1".into());
            }
            config.cybertip = CyberTipConfig {
                email: c.email,
                first_name: c.first_name,
                last_name: c.last_name,
                platform: c.platform,
                esp_service: c.esp_service,
                profile_url: c.profile_url,
                post_url: c.post_url,
                environment,
                url: c.url,
                username: c.username,
                password: c.password.map(crate::cybertip::Secret::new),
                timeout: c.timeout_seconds.map_or(defaults.timeout, Duration::from_secs),
                retry_window: c
                    .retry_window_hours
                    .map_or(defaults.retry_window, |h| Duration::from_secs(h.saturating_mul(3600))),
            };
        }
        if let Some(p) = file.preservation {
            if p.retention_days == Some(0) {
                return Err("preservation.retention_days: must be at least 1".into());
            }
            let store_media = p.store_media.unwrap_or(false);
            if store_media && p.dir.is_none() {
                return Err(
                    "preservation.dir: store_media needs a directory for the encrypted files"
                        .into(),
                );
            }
            if let Some(key) = &p.key {
                crate::preservation::parse_key(key)
                    .map_err(|why| format!("preservation.key: {why}"))?;
            }
            config.preservation = crate::preservation::PreservationConfig {
                retention: p.retention_days.map_or(crate::preservation::DEFAULT_RETENTION, |d| {
                    Duration::from_secs(d.saturating_mul(86_400))
                }),
                store_media,
                dir: p.dir,
                key: p.key.map(crate::cybertip::Secret::new),
            };
        }
        Ok(config)
    }

    /// This configuration with the service token `name` as a reviewer: the
    /// review roles its token role carries (`reviewer`: reviewer;
    /// `child_safety_reviewer`: reviewer and child safety; `admin`: those and
    /// lead; `platform` and `metrics`: none), together with any roles the
    /// configuration gives that name (a lead, say). A token acts in its own
    /// name, so the audit log says which token decided.
    pub fn with_token(&self, name: &str, role: crate::tokens::Role) -> ReviewConfig {
        use crate::tokens::Role as TokenRole;
        let granted: &[Role] = match role {
            TokenRole::Reviewer => &[Role::Reviewer],
            TokenRole::ChildSafetyReviewer => &[Role::Reviewer, Role::ChildSafety],
            TokenRole::Admin => &[Role::Reviewer, Role::ChildSafety, Role::Lead],
            TokenRole::Platform | TokenRole::Metrics => &[],
        };
        let mut config = self.clone();
        let roles = config.reviewers.entry(name.to_owned()).or_default();
        for r in granted {
            if !roles.contains(r) {
                roles.push(*r);
            }
        }
        config
    }

    /// The reviewer named `id`, with the roles the configuration gives them.
    pub fn reviewer(&self, id: &str) -> Result<Reviewer> {
        match self.reviewers.get(id) {
            Some(roles) => Ok(Reviewer { id: id.to_owned(), roles: roles.clone() }),
            None => Err(EngineError::UnknownReviewer { reviewer: id.to_owned() }),
        }
    }
}

/// The audit chain's seal, as the store calls it inside its transactions.
pub(crate) fn seal_row(row: &AuditRow) -> String {
    audit::seal(&row.prev_hash, &entry_of(row))
}

fn entry_of(row: &AuditRow) -> AuditEntry {
    AuditEntry {
        seq: row.seq,
        at: time(row.at),
        actor: row.actor.clone(),
        action: row.action.clone(),
        subject: row.subject.clone(),
        detail: row.detail.clone(),
    }
}

fn time(micros: i64) -> Timestamp {
    Timestamp::from_unix_micros(micros).unwrap_or_else(|| Timestamp::from_unix_nanos(0))
}

/// An audit entry to append.
pub(crate) fn draft(
    at: Timestamp,
    actor: &str,
    action: &str,
    subject: String,
    detail: String,
) -> AuditDraft {
    AuditDraft {
        at: at.unix_micros(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject,
        detail,
    }
}

/// What the latest stored scan says about accounts: person, network, tier.
#[derive(Clone, Debug, Default)]
pub struct Linkage {
    links: HashMap<String, Link>,
    tiers: HashMap<String, RiskTier>,
    members: HashMap<String, Vec<String>>,
    evidence: HashMap<String, Vec<String>>,
}

impl Linkage {
    /// The linkage of the latest stored scan (empty when there is none).
    /// Networks and persons are named by their smallest account id (the
    /// subjects `network:u1`, `person:u1`), so the name survives a rescan
    /// that numbers them differently.
    pub fn latest(store: &mut dyn Store) -> Result<Linkage> {
        let Some(run) = store.scans()?.last().map(|s| s.id) else { return Ok(Linkage::default()) };
        let mut linkage = Linkage::default();
        let accounts = store.scan_accounts(run, None)?;
        let mut networks: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for row in &accounts {
            linkage.tiers.insert(row.account.as_str().to_owned(), row.tier);
            if let Some(n) = row.network {
                networks.entry(n).or_default().push(row.account.as_str().to_owned());
            }
        }
        for (_, mut members) in networks {
            members.sort();
            let key = members[0].clone();
            for m in &members {
                linkage.links.entry(m.clone()).or_default().network = Some(key.clone());
            }
            linkage.members.insert(key, members);
        }
        for person in store.scan_persons(run)? {
            let mut members = person.accounts.clone();
            members.sort();
            let Some(first) = members.first() else { continue };
            let key = first.clone();
            for m in &members {
                linkage.links.entry(m.clone()).or_default().person = Some(key.as_str().into());
            }
            // Identity linking's lines (the store keeps them structured).
            let lines = person.evidence.iter().map(ToString::to_string).collect();
            linkage.evidence.insert(key.clone(), lines);
            linkage.members.insert(key, members);
        }
        Ok(linkage)
    }

    fn link(&self, account: &str) -> Option<&Link> {
        self.links.get(account)
    }

    /// The accounts a subject covers (a network's or person's members, or the account).
    pub fn accounts_of(&self, subject: &Subject) -> Vec<String> {
        match subject {
            Subject::Network(k) => self.members.get(k).cloned().unwrap_or_default(),
            Subject::Person(p) => self.members.get(p.as_str()).cloned().unwrap_or_default(),
            Subject::Account(a) => vec![a.as_str().to_owned()],
            Subject::Post(_) | Subject::Hashtag(_) => Vec::new(),
        }
    }

    fn tier_of(&self, accounts: &[String]) -> RiskTier {
        accounts.iter().filter_map(|a| self.tiers.get(a)).copied().max().unwrap_or(RiskTier::Clear)
    }

    /// The link evidence of a person subject (identity linking's lines).
    pub fn evidence_of(&self, subject: &Subject) -> &[String] {
        match subject {
            Subject::Person(p) => {
                self.evidence.get(p.as_str()).map(Vec::as_slice).unwrap_or_default()
            }
            _ => &[],
        }
    }
}

fn category_rank(category: ReportCategory) -> u8 {
    ReportCategory::ALL.iter().position(|c| *c == category).unwrap_or(0) as u8
}

/// A report acknowledged after the store committed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acknowledged {
    /// The report's number.
    pub report: u64,
    /// Its case.
    pub case: u64,
    /// Whether its case was opened for it.
    pub new_case: bool,
    /// Whether it was stored before under the same key (nothing new written).
    pub duplicate: bool,
    /// Its idempotency key.
    pub key: String,
}

/// Strong or blocking lexicon hits in a report's own words (its text, and
/// the hashtag it reports); both are bounded by the report's validation.
fn strong_terms(report: &ValidReport, matcher: Option<&guardrail_text::Matcher>) -> Result<u64> {
    let Some(matcher) = matcher else { return Ok(0) };
    let r = report.report();
    let mut n = 0;
    let mut count = |text: &str, surface| -> Result<()> {
        let verdict = matcher.check(text, surface)?;
        n += verdict
            .matches
            .iter()
            .filter(|m| m.severity >= guardrail_core::Severity::Strong)
            .count() as u64;
        Ok(())
    };
    if let Some(text) = &r.text {
        count(text, guardrail_core::Surface::Comment)?;
    }
    if let Target::Hashtag(tag) = &r.target {
        count(tag, guardrail_core::Surface::Hashtag)?;
    }
    Ok(n)
}

fn report_intake(report: &ValidReport, linkage: &Linkage, actor: &str) -> Intake {
    let r = report.report();
    let subject = case::route(&r.target, r.target.account().and_then(|a| linkage.link(a.as_str())));
    let mut accounts = linkage.accounts_of(&subject);
    if let Some(a) = r.target.account() {
        if !accounts.iter().any(|x| x == a.as_str()) {
            accounts.push(a.as_str().to_owned());
        }
    }
    let evidence = Evidence {
        child_safety: r.category == ReportCategory::ChildSafety,
        hash_match: false,
        tier: linkage.tier_of(&accounts).code(),
        strong_terms: 0,
        category_rank: Some(category_rank(r.category)),
        accounts,
    };
    Intake {
        subject_kind: subject.kind().to_owned(),
        subject: subject.key().to_owned(),
        item: IntakeItem::Report(NewReportRow {
            key: report.key().as_str().to_owned(),
            canonical: report.canonical(),
            source: r.source.kind().to_owned(),
            reporter: r.reporter.as_ref().map(|a| a.as_str().to_owned()),
            target_kind: r.target.kind().to_owned(),
            target: r.target.id().to_owned(),
            category: r.category.as_str().to_owned(),
            text: r.text.clone(),
            received_at: r.received_at.unix_micros(),
        }),
        evidence,
        audit: draft(
            r.received_at,
            actor,
            "intake",
            String::new(),
            format!("{} {}", r.category.as_str(), r.target.kind()),
        ),
    }
}

/// Files one report (validated here; the error names the field) and
/// returns its acknowledgement once it is committed.
pub fn add_report(store: &mut dyn Store, report: NewReport, actor: &str) -> Result<Acknowledged> {
    let linkage = Linkage::latest(store)?;
    add_report_linked(store, &linkage, report, actor)
}

/// [`add_report`] with a linkage the caller keeps (a service reads it once
/// per scan, not once per report).
pub fn add_report_linked(
    store: &mut dyn Store,
    linkage: &Linkage,
    report: NewReport,
    actor: &str,
) -> Result<Acknowledged> {
    let valid = report.validate()?;
    let outcome = store.review_intake(&report_intake(&valid, linkage, actor), &seal_row)?;
    Ok(ack(outcome, valid.key().as_str()))
}

/// What happened to one report of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filed {
    /// Stored (or stored before under its key) and committed.
    Acknowledged(Acknowledged),
    /// Refused, nothing stored: its key (when it had one) and why.
    Refused {
        /// The key, when it got that far.
        key: Option<String>,
        /// Why (the field, or the key conflict).
        why: String,
    },
}

/// Files reports in batches of `batch`, each batch one transaction (group
/// commit: one sync for the batch). `on_commit` sees each batch's outcomes
/// after it committed: acknowledge them then, not before.
pub fn add_reports(
    store: &mut dyn Store,
    reports: &mut dyn Iterator<Item = NewReport>,
    batch: usize,
    actor: &str,
    on_commit: &mut dyn FnMut(&[Filed]),
) -> Result<(u64, u64)> {
    let linkage = Linkage::latest(store)?;
    add_reports_linked(store, &linkage, reports, batch, actor, on_commit)
}

/// [`add_reports`] with a linkage the caller keeps.
pub fn add_reports_linked(
    store: &mut dyn Store,
    linkage: &Linkage,
    reports: &mut dyn Iterator<Item = NewReport>,
    batch: usize,
    actor: &str,
    on_commit: &mut dyn FnMut(&[Filed]),
) -> Result<(u64, u64)> {
    let batch = batch.max(1);
    let (mut stored, mut refused) = (0u64, 0u64);
    loop {
        // Validation refusals keep their place among the batch's outcomes.
        let mut slots: Vec<std::result::Result<(String, Intake), Filed>> =
            Vec::with_capacity(batch);
        for report in (&mut *reports).take(batch) {
            slots.push(match report.validate() {
                Ok(valid) => {
                    Ok((valid.key().as_str().to_owned(), report_intake(&valid, linkage, actor)))
                }
                Err(e) => Err(Filed::Refused { key: None, why: e.to_string() }),
            });
        }
        if slots.is_empty() {
            return Ok((stored, refused));
        }
        let intakes: Vec<Intake> =
            slots.iter().filter_map(|s| s.as_ref().ok().map(|(_, i)| i.clone())).collect();
        let mut outcomes = store.review_intake_batch(&intakes, &seal_row)?.into_iter();
        let mut filed = Vec::with_capacity(slots.len());
        for slot in slots {
            filed.push(match slot {
                Err(refusal) => refusal,
                Ok((key, _)) => match outcomes.next() {
                    Some(Ok(o)) => Filed::Acknowledged(ack(o, &key)),
                    Some(Err(e)) => Filed::Refused { key: Some(key), why: e.to_string() },
                    None => Filed::Refused {
                        key: Some(key),
                        why: "the store returned no outcome".into(),
                    },
                },
            });
        }
        for f in &filed {
            match f {
                Filed::Acknowledged(_) => stored += 1,
                Filed::Refused { .. } => refused += 1,
            }
        }
        on_commit(&filed);
    }
}

fn ack(o: IntakeOutcome, key: &str) -> Acknowledged {
    Acknowledged {
        report: o.id,
        case: o.case,
        new_case: o.new_case,
        duplicate: o.duplicate,
        key: key.to_owned(),
    }
}

/// What an intake of the stored event log did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogIntake {
    /// Report events filed for the first time.
    pub reports: u64,
    /// Signals (enforcement events, hash matches) filed for the first time.
    pub signals: u64,
    /// Reports and signals filed before (a re-run files nothing twice).
    pub duplicates: u64,
    /// Cases opened.
    pub cases_opened: u64,
    /// Report events refused by validation, with their event id and why.
    pub invalid: Vec<(String, String)>,
}

impl LogIntake {
    /// Adds another intake's counts to these.
    pub fn absorb(&mut self, other: LogIntake) {
        self.reports += other.reports;
        self.signals += other.signals;
        self.duplicates += other.duplicates;
        self.cases_opened += other.cases_opened;
        self.invalid.extend(other.invalid);
    }
}

/// Files every `report` event of the stored log, every ban or suspension
/// the platform recorded, every post whose media matches a stored hash
/// bank, every strong lexicon hit in an account's own words (with a
/// `matcher`), and what the latest scan places in a network (tiers, ban
/// evasion), as reports and signals (keyed, so a re-run adds nothing).
///
/// With a `matcher`, each report's strong lexicon terms (in its text and the
/// hashtag it reports) count towards its case's priority.
pub fn intake_log(
    store: &mut dyn Store,
    matcher: Option<&guardrail_text::Matcher>,
) -> Result<LogIntake> {
    let mut intake = EventIntake::new(store)?;
    let mut out = intake.catch_up(store, matcher)?;
    out.absorb(intake.file_scan(store)?);
    Ok(out)
}

/// The review engine's case for a stored row (the last verdict for a decided case).
fn case_of(store: &mut dyn Store, row: &CaseRow) -> Result<Case> {
    let subject = Subject::parse(&row.subject_kind, &row.subject)
        .ok_or_else(|| corrupt(row.id, format!("subject kind {:?}", row.subject_kind)))?;
    let state = match row.state.as_str() {
        "open" => CaseState::Open,
        "claimed" => CaseState::Claimed {
            reviewer: row.lease_holder.clone().unwrap_or_default(),
            until: time(row.lease_until.unwrap_or(0)),
        },
        "decided" => {
            let decisions = store.review_decisions(row.id)?;
            let last = decisions
                .iter()
                .rev()
                .find(|d| d.verdict != "escalated")
                .ok_or_else(|| corrupt(row.id, "decided without a decision".into()))?;
            CaseState::Decided {
                verdict: verdict_from_json(&last.detail)
                    .ok_or_else(|| corrupt(row.id, "decision detail".into()))?,
                reviewer: last.reviewer.clone(),
                at: time(last.decided_at),
            }
        }
        other => return Err(corrupt(row.id, format!("state {other:?}"))),
    };
    Ok(Case {
        id: CaseId::new(row.id),
        subject,
        state,
        opened_at: time(row.opened_at),
        child_safety: row.child_safety,
        escalated: row.escalated,
        appeals: row.appeals,
        excluded: row.excluded.clone(),
    })
}

fn corrupt(case: u64, why: String) -> EngineError {
    EngineError::Store(guardrail_store::StoreError::CorruptRow {
        what: format!("case {case}"),
        why,
    })
}

fn load_case(store: &mut dyn Store, case: u64) -> Result<(CaseRow, Case)> {
    let row = store.review_case(case)?.ok_or(EngineError::NoSuchCase { case })?;
    let c = case_of(store, &row)?;
    Ok((row, c))
}

fn write_of(row: &CaseRow, case: &Case, now: Timestamp, reopen_route: bool) -> CaseWrite {
    let (state, lease_holder, lease_until, verdict) = match &case.state {
        CaseState::Open => ("open", None, None, row.verdict.clone()),
        CaseState::Claimed { reviewer, until } => {
            ("claimed", Some(reviewer.clone()), Some(until.unix_micros()), row.verdict.clone())
        }
        CaseState::Decided { verdict, .. } => {
            ("decided", None, None, Some(verdict.as_str().to_owned()))
        }
    };
    CaseWrite {
        id: row.id,
        expected_version: row.version,
        state: state.to_owned(),
        verdict,
        lease_holder,
        lease_until,
        escalated: case.escalated,
        appeals: case.appeals,
        excluded: case.excluded.clone(),
        at: now.unix_micros(),
        reopen_route,
    }
}

/// Claims a case for `reviewer` until `now` plus the configured lease; returns when it ends.
pub fn claim(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    reviewer: &str,
    now: Timestamp,
) -> Result<Timestamp> {
    let reviewer = config.reviewer(reviewer)?;
    let (row, mut c) = load_case(store, case)?;
    let micros = i64::try_from(config.lease.as_micros()).unwrap_or(i64::MAX);
    let until =
        Timestamp::from_unix_micros(now.unix_micros().saturating_add(micros)).unwrap_or(now);
    c.claim(&reviewer, now, until)?;
    let audit = draft(
        now,
        &reviewer.id,
        "claim",
        format!("case {case}"),
        format!("until {}", until.to_rfc3339()),
    );
    store.review_update_case(&write_of(&row, &c, now, false), &[audit], &seal_row)?;
    Ok(until)
}

/// Records that `reviewer` viewed one of a case's files (`post:<id>#<n>`),
/// which is what makes `fileViewedByEsp` true in a CyberTipline report.
pub fn record_view(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    reviewer: &str,
    file: &str,
    now: Timestamp,
) -> Result<()> {
    let reviewer = config.reviewer(reviewer)?;
    let (_, c) = load_case(store, case)?;
    if c.child_safety && !reviewer.has(Role::ChildSafety) {
        return Err(ReviewError::Role {
            case: c.id,
            reviewer: reviewer.id,
            needed: Role::ChildSafety,
        }
        .into());
    }
    let view = FileView {
        case_id: case,
        file: file.to_owned(),
        reviewer: reviewer.id.clone(),
        viewed_at: now.unix_micros(),
    };
    let audit = draft(now, &reviewer.id, "view_file", format!("case {case}"), file.to_owned());
    store.review_record_view(&view, &audit, &seal_row)?;
    Ok(())
}

/// A decision as its fields arrive from a command line, a form or a JSON
/// body, before it is checked: [`DecisionInput::decision`] names the field
/// that is missing or bad (`decision.category`), so the CLI and the service
/// refuse the same mistakes with the same words.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `violating`, `not_violating`, `duplicate`, `merged` or `escalate`
    /// (`not-violating` is read as `not_violating`).
    pub verdict: String,
    /// For violating: the policy broken.
    #[serde(default)]
    pub policy: Option<String>,
    /// For violating: the confirmed category.
    #[serde(default)]
    pub category: Option<String>,
    /// For violating: `ban`, `suspend` or `none`; `ban` when not given.
    #[serde(default)]
    pub action: Option<String>,
    /// For violating: keep the accounts out of discovery surfaces.
    #[serde(default)]
    pub not_recommendable: bool,
    /// For violating: block the person's identifiers for new accounts.
    #[serde(default)]
    pub block_identifiers: bool,
    /// For violating: hashtags to block.
    #[serde(default)]
    pub block_hashtags: Vec<String>,
    /// For a child-safety violation: the CyberTipline incident type.
    #[serde(default)]
    pub incident_type: Option<String>,
    /// For a child-safety violation: why NCMEC should treat it as urgent.
    #[serde(default)]
    pub escalate_reason: Option<String>,
    /// For not violating and escalate: why.
    #[serde(default)]
    pub reason: Option<String>,
    /// For duplicate and merged: the other case.
    #[serde(default)]
    pub other_case: Option<u64>,
}

impl DecisionInput {
    /// The decision, checked; the error names the field.
    pub fn decision(&self) -> std::result::Result<Decision, ReviewError> {
        let field =
            |name: &str, why: String| ReviewError::Field { field: format!("decision.{name}"), why };
        let needed = |name: &str, value: &Option<String>, what: &str| match value
            .as_deref()
            .map(str::trim)
        {
            Some(v) if !v.is_empty() => Ok(v.to_owned()),
            _ => Err(field(name, format!("needed for {what}"))),
        };
        let other = || {
            self.other_case
                .map(CaseId::new)
                .ok_or_else(|| field("other_case", "needed for this verdict".into()))
        };
        Ok(match self.verdict.replace('-', "_").as_str() {
            "violating" => {
                let category = needed("category", &self.category, "violating")?;
                let category = ReportCategory::parse(&category).ok_or_else(|| {
                    let all: Vec<&str> = ReportCategory::ALL.iter().map(|c| c.as_str()).collect();
                    field("category", format!("{category:?} is not one of {}", all.join(", ")))
                })?;
                let action = self.action.as_deref().unwrap_or("ban");
                let account_action = AccountAction::parse(action).ok_or_else(|| {
                    field("action", format!("{action:?} is not ban, suspend or none"))
                })?;
                let cybertip = match self.incident_type.as_deref() {
                    Some(t) => Some(CyberTipFields {
                        incident_type: IncidentType::parse(t).ok_or_else(|| {
                            field(
                                "incident_type",
                                format!("{t:?} is not one of {}", IncidentType::codes().join(", ")),
                            )
                        })?,
                        escalate_reason: self.escalate_reason.clone(),
                    }),
                    None => None,
                };
                Decision::Verdict(Verdict::Violating {
                    policy: needed("policy", &self.policy, "violating")?,
                    category,
                    enforcement: Enforcement {
                        account_action,
                        not_recommendable: self.not_recommendable,
                        block_identifiers: self.block_identifiers,
                        block_hashtags: self.block_hashtags.clone(),
                    },
                    cybertip,
                })
            }
            "not_violating" => Decision::Verdict(Verdict::NotViolating {
                reason: needed("reason", &self.reason, "not_violating")?,
            }),
            "duplicate" => Decision::Verdict(Verdict::Duplicate { of: other()? }),
            "merged" => Decision::Verdict(Verdict::Merged { into: other()? }),
            "escalate" => {
                Decision::Escalate { reason: needed("reason", &self.reason, "escalate")? }
            }
            v => {
                return Err(field(
                    "verdict",
                    format!("{v:?} is not violating, not_violating, duplicate, merged or escalate"),
                ))
            }
        })
    }
}

/// What a decision did.
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    /// The decision's number.
    pub decision: u64,
    /// The verdict's name (or `escalated`).
    pub verdict: String,
    /// The enforcement actions written to the outbox.
    pub actions: Vec<Action>,
    /// Whether it was sampled for a second review.
    pub sampled: bool,
    /// The statement of reasons, for an enforcement.
    pub statement: Option<StatementOfReasons>,
    /// Reports resolved.
    pub reports: usize,
}

/// Decides a case the reviewer holds: a verdict resolves every report in
/// it, writes the enforcement outbox (every linked account), the statement
/// of reasons and the audit entries in one transaction; an escalation sends
/// it back to the queue for a lead. A not-violating verdict after an appeal
/// of a violating one restores the accounts.
pub fn decide(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    reviewer: &str,
    decision: Decision,
    now: Timestamp,
) -> Result<Decided> {
    let reviewer = config.reviewer(reviewer)?;
    let (row, mut c) = load_case(store, case)?;
    let history = store.review_decisions(case)?;
    let was_violating = history
        .iter()
        .rev()
        .find(|d| d.verdict != "escalated")
        .is_some_and(|d| d.verdict == "violating");
    let detail = decision_json(&decision);
    c.decide(&reviewer, decision.clone(), now)?;
    let reports = store.review_reports(case)?;
    let signals = store.review_signals(case)?;
    let accounts = store.review_case_accounts(case)?;
    let mut actions = Vec::new();
    let mut statement = None;
    let (verdict_name, resolution, merged_into) = match &decision {
        Decision::Escalate { .. } => ("escalated".to_owned(), None, None),
        Decision::Verdict(verdict) => {
            match verdict {
                Verdict::Violating { policy, category, enforcement, cybertip } => {
                    let account_ids: Vec<AccountId> =
                        accounts.iter().map(|a| AccountId::new(a.clone())).collect();
                    let identifiers = identifiers_of(store, &accounts)?;
                    actions = enforce::plan(&account_ids, &identifiers, enforcement)?;
                    let facts = facts_of(&reports, &signals);
                    statement = Some(StatementOfReasons::new(StatementInput {
                        case: c.id,
                        decided_at: now,
                        actions: &actions,
                        facts,
                        notices: reports.len() as u32,
                        own_initiative: !signals.is_empty(),
                        automated_detection: signals.iter().any(|s| s.kind == "hash_match"),
                        legal_ground: (cybertip.is_some()
                            || *category == ReportCategory::ChildSafety)
                            .then(|| {
                                "18 U.S.C. 2258A; child sexual abuse material is illegal".to_owned()
                            }),
                        contractual_ground: Some(policy.clone()),
                    })?);
                }
                Verdict::NotViolating { .. } if was_violating => {
                    let account_ids: Vec<AccountId> =
                        accounts.iter().map(|a| AccountId::new(a.clone())).collect();
                    actions = enforce::restore(&account_ids);
                }
                _ => {}
            }
            let resolution = verdict.resolution(c.id);
            let merged_into = match verdict {
                Verdict::Merged { into } => Some(into.get()),
                Verdict::Duplicate { of } => {
                    store
                        .review_case(of.get())?
                        .ok_or(EngineError::NoSuchCase { case: of.get() })?;
                    None
                }
                _ => None,
            };
            (
                verdict.as_str().to_owned(),
                Some((resolution.as_str().to_owned(), resolution.detail())),
                merged_into,
            )
        }
    };
    let sampled = resolution.is_some()
        && case::sampled_for_second_review(
            c.id,
            history.len() as u64 + 1,
            config.second_review_rate,
        );
    let mut audit =
        vec![draft(now, &reviewer.id, "decide", format!("case {case}"), detail.clone())];
    audit.extend(actions.iter().map(|a| {
        draft(
            now,
            &reviewer.id,
            "enforce",
            format!("case {case}"),
            format!("{} {}", a.kind, a.target),
        )
    }));
    let write = DecisionWrite {
        case: write_of(&row, &c, now, false),
        reviewer: reviewer.id.clone(),
        verdict: verdict_name.clone(),
        detail,
        statement: statement.as_ref().map(StatementOfReasons::to_json),
        sampled,
        resolution,
        merged_into,
        outbox: actions.iter().map(|a| (a.kind.to_owned(), a.target.clone())).collect(),
        webhooks: actions.iter().map(|a| webhook_of(&row, a, &reviewer.id, now)).collect(),
        audit,
    };
    let id = store.review_decide(&write, &seal_row)?;
    let resolved = if write.resolution.is_some() { reports.len() } else { 0 };
    Ok(Decided {
        decision: id,
        verdict: verdict_name,
        actions,
        sampled,
        statement,
        reports: resolved,
    })
}

/// The webhook the platform receives for one action of a decision. The key
/// names the case and the version the decision was written over, so it is
/// the same for a retried commit and different for a later decision.
fn webhook_of(row: &CaseRow, action: &Action, reviewer: &str, now: Timestamp) -> WebhookRow {
    let key = format!("case:{}/v{}/{}/{}", row.id, row.version, action.kind, action.target);
    let kind = format!("enforcement.{}", action.kind);
    let body = serde_json::json!({
        "id": key,
        "type": kind,
        "case": row.id,
        "action": action.kind,
        "target": action.target,
        "reviewer": reviewer,
        "child_safety": row.child_safety,
        "at": now.to_string(),
    });
    WebhookRow { key, kind, body: body.to_string() }
}

/// Reopens a decided case on appeal, for a reviewer who did not decide it.
pub fn appeal(
    store: &mut dyn Store,
    case: u64,
    appellant: &str,
    reason: &str,
    now: Timestamp,
) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(
            ReviewError::Field { field: "appeal.reason".into(), why: "say why".into() }.into()
        );
    }
    let (row, mut c) = load_case(store, case)?;
    c.appeal(now)?;
    let audit = draft(now, appellant, "appeal", format!("case {case}"), reason.to_owned());
    store.review_update_case(&write_of(&row, &c, now, true), &[audit], &seal_row)?;
    Ok(())
}

/// Records a second review of the case's latest verdict, if it was sampled:
/// by another reviewer than the one who decided, with the roles the case
/// needs; `verdict` is a verdict name (`violating`, `not_violating`,
/// `duplicate`, `merged`). Returns whether the two agree.
pub fn second_review(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    reviewer: &str,
    verdict: &str,
    reason: &str,
    now: Timestamp,
) -> Result<bool> {
    let reviewer = config.reviewer(reviewer)?;
    let (_, c) = load_case(store, case)?;
    if !["violating", "not_violating", "duplicate", "merged"].contains(&verdict) {
        return Err(ReviewError::Field {
            field: "second_review.verdict".into(),
            why: format!("{verdict:?} is not violating, not_violating, duplicate or merged"),
        }
        .into());
    }
    if c.child_safety && !reviewer.has(Role::ChildSafety) {
        return Err(ReviewError::Role {
            case: c.id,
            reviewer: reviewer.id,
            needed: Role::ChildSafety,
        }
        .into());
    }
    let decisions = store.review_decisions(case)?;
    let last = decisions.iter().rev().find(|d| d.verdict != "escalated").ok_or_else(|| {
        EngineError::NotReportable { case, why: "no decision to review again".into() }
    })?;
    if last.reviewer == reviewer.id {
        return Err(ReviewError::SameReviewer { case: c.id, reviewer: reviewer.id }.into());
    }
    let agreed = last.verdict == verdict;
    let row = guardrail_store::SecondReviewRow {
        decision_id: last.id,
        reviewer: reviewer.id.clone(),
        verdict: verdict.to_owned(),
        agreed,
        detail: reason.to_owned(),
        reviewed_at: now.unix_micros(),
    };
    let what = if agreed { "agrees" } else { "disagrees" };
    let audit = draft(
        now,
        &reviewer.id,
        "second_review",
        format!("case {case}"),
        format!("decision {}: {verdict}, {what}", last.id),
    );
    store.review_second_review(&row, &audit, &seal_row)?;
    Ok(agreed)
}

fn facts_of(reports: &[ReportRow], signals: &[SignalRow]) -> String {
    let mut by_category: BTreeMap<&str, usize> = BTreeMap::new();
    for r in reports {
        *by_category.entry(r.category.as_str()).or_default() += 1;
    }
    let mut parts: Vec<String> =
        by_category.iter().map(|(c, n)| format!("{n} {c} report(s)")).collect();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for s in signals {
        *kinds.entry(s.kind.as_str()).or_default() += 1;
    }
    parts.extend(kinds.iter().map(|(k, n)| format!("{n} {k} signal(s)")));
    if parts.is_empty() {
        "reviewed on the reviewer's own finding".into()
    } else {
        parts.join(", ")
    }
}

/// The identifiers (devices, email and phone hashes, payment handles) the
/// stored log's `account` events declare for `accounts`.
fn identifiers_of(store: &mut dyn Store, accounts: &[String]) -> Result<Vec<String>> {
    let wanted: BTreeSet<&str> = accounts.iter().map(String::as_str).collect();
    let mut out = BTreeSet::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 10_000)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for stored in page.iter().filter(|e| e.kind == guardrail_core::EventType::Account) {
            let event = stored.event()?;
            if let EventKind::Account(a) = &event.kind {
                if let (true, Some(ids)) = (wanted.contains(a.account.as_str()), &a.identifiers) {
                    out.extend(ids.device.iter().map(|d| format!("device:{d}")));
                    out.extend(ids.email_hash.iter().map(|d| format!("email_hash:{d}")));
                    out.extend(ids.phone_hash.iter().map(|d| format!("phone_hash:{d}")));
                    out.extend(ids.payment.iter().map(|d| format!("payment:{d}")));
                }
            }
        }
    }
    Ok(out.into_iter().collect())
}

fn decision_json(decision: &Decision) -> String {
    use serde_json::json;
    match decision {
        Decision::Escalate { reason } => json!({ "verdict": "escalated", "reason": reason }),
        Decision::Verdict(Verdict::Violating { policy, category, enforcement, cybertip }) => {
            json!({
                "verdict": "violating",
                "policy": policy,
                "category": category.as_str(),
                "enforcement": {
                    "account_action": enforcement.account_action.as_str(),
                    "not_recommendable": enforcement.not_recommendable,
                    "block_identifiers": enforcement.block_identifiers,
                    "block_hashtags": enforcement.block_hashtags,
                },
                "cybertip": cybertip.as_ref().map(|c| json!({
                    "incident_type": c.incident_type.code(),
                    "escalate_reason": c.escalate_reason,
                })),
            })
        }
        Decision::Verdict(Verdict::NotViolating { reason }) => {
            json!({ "verdict": "not_violating", "reason": reason })
        }
        Decision::Verdict(Verdict::Duplicate { of }) => {
            json!({ "verdict": "duplicate", "of": of.get() })
        }
        Decision::Verdict(Verdict::Merged { into }) => {
            json!({ "verdict": "merged", "into": into.get() })
        }
    }
    .to_string()
}

fn verdict_from_json(text: &str) -> Option<Verdict> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    Some(match v.get("verdict")?.as_str()? {
        "violating" => {
            let e = v.get("enforcement")?;
            Verdict::Violating {
                policy: s("policy")?,
                category: ReportCategory::parse(&s("category")?)?,
                enforcement: Enforcement {
                    account_action: AccountAction::parse(e.get("account_action")?.as_str()?)?,
                    not_recommendable: e.get("not_recommendable")?.as_bool()?,
                    block_identifiers: e.get("block_identifiers")?.as_bool()?,
                    block_hashtags: e
                        .get("block_hashtags")?
                        .as_array()?
                        .iter()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect(),
                },
                cybertip: match v.get("cybertip") {
                    Some(c) if !c.is_null() => Some(CyberTipFields {
                        incident_type: IncidentType::parse(c.get("incident_type")?.as_str()?)?,
                        escalate_reason: c
                            .get("escalate_reason")
                            .and_then(|r| r.as_str())
                            .map(str::to_owned),
                    }),
                    _ => None,
                },
            }
        }
        "not_violating" => Verdict::NotViolating { reason: s("reason")? },
        "duplicate" => Verdict::Duplicate { of: CaseId::new(v.get("of")?.as_u64()?) },
        "merged" => Verdict::Merged { into: CaseId::new(v.get("into")?.as_u64()?) },
        _ => return None,
    })
}

/// One line of the queue.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueEntry {
    /// The case.
    pub case: u64,
    /// Its subject (`account:u1`).
    pub subject: String,
    /// Its state at `now` (`open`, `claimed`, `escalated`, `reopened`).
    pub state: &'static str,
    /// Its priority at `now`.
    pub priority: Priority,
    /// Reports in it.
    pub reports: u64,
    /// Signals in it.
    pub signals: u64,
    /// Whether it needs the child-safety role.
    pub child_safety: bool,
    /// When it was opened.
    pub opened_at: Timestamp,
}

/// The backlog: undecided cases by level, how many are overdue, the oldest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Backlog {
    /// Undecided cases per level (`P0` first, after age promotion).
    pub by_level: [u64; 4],
    /// Of them, past their SLA deadline.
    pub overdue: u64,
    /// The oldest undecided case's age.
    pub oldest: Option<Duration>,
}

fn priority_inputs(store: &mut dyn Store, row: &CaseRow) -> Result<PriorityInputs> {
    let reports = store.review_reports(row.id)?;
    let reporters: BTreeSet<String> = reports.iter().filter_map(|r| r.reporter.clone()).collect();
    let reporters: Vec<String> = reporters.into_iter().collect();
    let records = store.review_reporters(&reporters)?;
    let anonymous = reports.iter().filter(|r| r.reporter.is_none()).count() as u64;
    Ok(inputs_of(row, &records, anonymous))
}

/// A case's priority inputs from its row and its reporters' records.
fn inputs_of(
    row: &CaseRow,
    records: &[guardrail_store::ReporterRecord],
    anonymous: u64,
) -> PriorityInputs {
    let mut accuracy: Vec<f64> =
        records.iter().map(|r| priority::reporter_accuracy(r.upheld, r.rejected)).collect();
    // Reports without a reporter account count as one reporter of unknown accuracy each.
    accuracy.extend((0..anonymous).map(|_| 0.5));
    PriorityInputs {
        category: row.category_rank.and_then(|r| ReportCategory::ALL.get(usize::from(r)).copied()),
        hash_match: row.hash_match,
        tier: RiskTier::from_code(row.tier),
        strong_terms: row.strong_terms.min(u64::from(u32::MAX)) as u32,
        reporters: accuracy,
        opened_at: time(row.opened_at),
    }
}

/// The undecided cases, most urgent first, and the backlog.
pub fn queue(
    store: &mut dyn Store,
    config: &ReviewConfig,
    now: Timestamp,
) -> Result<(Vec<QueueEntry>, Backlog)> {
    let mut entries = Vec::new();
    let mut backlog = Backlog::default();
    // Three queries whatever the number of cases (no query per case).
    for input in store.review_queue_inputs()? {
        let row = input.case;
        let c = case_of(store, &row)?;
        let priority = priority::priority(
            &inputs_of(&row, &input.reporters, input.anonymous),
            &config.sla,
            now,
        );
        backlog.by_level[Level::ALL.iter().position(|l| *l == priority.level).unwrap_or(3)] += 1;
        backlog.overdue += u64::from(priority.overdue);
        let age =
            Duration::from_micros(now.unix_micros().saturating_sub(row.opened_at).max(0) as u64);
        backlog.oldest = Some(backlog.oldest.map_or(age, |o| o.max(age)));
        entries.push(QueueEntry {
            case: row.id,
            subject: format!("{}:{}", row.subject_kind, row.subject),
            state: c.state_name(now),
            priority,
            reports: row.reports,
            signals: row.signals,
            child_safety: row.child_safety,
            opened_at: c.opened_at,
        });
    }
    entries.sort_by(|a, b| {
        priority::queue_order((&a.priority, a.opened_at), (&b.priority, b.opened_at))
    });
    Ok((entries, backlog))
}

/// Everything a reviewer reads about a case.
#[derive(Clone, Debug)]
pub struct CaseView {
    /// The stored case.
    pub row: CaseRow,
    /// Its state at `now`.
    pub state: &'static str,
    /// Its priority at `now`.
    pub priority: Priority,
    /// The accounts it links.
    pub accounts: Vec<String>,
    /// Identity linking's evidence for a person case.
    pub link_evidence: Vec<String>,
    /// Its reports.
    pub reports: Vec<ReportRow>,
    /// Its signals (hash matches with bank and distance, enforcement).
    pub signals: Vec<SignalRow>,
    /// Its decisions.
    pub decisions: Vec<DecisionRow>,
    /// The recorded file views.
    pub views: Vec<FileView>,
    /// Its enforcement actions.
    pub outbox: Vec<EnforcementRow>,
}

/// The context bundle of a case.
pub fn show(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    now: Timestamp,
) -> Result<CaseView> {
    let linkage = Linkage::latest(store)?;
    show_linked(store, config, &linkage, case, now)
}

/// [`show`] with a linkage the caller keeps (a service reads it once per
/// scan, not once per request).
pub fn show_linked(
    store: &mut dyn Store,
    config: &ReviewConfig,
    linkage: &Linkage,
    case: u64,
    now: Timestamp,
) -> Result<CaseView> {
    let (row, c) = load_case(store, case)?;
    let priority = priority::priority(&priority_inputs(store, &row)?, &config.sla, now);
    Ok(CaseView {
        state: c.state_name(now),
        priority,
        accounts: store.review_case_accounts(case)?,
        link_evidence: linkage.evidence_of(&c.subject).to_vec(),
        reports: store.review_reports(case)?,
        signals: store.review_signals(case)?,
        decisions: store.review_decisions(case)?,
        views: store.review_file_views(case)?,
        outbox: store.review_outbox(false)?.into_iter().filter(|o| o.case_id == case).collect(),
        row,
    })
}

/// What a CyberTipline export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exported {
    /// The `<report>` document.
    pub report: PathBuf,
    /// The files' manifest (what each `<fileDetails>` will say once NCMEC has
    /// given the report and file ids), one JSON object per line.
    pub files: PathBuf,
    /// How many files.
    pub n_files: usize,
    /// Of them, viewed by a person.
    pub n_viewed: usize,
}

/// Builds the CyberTipline report of a case decided violating for child
/// safety. Files are the media of the case's reported or hash-matched
/// posts; `fileViewedByEsp` is true only for files whose view was recorded.
pub fn cybertip_report(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
) -> Result<CyberTipReport> {
    let (_, c) = load_case(store, case)?;
    let not = |why: &str| EngineError::NotReportable { case, why: why.to_owned() };
    let CaseState::Decided { verdict: Verdict::Violating { cybertip: Some(fields), .. }, .. } =
        &c.state
    else {
        return Err(not(
            "only a case decided violating for child safety is reported to the CyberTipline",
        ));
    };
    let email = config.cybertip.email.clone().ok_or_else(|| EngineError::Setting {
        field: "cybertip.email",
        why: "the CyberTipline needs the reporter's email".into(),
    })?;
    let reports = store.review_reports(case)?;
    let signals = store.review_signals(case)?;
    let accounts = store.review_case_accounts(case)?;
    let views: BTreeSet<String> =
        store.review_file_views(case)?.into_iter().map(|v| v.file).collect();
    let mut posts: BTreeSet<String> =
        reports.iter().filter(|r| r.target_kind == "post").map(|r| r.target.clone()).collect();
    posts.extend(
        signals
            .iter()
            .filter(|s| s.kind == "hash_match")
            .filter_map(|s| s.detail.split_whitespace().nth(1).map(str::to_owned)),
    );
    let (media, handles, first_at, disabled) = log_facts(store, &posts, &accounts)?;
    let incident_at = reports
        .iter()
        .map(|r| r.received_at)
        .chain(signals.iter().map(|s| s.at))
        .chain(first_at)
        .min()
        .map(time)
        .ok_or_else(|| not("the case holds no report or signal to date the incident"))?;
    let url = |template: &Option<String>, key: &str, value: &str| {
        template.as_ref().map(|t| t.replace(key, value))
    };
    let mut files = Vec::new();
    for (post, items) in &media {
        for (i, (m, at)) in items.iter().enumerate() {
            let name = format!("post-{post}-{i}");
            let key = format!("post:{post}#{i}");
            let mut hashes = Vec::new();
            if let Some(h) = m.md5 {
                hashes.push(("MD5".to_owned(), h.to_string()));
            }
            if let Some(h) = m.sha256 {
                hashes.push(("SHA256".to_owned(), h.to_string()));
            }
            if let Some(h) = m.pdq {
                hashes.push(("PDQ".to_owned(), h.to_string()));
            }
            files.push(ReportFile {
                file_name: name,
                location: url(&config.cybertip.post_url, "{post}", post),
                uploaded_at: Some(*at),
                viewed_by_esp: views.contains(&key),
                publicly_available: None,
                classification: None,
                original_hashes: hashes,
            });
        }
    }
    let primary = match &c.subject {
        Subject::Account(a) => Some(a.as_str().to_owned()),
        _ => accounts.first().cloned(),
    };
    let reported = primary.map(|p| ReportedUser {
        esp_service: config.cybertip.esp_service.clone(),
        screen_name: handles.get(&p).cloned(),
        profile_urls: url(&config.cybertip.profile_url, "{account}", &p).into_iter().collect(),
        permanently_disabled_at: disabled.get(&p).copied(),
        linked: accounts
            .iter()
            .filter(|a| **a != p)
            .map(|a| LinkedAccount {
                esp_identifier: a.clone(),
                screen_name: handles.get(a).cloned(),
            })
            .collect(),
        esp_identifier: p,
    });
    Ok(CyberTipReport {
        incident_type: fields.incident_type,
        platform: config.cybertip.platform.clone(),
        escalate_reason: fields.escalate_reason.clone(),
        incident_at,
        urls: posts.iter().filter_map(|p| url(&config.cybertip.post_url, "{post}", p)).collect(),
        reporter: ReportingPerson {
            first_name: config.cybertip.first_name.clone(),
            last_name: config.cybertip.last_name.clone(),
            email,
        },
        reported,
        additional_info: Some(format!("guardrail case {case}: {}", facts_of(&reports, &signals))),
        files,
    })
}

type LogFacts = (
    BTreeMap<String, Vec<(Media, Timestamp)>>,
    HashMap<String, String>,
    Option<i64>,
    HashMap<String, Timestamp>,
);

/// From the stored log: the media of `posts`, the handles of `accounts`,
/// the earliest of those posts, and when the platform banned the accounts.
fn log_facts(
    store: &mut dyn Store,
    posts: &BTreeSet<String>,
    accounts: &[String],
) -> Result<LogFacts> {
    let wanted: BTreeSet<&str> = accounts.iter().map(String::as_str).collect();
    let mut media = BTreeMap::new();
    let mut handles = HashMap::new();
    let mut first = None;
    let mut disabled = HashMap::new();
    let mut after = 0;
    loop {
        let page = store.events_after(after, 10_000)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for stored in page {
            let event = stored.event()?;
            match &event.kind {
                EventKind::Post(p) if posts.contains(p.post.as_str()) => {
                    first =
                        Some(first.map_or(event.at.unix_micros(), |f: i64| {
                            f.min(event.at.unix_micros())
                        }));
                    media.insert(
                        p.post.as_str().to_owned(),
                        p.media.iter().map(|m| (m.clone(), event.at)).collect(),
                    );
                }
                EventKind::Account(a) if wanted.contains(a.account.as_str()) => {
                    handles.insert(a.account.as_str().to_owned(), a.handle.clone());
                }
                EventKind::Enforcement(e)
                    if wanted.contains(e.account.as_str())
                        && e.action == EnforcementAction::Ban =>
                {
                    disabled.insert(e.account.as_str().to_owned(), event.at);
                }
                _ => {}
            }
        }
    }
    Ok((media, handles, first, disabled))
}

/// Writes a case's CyberTipline report (`report.xml`, validated by the
/// review engine before it is written) and its files' manifest
/// (`files.jsonl`) into `out`, and audits the export.
pub fn cybertip_export(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    out: &Path,
    actor: &str,
    now: Timestamp,
) -> Result<Exported> {
    let report = cybertip_report(store, config, case)?;
    let xml = report.to_xml(now)?;
    std::fs::create_dir_all(out)
        .map_err(|source| EngineError::Write { path: out.to_owned(), source })?;
    let report_path = out.join("report.xml");
    std::fs::write(&report_path, xml)
        .map_err(|source| EngineError::Write { path: report_path.clone(), source })?;
    let mut manifest = String::new();
    for f in &report.files {
        let line = serde_json::json!({
            "file_name": f.file_name,
            "location": f.location,
            "uploaded_at": f.uploaded_at.map(Timestamp::to_rfc3339),
            "file_viewed_by_esp": f.viewed_by_esp,
            "original_hashes": f.original_hashes.iter().map(|(k, h)| serde_json::json!({"type": k, "hex": h})).collect::<Vec<_>>(),
        });
        manifest.push_str(&line.to_string());
        manifest.push('\n');
    }
    let files_path = out.join("files.jsonl");
    std::fs::write(&files_path, manifest)
        .map_err(|source| EngineError::Write { path: files_path.clone(), source })?;
    let n_viewed = report.files.iter().filter(|f| f.viewed_by_esp).count();
    let detail = format!("{} file(s), {n_viewed} viewed, to {}", report.files.len(), out.display());
    store.review_audit_append(
        &[draft(now, actor, "cybertip_export", format!("case {case}"), detail)],
        &seal_row,
    )?;
    Ok(Exported { report: report_path, files: files_path, n_files: report.files.len(), n_viewed })
}

/// What [`check_review`] read and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewCheck {
    /// Cases read.
    pub cases: u64,
    /// Reports read (each in exactly one case).
    pub reports: u64,
    /// Decisions read.
    pub decisions: u64,
    /// Outbox entries read.
    pub outbox: u64,
    /// What is inconsistent, one line each (empty when all is well).
    pub problems: Vec<String>,
}

/// Checks the stored review data against the rules: each report is in one
/// case and no key twice; a decided case's reports are all resolved and its
/// verdict is its last decision; a claimed case has a holder and an end; every
/// outbox entry belongs to a decision of its case.
pub fn check_review(store: &mut dyn Store) -> Result<ReviewCheck> {
    let mut check = ReviewCheck::default();
    let mut keys = BTreeSet::new();
    let mut outbox_by_case: HashMap<u64, Vec<EnforcementRow>> = HashMap::new();
    let outbox = store.review_outbox(false)?;
    check.outbox = outbox.len() as u64;
    for o in outbox {
        outbox_by_case.entry(o.case_id).or_default().push(o);
    }
    for row in store.review_cases(false)? {
        check.cases += 1;
        let reports = store.review_reports(row.id)?;
        let decisions = store.review_decisions(row.id)?;
        check.reports += reports.len() as u64;
        check.decisions += decisions.len() as u64;
        if reports.len() as u64 != row.reports {
            check.problems.push(format!(
                "case {} counts {} reports but lists {}",
                row.id,
                row.reports,
                reports.len()
            ));
        }
        for r in &reports {
            if !keys.insert(r.key.clone()) {
                check.problems.push(format!("report key {} is stored twice", r.key));
            }
        }
        match row.state.as_str() {
            "decided" => {
                if let Some(r) = reports.iter().find(|r| r.resolution.is_none()) {
                    check.problems.push(format!(
                        "report {} of decided case {} has no resolution",
                        r.id, row.id
                    ));
                }
                let last = decisions
                    .iter()
                    .rev()
                    .find(|d| d.verdict != "escalated")
                    .map(|d| d.verdict.clone());
                if last != row.verdict {
                    check.problems.push(format!(
                        "case {}'s verdict {:?} is not its last decision {last:?}",
                        row.id, row.verdict
                    ));
                }
            }
            "claimed" if row.lease_holder.is_none() || row.lease_until.is_none() => {
                check
                    .problems
                    .push(format!("case {} is claimed without a holder and an end", row.id));
            }
            "open" | "claimed" => {}
            other => {
                check.problems.push(format!("case {} is in no known state ({other:?})", row.id))
            }
        }
        let ids: BTreeSet<u64> = decisions.iter().map(|d| d.id).collect();
        for o in outbox_by_case.remove(&row.id).unwrap_or_default() {
            if !ids.contains(&o.decision_id) {
                check.problems.push(format!(
                    "outbox entry {} names decision {}, not one of case {}",
                    o.id, o.decision_id, row.id
                ));
            }
        }
    }
    for (case, entries) in outbox_by_case {
        check.problems.push(format!(
            "{} outbox entries name case {case}, which does not exist",
            entries.len()
        ));
    }
    Ok(check)
}

/// Durations in seconds: how many, the median and the 90th percentile.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Durations {
    /// How many.
    pub n: u64,
    /// The median, in seconds.
    pub median: f64,
    /// The 90th percentile, in seconds.
    pub p90: f64,
}

impl Durations {
    fn of(mut seconds: Vec<f64>) -> Durations {
        if seconds.is_empty() {
            return Durations::default();
        }
        seconds.sort_by(f64::total_cmp);
        let at = |q: f64| seconds[((seconds.len() - 1) as f64 * q).round() as usize];
        Durations { n: seconds.len() as u64, median: at(0.5), p90: at(0.9) }
    }
}

/// The transparency report's counts over a period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transparency {
    /// Reports received, by category.
    pub reports_by_category: BTreeMap<String, u64>,
    /// Reports received, by source (`event`, `cli`, `api`).
    pub reports_by_source: BTreeMap<String, u64>,
    /// Detection signals, by kind (`hash_match`, `enforcement`).
    pub signals_by_kind: BTreeMap<String, u64>,
    /// Cases with a decision in the period, by what opened them: `reports`
    /// only, `detection` only, or `both`.
    pub cases_by_origin: BTreeMap<String, u64>,
    /// Decisions, by verdict (with `escalated`).
    pub decisions_by_verdict: BTreeMap<String, u64>,
    /// Enforcement actions, by kind.
    pub actions_by_kind: BTreeMap<String, u64>,
    /// Appeals decided again, and of them how many were overturned.
    pub appeals: (u64, u64),
    /// Decisions sampled for a second review.
    pub sampled: u64,
    /// Second reviews done on those decisions, and of them how many agreed.
    pub second_reviews: (u64, u64),
    /// From a case's opening to its first verdict.
    pub time_to_decision: Durations,
    /// From a case's opening to its first violating verdict (time to action).
    pub time_to_action: Durations,
}

/// Counts for a transparency report: reports received and decisions taken
/// in `[from, to)` (either end open when `None`).
pub fn transparency(
    store: &mut dyn Store,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Transparency> {
    let within = |micros: i64| {
        from.is_none_or(|f| micros >= f.unix_micros())
            && to.is_none_or(|t| micros < t.unix_micros())
    };
    let mut t = Transparency::default();
    let (mut to_decision, mut to_action) = (Vec::new(), Vec::new());
    let mut decision_ids = BTreeSet::new();
    for row in store.review_cases(false)? {
        let reports = store.review_reports(row.id)?;
        let signals = store.review_signals(row.id)?;
        for r in reports.iter().filter(|r| within(r.received_at)) {
            *t.reports_by_category.entry(r.category.clone()).or_default() += 1;
            *t.reports_by_source.entry(r.source.clone()).or_default() += 1;
        }
        for s in signals.iter().filter(|s| within(s.at)) {
            *t.signals_by_kind.entry(s.kind.clone()).or_default() += 1;
        }
        let decisions = store.review_decisions(row.id)?;
        let verdicts: Vec<&DecisionRow> =
            decisions.iter().filter(|d| d.verdict != "escalated").collect();
        for (i, d) in verdicts.iter().enumerate().skip(1) {
            if within(d.decided_at) {
                t.appeals.0 += 1;
                t.appeals.1 += u64::from(d.verdict != verdicts[i - 1].verdict);
            }
        }
        let mut any = false;
        for d in decisions.iter().filter(|d| within(d.decided_at)) {
            any = true;
            decision_ids.insert(d.id);
            *t.decisions_by_verdict.entry(d.verdict.clone()).or_default() += 1;
            t.sampled += u64::from(d.sampled);
        }
        let age = |d: &DecisionRow| (d.decided_at - row.opened_at).max(0) as f64 / 1e6;
        if let Some(first) = verdicts.first().filter(|d| within(d.decided_at)) {
            to_decision.push(age(first));
        }
        if let Some(first) =
            verdicts.iter().find(|d| d.verdict == "violating").filter(|d| within(d.decided_at))
        {
            to_action.push(age(first));
        }
        if any {
            let origin = match (reports.is_empty(), signals.is_empty()) {
                (false, true) => "reports",
                (true, false) => "detection",
                _ => "both",
            };
            *t.cases_by_origin.entry(origin.to_owned()).or_default() += 1;
        }
    }
    for r in store.review_second_reviews()? {
        if decision_ids.contains(&r.decision_id) {
            t.second_reviews.0 += 1;
            t.second_reviews.1 += u64::from(r.agreed);
        }
    }
    for o in store.review_outbox(false)? {
        if decision_ids.contains(&o.decision_id) {
            *t.actions_by_kind.entry(o.action).or_default() += 1;
        }
    }
    t.time_to_decision = Durations::of(to_decision);
    t.time_to_action = Durations::of(to_action);
    Ok(t)
}

/// The audit log's check: how many entries were read, and the first bad one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCheck {
    /// Entries read.
    pub entries: u64,
    /// The first bad entry, if any.
    pub broken: Option<ChainBreak>,
}

/// Verifies the stored audit log's hash chain.
pub fn verify_audit(store: &mut dyn Store) -> Result<AuditCheck> {
    let mut sealed = Vec::new();
    loop {
        let after = sealed.last().map_or(0, |e: &SealedEntry| e.entry.seq);
        let page = store.review_audit(after, 10_000)?;
        if page.is_empty() {
            break;
        }
        sealed.extend(page.iter().map(|row| SealedEntry {
            entry: entry_of(row),
            prev_hash: row.prev_hash.clone(),
            hash: row.hash.clone(),
        }));
    }
    let entries = sealed.len() as u64;
    Ok(AuditCheck { entries, broken: audit::verify(&sealed).err() })
}

mod intake;
pub use intake::EventIntake;
mod map;
pub use map::{network_map, EdgeKind, MapEdge, MapNode, NetworkMap};

#[cfg(test)]
mod tests;

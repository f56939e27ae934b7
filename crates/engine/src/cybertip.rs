//! Submitting CyberTipline reports to NCMEC, so that none is lost or
//! silently stuck: a case decided violating for child safety is queued
//! with its `<report>` document, then submitted, its files uploaded and
//! described, and the report finished (NCMEC's flow: submit, upload*,
//! fileinfo*, finish). Every step and its answer is stored before the next
//! one starts, so a crash anywhere resumes where it stopped: a report id
//! NCMEC gave is never submitted again, and a finished report keeps NCMEC's
//! receipt. A passing failure (a server error, a timeout, no connection) is
//! retried with a doubling delay for the configured window; a refusal that
//! a retry cannot fix (a document NCMEC does not accept, credentials it
//! refuses) stops the submission as `failed`, retracts what NCMEC holds of
//! it, logs an error and counts it for alerts, until a person fixes the
//! cause and retries.
//!
//! Submissions go to NCMEC's test environment unless the review
//! configuration says `environment = "production"`; credentials come from
//! the configuration or the environment and are never printed or stored.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use guardrail_core::Timestamp;
use guardrail_review::cybertip::{describe_code, Response};
use guardrail_store::{CyberTipAttemptRow, CyberTipRow, Store};

use crate::review::{self, ReviewConfig};
use crate::{EngineError, Result};

/// NCMEC's test environment (submissions there are discarded).
pub const TEST_URL: &str = "https://exttest.cybertip.org/ispws";
/// NCMEC's production environment.
pub const PRODUCTION_URL: &str = "https://report.cybertip.org/ispws";

/// Where submissions go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Environment {
    /// NCMEC's test environment (the default).
    #[default]
    Test,
    /// NCMEC's production environment: real reports.
    Production,
}

impl Environment {
    /// `test` or `production`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }
}

/// A password, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: String) -> Secret {
        Secret(secret)
    }

    /// The secret itself (for the one place that uses it).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where a submission's files are: a directory holding them by the names
/// the report gives them (`post-<id>-<n>`, as `cybertip export` lists them),
/// or none, for a report sent without its files (the engine keeps hashes,
/// not media, unless evidence preservation is configured).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Files {
    /// Read each file from this directory.
    Dir(PathBuf),
    /// Send the report without files (the report says so).
    Without,
}

/// A client of NCMEC's reporting API over HTTPS (ureq with rustls).
pub struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: String,
    environment: Environment,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

/// One answer, or why none came.
#[derive(Clone, Debug)]
struct Answer {
    status: Option<u16>,
    request_id: Option<String>,
    body: std::result::Result<Vec<u8>, String>,
}

impl Client {
    /// The client the review configuration describes; refused (the key
    /// named) without credentials.
    pub fn new(config: &ReviewConfig) -> Result<Client> {
        let c = &config.cybertip;
        let username = c
            .username
            .clone()
            .or_else(|| std::env::var("GUARDRAIL_CYBERTIP_USERNAME").ok())
            .filter(|u| !u.is_empty())
            .ok_or_else(|| EngineError::Setting {
                field: "cybertip.username",
                why: "NCMEC's credentials are needed (or GUARDRAIL_CYBERTIP_USERNAME)".into(),
            })?;
        let password = c
            .password
            .as_ref()
            .map(|p| p.0.clone())
            .or_else(|| std::env::var("GUARDRAIL_CYBERTIP_PASSWORD").ok())
            .filter(|p| !p.is_empty())
            .ok_or_else(|| EngineError::Setting {
                field: "cybertip.password",
                why: "NCMEC's credentials are needed (or GUARDRAIL_CYBERTIP_PASSWORD)".into(),
            })?;
        let base = match (c.environment, &c.url) {
            (Environment::Production, Some(_)) => {
                return Err(EngineError::Setting {
                    field: "cybertip.url",
                    why: "production submissions go to NCMEC's own URL only".into(),
                })
            }
            (Environment::Production, None) => PRODUCTION_URL.to_owned(),
            (Environment::Test, Some(url)) => url.trim_end_matches('/').to_owned(),
            (Environment::Test, None) => TEST_URL.to_owned(),
        };
        use base64::Engine as _;
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(c.timeout))
            .user_agent("guardrail")
            .build()
            .into();
        Ok(Client {
            agent,
            base,
            authorization: format!("Basic {token}"),
            environment: c.environment,
        })
    }

    /// The environment it submits to.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    fn answer(
        result: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Answer {
        match result {
            Ok(mut response) => Answer {
                status: Some(response.status().as_u16()),
                request_id: response
                    .headers()
                    .get("request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body: response
                    .body_mut()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_vec()
                    .map_err(|e| format!("reading the answer: {e}")),
            },
            Err(e) => Answer { status: None, request_id: None, body: Err(e.to_string()) },
        }
    }

    fn post_xml(&self, path: &str, xml: &str) -> Answer {
        Client::answer(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("Authorization", &self.authorization)
                .content_type("text/xml; charset=utf-8")
                .send(xml),
        )
    }

    fn post_id(&self, path: &str, report_id: i64) -> Answer {
        let id = report_id.to_string();
        Client::answer(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("Authorization", &self.authorization)
                .send_form([("id", id.as_str())]),
        )
    }

    fn upload(&self, report_id: i64, name: &str, bytes: &[u8]) -> Answer {
        use ureq::unversioned::multipart::{Form, Part};
        let id = report_id.to_string();
        let form = Form::new().text("id", &id).part("file", Part::bytes(bytes).file_name(name));
        Client::answer(
            self.agent
                .post(format!("{}/upload", self.base))
                .header("Authorization", &self.authorization)
                .send(form),
        )
    }
}

/// How an answer reads.
enum Reading {
    /// Code 0, with the parsed response.
    Ok(Response),
    /// Worth retrying later (no answer, a server error, an unreadable answer).
    Passing(Option<i64>, String),
    /// A retry will not help until a person acts.
    Refused(i64, String),
}

/// Codes NCMEC documents as its own passing failures.
const PASSING_CODES: [i64; 5] = [1000, 1100, 1110, 1111, 1300];

fn read(answer: &Answer) -> Reading {
    let body = match &answer.body {
        Ok(body) => body,
        Err(why) => return Reading::Passing(None, why.clone()),
    };
    match Response::parse(body) {
        Ok(r) if r.is_success() => Reading::Ok(r),
        Ok(r) => {
            let code = r.code();
            let why = match &r {
                Response::Report { description, .. } if !description.is_empty() => {
                    format!("NCMEC answered {code} ({}): {description}", describe_code(code))
                }
                _ => format!("NCMEC answered {code} ({})", describe_code(code)),
            };
            if PASSING_CODES.contains(&code) {
                Reading::Passing(Some(code), why)
            } else {
                Reading::Refused(code, why)
            }
        }
        // An unreadable answer with a server error status is NCMEC's trouble;
        // with any other status it is a refusal we cannot read: stop and tell.
        Err(e) => match answer.status {
            Some(s) if s >= 500 => Reading::Passing(None, format!("HTTP {s}: {e}")),
            Some(s) if s == 401 || s == 403 => {
                Reading::Refused(2000, format!("HTTP {s}: NCMEC refused the credentials"))
            }
            Some(s) => Reading::Refused(-1, format!("HTTP {s}: {e}")),
            None => Reading::Passing(None, e.to_string()),
        },
    }
}

/// The files' progress, as stored with the submission.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Progress {
    /// Whether the report goes without its files.
    without_files: bool,
    /// The directory the files are read from.
    dir: Option<PathBuf>,
    /// Files uploaded: their name and NCMEC's file id.
    uploaded: BTreeMap<String, String>,
    /// Files whose details were sent.
    described: Vec<String>,
}

fn progress_of(row: &CyberTipRow) -> Result<Progress> {
    serde_json::from_str(&row.files).map_err(|e| {
        EngineError::Store(guardrail_store::StoreError::CorruptRow {
            what: format!("cybertip submission of case {}", row.case_id),
            why: format!("files: {e}"),
        })
    })
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The delay before attempt `n + 1` after `n` passing failures: one minute,
/// doubling, at most an hour.
pub fn backoff(attempts: u64) -> Duration {
    let exp = attempts.saturating_sub(1).min(6) as u32;
    Duration::from_secs((60u64 << exp).min(3600))
}

/// Queues a case's report: the case must be decided violating for child
/// safety; its document is built and checked now (the error names the
/// field). A case with files needs `files` to say where they are, or that
/// the report goes without them: never silently without.
pub fn queue(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    files: &Files,
    actor: &str,
    now: Timestamp,
) -> Result<CyberTipRow> {
    let mut report = review::cybertip_report(store, config, case)?;
    let hashes = crate::preservation::hashes_of(&report);
    let progress = match files {
        Files::Dir(dir) => {
            for f in &report.files {
                let path = dir.join(&f.file_name);
                if !path.is_file() {
                    return Err(EngineError::NotReportable {
                        case,
                        why: format!("file {} is not in {}", f.file_name, dir.display()),
                    });
                }
            }
            Progress { dir: Some(dir.clone()), ..Progress::default() }
        }
        Files::Without => {
            if !report.files.is_empty() {
                let note = format!(
                    " {} file(s) matched or reported are not attached (the provider kept their hashes, not the files): {}",
                    report.files.len(),
                    report
                        .files
                        .iter()
                        .map(|f| {
                            let hashes: Vec<String> =
                                f.original_hashes.iter().map(|(k, h)| format!("{k} {h}")).collect();
                            format!("{} ({})", f.file_name, hashes.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                report.additional_info =
                    Some(format!("{}{note}", report.additional_info.unwrap_or_default()));
                report.files.clear();
            }
            Progress { without_files: true, ..Progress::default() }
        }
    };
    let xml = report.to_xml(now)?;
    let row = CyberTipRow {
        case_id: case,
        environment: config.cybertip.environment.as_str().to_owned(),
        state: "pending".into(),
        report_xml: xml,
        files: serde_json::to_string(&progress).unwrap_or_default(),
        report_id: None,
        attempts: 0,
        next_at: now.unix_micros(),
        last_code: None,
        last_error: None,
        request_id: None,
        receipt: None,
        created_at: now.unix_micros(),
        updated_at: now.unix_micros(),
        finished_at: None,
    };
    let detail = format!(
        "to NCMEC's {} environment, {}",
        row.environment,
        if progress.without_files {
            "without files".to_owned()
        } else {
            format!("{} file(s)", report.files.len())
        }
    );
    if let Some(existing) = store.cybertip_get(case)? {
        return Err(EngineError::Store(guardrail_store::StoreError::Exists {
            what: "cybertip submission",
            name: format!("case {case} ({})", existing.state),
        }));
    }
    // What is reported is preserved first (a year by default): its metadata
    // and hashes, and the files themselves where the deployment keeps media.
    if store.preservation_get(case)?.is_none() {
        let mut bytes = Vec::new();
        if let (true, Files::Dir(dir)) = (config.preservation.store_media, files) {
            for f in &report.files {
                let path = dir.join(&f.file_name);
                let b = std::fs::read(&path)
                    .map_err(|source| EngineError::Read { path: path.clone(), source })?;
                bytes.push((f.file_name.clone(), b));
            }
        }
        crate::preservation::preserve_with(
            store,
            config,
            case,
            &bytes,
            crate::preservation::Reported {
                hashes,
                document: Some((&row.environment, &row.report_xml)),
            },
            actor,
            now,
        )?;
    }
    let audit = review::draft(now, actor, "cybertip_queue", format!("case {case}"), detail);
    store.cybertip_create(&row, &[audit], &review::seal_row)?;
    Ok(row)
}

/// What one run of a submission ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// NCMEC filed the report: its id, and the receipt is stored.
    Finished {
        /// NCMEC's report id.
        report_id: i64,
    },
    /// A passing failure: the submission is retried from `next_at`.
    Retrying {
        /// Why.
        why: String,
        /// When it is due again.
        next_at: Timestamp,
    },
    /// A refusal a retry cannot fix: a person must act (`cybertip retry` after
    /// the fix). The caller announces it (the CLI exits 1, the service logs an
    /// error and counts it in `/metrics`); the row keeps it until then.
    Failed {
        /// Why.
        why: String,
    },
    /// Not due yet, or already finished or failed: nothing was sent.
    Idle,
}

struct Run<'a> {
    store: &'a mut dyn Store,
    config: &'a ReviewConfig,
    client: &'a Client,
    row: CyberTipRow,
    actor: &'a str,
    now: Timestamp,
}

impl Run<'_> {
    /// Stores the row with an attempt and an audit entry.
    fn record(
        &mut self,
        step: &str,
        answer: Option<&Answer>,
        outcome: &str,
        code: Option<i64>,
    ) -> Result<()> {
        self.row.updated_at = self.now.unix_micros();
        if let Some(a) = answer {
            if a.request_id.is_some() {
                self.row.request_id = a.request_id.clone();
            }
        }
        let attempt = CyberTipAttemptRow {
            case_id: self.row.case_id,
            at: self.now.unix_micros(),
            step: step.to_owned(),
            http_status: answer.and_then(|a| a.status).map(i64::from),
            code,
            outcome: outcome.to_owned(),
            request_id: answer.and_then(|a| a.request_id.clone()),
        };
        let audit = review::draft(
            self.now,
            self.actor,
            &format!("cybertip_{step}"),
            format!("case {}", self.row.case_id),
            outcome.to_owned(),
        );
        self.store.cybertip_record(&self.row, Some(&attempt), &[audit], &review::seal_row)?;
        Ok(())
    }

    fn passing(
        &mut self,
        step: &str,
        answer: &Answer,
        code: Option<i64>,
        why: String,
    ) -> Result<Outcome> {
        self.row.attempts += 1;
        self.row.last_code = code;
        self.row.last_error = Some(format!("{step}: {why}"));
        let deadline =
            self.row.created_at.saturating_add(micros(self.config.cybertip.retry_window));
        if self.now.unix_micros() >= deadline {
            let why = format!(
                "{step}: {why}; retried for {} h without success",
                self.config.cybertip.retry_window.as_secs() / 3600
            );
            return self.fail(step, Some(answer), code, why);
        }
        let next = self.now.unix_micros().saturating_add(micros(backoff(self.row.attempts)));
        self.row.next_at = next;
        self.record(step, Some(answer), &format!("retry: {why}"), code)?;
        Ok(Outcome::Retrying {
            why: format!("{step}: {why}"),
            next_at: Timestamp::from_unix_micros(next).unwrap_or(self.now),
        })
    }

    /// Stops the submission for a person: retracts what NCMEC holds of an
    /// unfinished report first (so a retry starts a clean one), then records
    /// and logs the failure.
    fn fail(
        &mut self,
        step: &str,
        answer: Option<&Answer>,
        code: Option<i64>,
        why: String,
    ) -> Result<Outcome> {
        if let Some(id) = self.row.report_id {
            let retracted = self.client.post_id("/retract", id);
            let outcome = match read(&retracted) {
                Reading::Ok(_) => "retracted".to_owned(),
                Reading::Passing(_, w) | Reading::Refused(_, w) => format!("retract failed: {w}"),
            };
            self.row.report_id = None;
            self.row.files = serde_json::to_string(&Progress {
                uploaded: BTreeMap::new(),
                described: Vec::new(),
                ..progress_of(&self.row)?
            })
            .unwrap_or_default();
            self.record("retract", Some(&retracted), &outcome, None)?;
        }
        self.row.state = "failed".into();
        self.row.last_code = code;
        self.row.last_error = Some(why.clone());
        self.record(step, answer, &format!("failed: {why}"), code)?;
        Ok(Outcome::Failed { why })
    }

    fn go(&mut self) -> Result<Outcome> {
        loop {
            match self.row.state.as_str() {
                "pending" => {
                    let answer = self.client.post_xml("/submit", &self.row.report_xml);
                    match read(&answer) {
                        Reading::Ok(Response::Report { report_id: Some(id), .. }) => {
                            self.row.state = "submitted".into();
                            self.row.report_id = Some(id);
                            self.row.last_code = Some(0);
                            self.row.last_error = None;
                            self.record("submit", Some(&answer), &format!("report {id}"), Some(0))?;
                        }
                        Reading::Ok(_) => {
                            return self.fail(
                                "submit",
                                Some(&answer),
                                Some(0),
                                "NCMEC answered success without a report id".into(),
                            )
                        }
                        Reading::Passing(code, why) => {
                            return self.passing("submit", &answer, code, why)
                        }
                        Reading::Refused(code, why) => {
                            return self.fail("submit", Some(&answer), Some(code), why)
                        }
                    }
                }
                "submitted" => {
                    let Some(report_id) = self.row.report_id else {
                        return self.fail(
                            "finish",
                            None,
                            None,
                            "submitted without a report id".into(),
                        );
                    };
                    let mut progress = progress_of(&self.row)?;
                    if !progress.without_files {
                        if let Some(outcome) = self.files(report_id, &mut progress)? {
                            return Ok(outcome);
                        }
                    }
                    let answer = self.client.post_id("/finish", report_id);
                    match read(&answer) {
                        Reading::Ok(_) => return self.finished(report_id, &answer, "finished"),
                        // Finished before, and the answer was lost (a crash after finish).
                        Reading::Refused(5102, _) => {
                            return self.finished(
                                report_id,
                                &answer,
                                "finished before (NCMEC: already finished)",
                            )
                        }
                        // NCMEC deletes unfinished reports some hours after their last
                        // change: submit it again.
                        Reading::Refused(5001, why) => {
                            self.row.state = "pending".into();
                            self.row.report_id = None;
                            progress.uploaded.clear();
                            progress.described.clear();
                            self.row.files = serde_json::to_string(&progress).unwrap_or_default();
                            self.record(
                                "finish",
                                Some(&answer),
                                &format!("resubmit: {why}"),
                                Some(5001),
                            )?;
                        }
                        Reading::Passing(code, why) => {
                            return self.passing("finish", &answer, code, why)
                        }
                        Reading::Refused(code, why) => {
                            return self.fail("finish", Some(&answer), Some(code), why)
                        }
                    }
                }
                _ => return Ok(Outcome::Idle),
            }
        }
    }

    /// Uploads and describes the files not done yet; `Some` when it must stop.
    fn files(&mut self, report_id: i64, progress: &mut Progress) -> Result<Option<Outcome>> {
        let report = review::cybertip_report(self.store, self.config, self.row.case_id)?;
        let dir = progress.dir.clone().unwrap_or_default();
        for file in &report.files {
            let name = file.file_name.clone();
            if !progress.uploaded.contains_key(&name) {
                let bytes = match std::fs::read(dir.join(&name)) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        let why = format!("file {name} in {}: {e}", dir.display());
                        return self.fail("upload", None, None, why).map(Some);
                    }
                };
                let answer = self.client.upload(report_id, &name, &bytes);
                match read(&answer) {
                    Reading::Ok(Response::Report { file_id: Some(file_id), hash, .. }) => {
                        use md5::Digest as _;
                        let ours = crate::hex(&md5::Md5::digest(&bytes));
                        if let Some(theirs) = hash.filter(|h| !h.eq_ignore_ascii_case(&ours)) {
                            let why = format!("NCMEC's MD5 of {name} is {theirs}, ours {ours}: the upload was damaged");
                            return self.passing("upload", &answer, None, why).map(Some);
                        }
                        progress.uploaded.insert(name.clone(), file_id.clone());
                        self.row.files = serde_json::to_string(&*progress).unwrap_or_default();
                        self.record(
                            "upload",
                            Some(&answer),
                            &format!("{name} as file {file_id}"),
                            Some(0),
                        )?;
                    }
                    Reading::Ok(_) => {
                        return self
                            .fail(
                                "upload",
                                Some(&answer),
                                Some(0),
                                "NCMEC answered success without a file id".into(),
                            )
                            .map(Some)
                    }
                    Reading::Passing(code, why) => {
                        return self.passing("upload", &answer, code, why).map(Some)
                    }
                    Reading::Refused(code, why) => {
                        return self.fail("upload", Some(&answer), Some(code), why).map(Some)
                    }
                }
            }
            if !progress.described.contains(&name) {
                let file_id = progress.uploaded.get(&name).cloned().unwrap_or_default();
                let xml = file.to_xml(report_id, &file_id)?;
                let answer = self.client.post_xml("/fileinfo", &xml);
                match read(&answer) {
                    Reading::Ok(_) => {
                        progress.described.push(name.clone());
                        self.row.files = serde_json::to_string(&*progress).unwrap_or_default();
                        self.record(
                            "fileinfo",
                            Some(&answer),
                            &format!("{name} described"),
                            Some(0),
                        )?;
                    }
                    Reading::Passing(code, why) => {
                        return self.passing("fileinfo", &answer, code, why).map(Some)
                    }
                    Reading::Refused(code, why) => {
                        return self.fail("fileinfo", Some(&answer), Some(code), why).map(Some)
                    }
                }
            }
        }
        Ok(None)
    }

    fn finished(&mut self, report_id: i64, answer: &Answer, outcome: &str) -> Result<Outcome> {
        self.row.state = "finished".into();
        self.row.last_code = Some(0);
        self.row.last_error = None;
        self.row.finished_at = Some(self.now.unix_micros());
        self.row.receipt =
            answer.body.as_ref().ok().map(|b| String::from_utf8_lossy(b).into_owned());
        self.record("finish", Some(answer), outcome, Some(0))?;
        Ok(Outcome::Finished { report_id })
    }
}

/// Runs one case's submission as far as it goes now (nothing when it is not
/// due, finished or failed).
pub fn run(
    store: &mut dyn Store,
    config: &ReviewConfig,
    client: &Client,
    case: u64,
    actor: &str,
    now: Timestamp,
) -> Result<Outcome> {
    let row = store.cybertip_get(case)?.ok_or(EngineError::NoSuchCase { case })?;
    if row.environment != client.environment().as_str() {
        return Err(EngineError::Setting {
            field: "cybertip.environment",
            why: format!(
                "case {case} was queued for NCMEC's {} environment, and the configuration now says {}",
                row.environment,
                client.environment().as_str()
            ),
        });
    }
    if !matches!(row.state.as_str(), "pending" | "submitted") || row.next_at > now.unix_micros() {
        return Ok(Outcome::Idle);
    }
    Run { store, config, client, row, actor, now }.go()
}

/// Runs every due submission; returns each case's outcome.
pub fn run_due(
    store: &mut dyn Store,
    config: &ReviewConfig,
    client: &Client,
    actor: &str,
    now: Timestamp,
) -> Result<Vec<(u64, Outcome)>> {
    let due: Vec<u64> = store
        .cybertip_list()?
        .into_iter()
        .filter(|r| {
            matches!(r.state.as_str(), "pending" | "submitted") && r.next_at <= now.unix_micros()
        })
        .map(|r| r.case_id)
        .collect();
    let mut out = Vec::with_capacity(due.len());
    for case in due {
        out.push((case, run(store, config, client, case, actor, now)?));
    }
    Ok(out)
}

/// Sends a failed submission back to the queue after a person fixed the
/// cause (credentials, the reporter's details, a missing file): due now,
/// with its document built again from the case.
pub fn retry(
    store: &mut dyn Store,
    config: &ReviewConfig,
    case: u64,
    actor: &str,
    now: Timestamp,
) -> Result<CyberTipRow> {
    let mut row = store.cybertip_get(case)?.ok_or(EngineError::NoSuchCase { case })?;
    if row.state != "failed" {
        return Err(EngineError::NotReportable {
            case,
            why: format!("its submission is {}, not failed: nothing to retry", row.state),
        });
    }
    let progress = progress_of(&row)?;
    let mut report = review::cybertip_report(store, config, case)?;
    if progress.without_files {
        report.files.clear();
    }
    row.report_xml = report.to_xml(now)?;
    row.state = "pending".into();
    row.next_at = now.unix_micros();
    row.updated_at = now.unix_micros();
    row.created_at = now.unix_micros();
    row.environment = config.cybertip.environment.as_str().to_owned();
    let audit = review::draft(
        now,
        actor,
        "cybertip_retry",
        format!("case {case}"),
        format!("after: {}", row.last_error.clone().unwrap_or_default()),
    );
    store.cybertip_record(&row, None, &[audit], &review::seal_row)?;
    Ok(row)
}

/// Every submission (for `cybertip status` and the metrics): how many are
/// pending, finished, failed, and the oldest unfinished.
pub fn status(store: &mut dyn Store) -> Result<Vec<CyberTipRow>> {
    Ok(store.cybertip_list()?)
}

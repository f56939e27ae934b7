//! CyberTipline documents: the `<report>` a confirmed child-safety case
//! sends to NCMEC, the `<fileDetails>` of each file, and NCMEC's responses.
//!
//! Elements are written in the schema's order (NCMEC answers 4100 to any
//! other order). A report needs no file: enticement and trafficking reports
//! often have none. `fileViewedByEsp` is written from whether a person's
//! view of the file was recorded, never assumed (US v. Wilson, 9th Cir. 2021).
//! Responses are read from their XML body whatever the HTTP status, since
//! NCMEC answers some errors with HTTP 200.

use guardrail_core::Timestamp;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use crate::ReviewError;

/// NCMEC's base URL for test submissions (discarded by NCMEC): the default.
pub const TEST_BASE_URL: &str = "https://exttest.cybertip.org/ispws";
/// NCMEC's production base URL: used only when a deployment says so explicitly.
pub const PRODUCTION_BASE_URL: &str = "https://report.cybertip.org/ispws";

/// The incident types of the schema (`incidentType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IncidentType {
    /// Child Pornography (possession, manufacture, and distribution).
    ChildPornography,
    /// Child Sex Trafficking.
    ChildSexTrafficking,
    /// Child Sex Tourism.
    ChildSexTourism,
    /// Child Sexual Molestation.
    ChildSexualMolestation,
    /// Misleading Domain Name.
    MisleadingDomainName,
    /// Misleading Words or Digital Images on the Internet.
    MisleadingWordsOrImages,
    /// Online Enticement of Children for Sexual Acts.
    OnlineEnticement,
    /// Unsolicited Obscene Material Sent to a Child.
    UnsolicitedObsceneMaterial,
}

impl IncidentType {
    const ALL: [IncidentType; 8] = [
        IncidentType::ChildPornography,
        IncidentType::ChildSexTrafficking,
        IncidentType::ChildSexTourism,
        IncidentType::ChildSexualMolestation,
        IncidentType::MisleadingDomainName,
        IncidentType::MisleadingWordsOrImages,
        IncidentType::OnlineEnticement,
        IncidentType::UnsolicitedObsceneMaterial,
    ];

    /// The schema's value.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentType::ChildPornography => {
                "Child Pornography (possession, manufacture, and distribution)"
            }
            IncidentType::ChildSexTrafficking => "Child Sex Trafficking",
            IncidentType::ChildSexTourism => "Child Sex Tourism",
            IncidentType::ChildSexualMolestation => "Child Sexual Molestation",
            IncidentType::MisleadingDomainName => "Misleading Domain Name",
            IncidentType::MisleadingWordsOrImages => {
                "Misleading Words or Digital Images on the Internet"
            }
            IncidentType::OnlineEnticement => "Online Enticement of Children for Sexual Acts",
            IncidentType::UnsolicitedObsceneMaterial => {
                "Unsolicited Obscene Material Sent to a Child"
            }
        }
    }

    /// A short name for configuration and the command line.
    pub fn code(self) -> &'static str {
        match self {
            IncidentType::ChildPornography => "csam",
            IncidentType::ChildSexTrafficking => "trafficking",
            IncidentType::ChildSexTourism => "tourism",
            IncidentType::ChildSexualMolestation => "molestation",
            IncidentType::MisleadingDomainName => "misleading_domain",
            IncidentType::MisleadingWordsOrImages => "misleading_words",
            IncidentType::OnlineEnticement => "enticement",
            IncidentType::UnsolicitedObsceneMaterial => "unsolicited",
        }
    }

    /// The type of a short name ([`IncidentType::code`]) or a schema value.
    pub fn parse(s: &str) -> Option<IncidentType> {
        IncidentType::ALL.into_iter().find(|t| t.code() == s || t.as_str() == s)
    }

    /// Every short name, for messages.
    pub fn codes() -> Vec<&'static str> {
        IncidentType::ALL.iter().map(|t| t.code()).collect()
    }
}

/// Who reports: the provider's contact (`reporter/reportingPerson`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportingPerson {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email (required here: NCMEC needs to reach the reporter).
    pub email: String,
}

/// An account linked to the reported user (another account of the same person).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedAccount {
    /// The account id on the platform.
    pub esp_identifier: String,
    /// Its handle.
    pub screen_name: Option<String>,
}

/// The reported user (`personOrUserReported`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportedUser {
    /// The account id on the platform.
    pub esp_identifier: String,
    /// The platform's product name.
    pub esp_service: Option<String>,
    /// The handle.
    pub screen_name: Option<String>,
    /// Profile URLs.
    pub profile_urls: Vec<String>,
    /// When the platform disabled the account for good, if it did.
    pub permanently_disabled_at: Option<Timestamp>,
    /// The person's other accounts.
    pub linked: Vec<LinkedAccount>,
}

/// The `industryClassification` of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Classification {
    /// A1.
    A1,
    /// A2.
    A2,
    /// B1.
    B1,
    /// B2.
    B2,
}

impl Classification {
    /// The schema's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::A1 => "A1",
            Classification::A2 => "A2",
            Classification::B1 => "B1",
            Classification::B2 => "B2",
        }
    }

    /// Parses `A1`..`B2`.
    pub fn parse(s: &str) -> Option<Classification> {
        [Classification::A1, Classification::A2, Classification::B1, Classification::B2]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// One file of a report, as its `fileDetails` will describe it once NCMEC
/// has given it a file id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFile {
    /// The name the file is uploaded under.
    pub file_name: String,
    /// Where it was on the platform (a post URL).
    pub location: Option<String>,
    /// When it was uploaded to the platform.
    pub uploaded_at: Option<Timestamp>,
    /// Whether a person at the platform viewed the whole file (a recorded view).
    pub viewed_by_esp: bool,
    /// Whether it was publicly available.
    pub publicly_available: Option<bool>,
    /// The reviewer's industry classification, when given.
    pub classification: Option<Classification>,
    /// The original file's hashes: (`MD5`, `SHA256`, `PDQ`, ...; hex).
    pub original_hashes: Vec<(String, String)>,
}

/// A CyberTipline report: everything the `<report>` document says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CyberTipReport {
    /// The incident type.
    pub incident_type: IncidentType,
    /// The platform's application name.
    pub platform: Option<String>,
    /// Why the report is urgent, when it is.
    pub escalate_reason: Option<String>,
    /// When the incident happened (must be in the past).
    pub incident_at: Timestamp,
    /// URLs where the incident happened (profile, posts).
    pub urls: Vec<String>,
    /// The provider's contact.
    pub reporter: ReportingPerson,
    /// The reported user; `None` when no account is known.
    pub reported: Option<ReportedUser>,
    /// Free text for NCMEC.
    pub additional_info: Option<String>,
    /// The files; empty for a report without media.
    pub files: Vec<ReportFile>,
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), ReviewError> {
    if value.trim().is_empty() {
        return Err(ReviewError::field(field, "empty"));
    }
    if value.chars().count() > max {
        return Err(ReviewError::field(field, format!("longer than {max} characters")));
    }
    Ok(())
}

impl CyberTipReport {
    /// Checks what the schema and NCMEC's documentation require beyond the
    /// types: an incident time before `now`, a reporter email, the documented
    /// length limits, a name and hex hashes for every file.
    pub fn validate(&self, now: Timestamp) -> Result<(), ReviewError> {
        if self.incident_at >= now {
            return Err(ReviewError::field("cybertip.incident_at", "must be in the past"));
        }
        if let Some(p) = &self.platform {
            check_len("cybertip.platform", p, 256)?;
        }
        if let Some(r) = &self.escalate_reason {
            check_len("cybertip.escalate_reason", r, 3000)?;
        }
        let email = &self.reporter.email;
        check_len("cybertip.reporter.email", email, 255)?;
        if !email.contains('@') || email.chars().any(char::is_whitespace) {
            return Err(ReviewError::field("cybertip.reporter.email", "not an email address"));
        }
        if let Some(user) = &self.reported {
            check_len("cybertip.reported.esp_identifier", &user.esp_identifier, 255)?;
            if let Some(s) = &user.esp_service {
                check_len("cybertip.reported.esp_service", s, 100)?;
            }
            if let Some(s) = &user.screen_name {
                check_len("cybertip.reported.screen_name", s, 256)?;
            }
            for (i, linked) in user.linked.iter().enumerate() {
                check_len(
                    &format!("cybertip.reported.linked[{i}].esp_identifier"),
                    &linked.esp_identifier,
                    255,
                )?;
            }
        }
        for (i, url) in
            self.urls.iter().chain(self.reported.iter().flat_map(|u| &u.profile_urls)).enumerate()
        {
            check_len(&format!("cybertip.urls[{i}]"), url, 2083)?;
        }
        for (i, file) in self.files.iter().enumerate() {
            check_len(&format!("cybertip.files[{i}].file_name"), &file.file_name, 255)?;
            if let Some(l) = &file.location {
                check_len(&format!("cybertip.files[{i}].location"), l, 2083)?;
            }
            for (kind, hex) in &file.original_hashes {
                if kind.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) || hex.is_empty()
                {
                    return Err(ReviewError::field(
                        format!("cybertip.files[{i}].original_hashes"),
                        format!("{kind}:{hex} is not a hash type and hex digits"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The `<report>` document, after [`CyberTipReport::validate`].
    pub fn to_xml(&self, now: Timestamp) -> Result<String, ReviewError> {
        self.validate(now)?;
        let mut w = Xml::new();
        w.open_root("report");
        w.open("incidentSummary");
        w.leaf("incidentType", self.incident_type.as_str());
        w.opt("platform", self.platform.as_deref());
        w.opt("escalateToHighPriority", self.escalate_reason.as_deref());
        w.leaf("incidentDateTime", &self.incident_at.to_rfc3339());
        w.close("incidentSummary");
        if !self.urls.is_empty() {
            w.open("internetDetails");
            w.open("webPageIncident");
            for url in &self.urls {
                w.leaf("url", url);
            }
            w.close("webPageIncident");
            w.close("internetDetails");
        }
        w.open("reporter");
        w.open("reportingPerson");
        w.opt("firstName", self.reporter.first_name.as_deref());
        w.opt("lastName", self.reporter.last_name.as_deref());
        w.leaf("email", &self.reporter.email);
        w.close("reportingPerson");
        w.close("reporter");
        if let Some(user) = &self.reported {
            w.open("personOrUserReported");
            w.leaf("espIdentifier", &user.esp_identifier);
            w.opt("espService", user.esp_service.as_deref());
            w.opt("screenName", user.screen_name.as_deref());
            for url in &user.profile_urls {
                w.leaf("profileUrl", url);
            }
            if let Some(at) = user.permanently_disabled_at {
                w.leaf_attr(
                    "accountPermanentlyDisabled",
                    "true",
                    &[("disabledDate", &at.to_rfc3339())],
                );
            }
            for linked in &user.linked {
                w.open_attr("associatedAccount", &[("type", "Linked")]);
                w.opt("espService", user.esp_service.as_deref());
                w.leaf("espIdentifier", &linked.esp_identifier);
                w.opt("screenName", linked.screen_name.as_deref());
                w.close("associatedAccount");
            }
            w.close("personOrUserReported");
        }
        w.opt("additionalInfo", self.additional_info.as_deref());
        w.close("report");
        Ok(w.finish())
    }
}

impl ReportFile {
    /// The `<fileDetails>` document of this file, once NCMEC gave the report
    /// id and the file id (the upload's answer).
    pub fn to_xml(&self, report_id: i64, file_id: &str) -> Result<String, ReviewError> {
        check_len("cybertip.file_id", file_id, 255)?;
        let mut w = Xml::new();
        w.open_root("fileDetails");
        w.leaf("reportId", &report_id.to_string());
        w.leaf("fileId", file_id);
        w.leaf("originalFileName", &self.file_name);
        if let Some(at) = self.uploaded_at {
            w.leaf("uploadedToEspTimestamp", &at.to_rfc3339());
        }
        w.opt("locationOfFile", self.location.as_deref());
        w.leaf("fileViewedByEsp", if self.viewed_by_esp { "true" } else { "false" });
        if let Some(public) = self.publicly_available {
            w.leaf("publiclyAvailable", if public { "true" } else { "false" });
        }
        w.leaf("fileRelevance", "Reported");
        w.opt("industryClassification", self.classification.map(Classification::as_str));
        for (kind, hex) in &self.original_hashes {
            w.leaf_attr("originalFileHash", hex, &[("hashType", kind)]);
        }
        w.close("fileDetails");
        Ok(w.finish())
    }
}

/// A small writer over quick-xml that writes into memory. Writing into a
/// `Vec<u8>` cannot fail, so its results are discarded.
struct Xml {
    writer: Writer<Vec<u8>>,
}

impl Xml {
    fn new() -> Xml {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        Xml { writer }
    }

    fn open_root(&mut self, name: &str) {
        self.open_attr(name, &[("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")]);
    }

    fn open(&mut self, name: &str) {
        let _ = self.writer.write_event(Event::Start(BytesStart::new(name)));
    }

    fn open_attr(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let start = BytesStart::new(name).with_attributes(attrs.iter().copied());
        let _ = self.writer.write_event(Event::Start(start));
    }

    fn close(&mut self, name: &str) {
        let _ = self.writer.write_event(Event::End(BytesEnd::new(name)));
    }

    fn leaf(&mut self, name: &str, text: &str) {
        self.leaf_attr(name, text, &[]);
    }

    fn leaf_attr(&mut self, name: &str, text: &str, attrs: &[(&str, &str)]) {
        self.open_attr(name, attrs);
        let _ = self.writer.write_event(Event::Text(BytesText::new(text)));
        self.close(name);
    }

    fn opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.leaf(name, text);
        }
    }

    fn finish(self) -> String {
        let mut bytes = self.writer.into_inner();
        bytes.push(b'\n');
        // Only `&str`s went in, so the output is UTF-8.
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// One of NCMEC's answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// `<reportResponse>`: the answer to status, submit, upload, fileinfo and retract.
    Report {
        /// `responseCode` (0 is success).
        code: i64,
        /// `responseDescription`.
        description: String,
        /// `reportId`, when given.
        report_id: Option<i64>,
        /// `fileId`, after an upload.
        file_id: Option<String>,
        /// `hash` (MD5 of the uploaded file), after an upload.
        hash: Option<String>,
    },
    /// `<reportDoneResponse>`: the answer to finish (the receipt to keep).
    Done {
        /// `responseCode`.
        code: i64,
        /// `reportId`.
        report_id: i64,
        /// The file ids NCMEC holds for the report.
        file_ids: Vec<String>,
    },
}

impl Response {
    /// The response code.
    pub fn code(&self) -> i64 {
        match self {
            Response::Report { code, .. } | Response::Done { code, .. } => *code,
        }
    }

    /// Whether the code is 0.
    pub fn is_success(&self) -> bool {
        self.code() == 0
    }

    /// Reads a response body (UTF-8, or ISO-8859-1 as NCMEC sometimes declares).
    pub fn parse(body: &[u8]) -> Result<Response, ReviewError> {
        let text = match std::str::from_utf8(body) {
            Ok(text) => text.to_owned(),
            Err(_) => body.iter().map(|&b| char::from(b)).collect(),
        };
        let bad = |why: String| ReviewError::Response { why };
        let mut reader = Reader::from_str(&text);
        reader.config_mut().trim_text(true);
        let mut root: Option<String> = None;
        let mut path: Vec<String> = Vec::new();
        let mut fields: Vec<(String, String)> = Vec::new();
        loop {
            let position = reader.buffer_position();
            match reader.read_event() {
                Err(e) => return Err(bad(format!("not XML at byte {position}: {e}"))),
                Ok(Event::Eof) => break,
                Ok(Event::Start(e)) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    if root.is_none() {
                        root = Some(name.clone());
                    }
                    path.push(name);
                }
                Ok(Event::Empty(e)) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    if root.is_none() {
                        root = Some(name.clone());
                    }
                    fields.push((format!("{}/{name}", path.join("/")), String::new()));
                }
                Ok(Event::End(_)) => {
                    path.pop();
                }
                Ok(Event::Text(t)) => {
                    let value = t.unescape().map_err(|e| bad(format!("bad text: {e}")))?;
                    fields.push((path.join("/"), value.into_owned()));
                }
                Ok(_) => {}
            }
        }
        let get = |p: &str| fields.iter().find(|(k, _)| k == p).map(|(_, v)| v.clone());
        let number = |p: &str| -> Result<Option<i64>, ReviewError> {
            get(p)
                .map(|v| {
                    v.trim().parse::<i64>().map_err(|_| bad(format!("{p}: {v:?} is not a number")))
                })
                .transpose()
        };
        match root.as_deref() {
            Some("reportResponse") => Ok(Response::Report {
                code: number("reportResponse/responseCode")?
                    .ok_or_else(|| bad("reportResponse has no responseCode".into()))?,
                description: get("reportResponse/responseDescription").unwrap_or_default(),
                report_id: number("reportResponse/reportId")?,
                file_id: get("reportResponse/fileId"),
                hash: get("reportResponse/hash"),
            }),
            Some("reportDoneResponse") => Ok(Response::Done {
                code: number("reportDoneResponse/responseCode")?
                    .ok_or_else(|| bad("reportDoneResponse has no responseCode".into()))?,
                report_id: number("reportDoneResponse/reportId")?
                    .ok_or_else(|| bad("reportDoneResponse has no reportId".into()))?,
                file_ids: fields
                    .iter()
                    .filter(|(k, _)| k == "reportDoneResponse/files/fileId")
                    .map(|(_, v)| v.clone())
                    .collect(),
            }),
            Some(other) => Err(bad(format!("unexpected root element <{other}>"))),
            None => Err(bad("empty body".into())),
        }
    }
}

/// What a documented response code means (NCMEC's Appendix D; the list is
/// not exhaustive, so unknown codes are named as such).
pub fn describe_code(code: i64) -> &'static str {
    match code {
        0 => "success",
        1000 => "server error",
        1100 => "save failed",
        1110 => "upload failed",
        1111 => "file upload failed",
        1210 => "resource not found",
        1300 => "update failed",
        2000 => "authentication required",
        3000 => "not authorized to perform this action",
        3100 => "not authorized to make submissions",
        3300 => "not authorized to make updates",
        4000 => "invalid request",
        4100 => "validation failed",
        4110 => "malformed XML submittal",
        4200 => "malformed file submittal",
        5001 => "report does not exist",
        5002 => "file does not exist",
        5101 => "report already retracted",
        5102 => "report already finished",
        _ => "undocumented code",
    }
}

#[cfg(test)]
mod tests;

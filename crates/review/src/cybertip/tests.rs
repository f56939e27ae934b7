//! CyberTipline documents against NCMEC's schema (with xmllint) and responses
//! from NCMEC's documented examples.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// NCMEC's schema, kept outside the repository (its licence may not cover
/// copying it): `GUARDRAIL_NCMEC_XSD`, else `../shared/vectors/ncmec/` beside
/// the workspace.
fn schema() -> PathBuf {
    std::env::var_os("GUARDRAIL_NCMEC_XSD").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/ncmec/cybertipline.xsd")
    })
}

fn samples() -> PathBuf {
    schema().parent().map(|p| p.join("samples")).unwrap_or_default()
}

/// Whether xmllint must run (CI installs it and sets `GUARDRAIL_REQUIRE_XMLLINT=1`).
fn required() -> bool {
    std::env::var("GUARDRAIL_REQUIRE_XMLLINT").is_ok_and(|v| v == "1")
}

/// Whether NCMEC's schema and samples must be there (`cargo xtask ci` sets
/// `GUARDRAIL_REQUIRE_NCMEC_SCHEMA=1` when it finds them beside the
/// workspace; a checkout without them skips, as for the PDQ vectors).
fn schema_required() -> bool {
    std::env::var("GUARDRAIL_REQUIRE_NCMEC_SCHEMA").is_ok_and(|v| v == "1")
}

/// Validates `xml` against the schema: `Some(Ok)` valid, `Some(Err(why))`
/// invalid, `None` when xmllint or the schema is missing and not required
/// (with `GUARDRAIL_REQUIRE_XMLLINT=1` that is a failure).
fn xmllint(xml: &str) -> Option<Result<(), String>> {
    let schema = schema();
    if !schema.is_file() {
        assert!(
            !schema_required(),
            "GUARDRAIL_REQUIRE_NCMEC_SCHEMA=1 but no schema at {}",
            schema.display()
        );
        eprintln!("skipping schema validation: no schema at {}", schema.display());
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, xml).unwrap();
    let output = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            assert!(!required(), "GUARDRAIL_REQUIRE_XMLLINT=1 but xmllint cannot run: {e}");
            eprintln!(
                "skipping schema validation: xmllint cannot run ({e}); install libxml2-utils"
            );
            return None;
        }
    };
    if output.status.success() {
        Some(Ok(()))
    } else {
        Some(Err(String::from_utf8_lossy(&output.stderr).into_owned()))
    }
}

fn assert_valid(xml: &str) {
    if let Some(Err(why)) = xmllint(xml) {
        panic!("not valid against the CyberTipline schema:\n{why}\n{xml}");
    }
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn now() -> Timestamp {
    t("2026-03-02T00:00:00Z")
}

fn full_report() -> CyberTipReport {
    CyberTipReport {
        incident_type: IncidentType::ChildPornography,
        platform: Some("Example Social".into()),
        escalate_reason: Some("reviewer saw an immediate risk".into()),
        incident_at: t("2026-03-01T10:00:00Z"),
        urls: vec!["https://social.example/p/p1".into()],
        reporter: ReportingPerson {
            first_name: Some("Trust".into()),
            last_name: Some("Safety".into()),
            email: "safety@social.example".into(),
        },
        reported: Some(ReportedUser {
            esp_identifier: "u1".into(),
            esp_service: Some("Example Social".into()),
            screen_name: Some("seller_one".into()),
            profile_urls: vec!["https://social.example/u/u1".into()],
            permanently_disabled_at: Some(t("2026-03-01T12:00:00Z")),
            linked: vec![LinkedAccount {
                esp_identifier: "u2".into(),
                screen_name: Some("backup".into()),
            }],
        }),
        additional_info: Some("case 7: 3 reports <and> 1 hash match & a linked account".into()),
        files: vec![ReportFile {
            file_name: "p1-0.jpg".into(),
            location: Some("https://social.example/p/p1".into()),
            uploaded_at: Some(t("2026-03-01T09:59:00Z")),
            viewed_by_esp: true,
            publicly_available: Some(true),
            classification: Some(Classification::A1),
            original_hashes: vec![
                ("MD5".into(), "0123456789abcdef0123456789abcdef".into()),
                ("PDQ".into(), "f".repeat(64)),
            ],
        }],
    }
}

#[test]
fn a_full_report_and_its_file_details_validate_against_the_schema() {
    let report = full_report();
    let xml = report.to_xml(now()).unwrap();
    assert!(xml.contains("&lt;and&gt;"), "{xml}");
    assert_valid(&xml);
    let details = report.files[0].to_xml(4564654, "b0754af766b426f2928a02c651ed4b99").unwrap();
    assert!(details.contains("<fileViewedByEsp>true</fileViewedByEsp>"), "{details}");
    assert!(details.contains(r#"<originalFileHash hashType="MD5">0123456789abcdef0123456789abcdef</originalFileHash>"#), "{details}");
    assert_valid(&details);
}

#[test]
fn a_report_without_files_or_user_validates() {
    // See: #19 (enticement and trafficking reports often carry no media).
    let mut report = full_report();
    report.incident_type = IncidentType::OnlineEnticement;
    report.files.clear();
    report.urls.clear();
    report.reported = None;
    report.escalate_reason = None;
    report.platform = None;
    report.additional_info = None;
    let xml = report.to_xml(now()).unwrap();
    assert!(!xml.contains("internetDetails"));
    assert_valid(&xml);
}

#[test]
fn an_unviewed_file_says_so() {
    let mut file = full_report().files.remove(0);
    file.viewed_by_esp = false;
    file.classification = None;
    file.location = None;
    file.uploaded_at = None;
    file.publicly_available = None;
    let details = file.to_xml(1, "f1").unwrap();
    assert!(details.contains("<fileViewedByEsp>false</fileViewedByEsp>"), "{details}");
    assert_valid(&details);
}

#[test]
fn the_validator_rejects_what_ncmec_would() {
    // A report with its elements out of order: the check must be able to fail.
    let xml = full_report().to_xml(now()).unwrap();
    let start = xml.find("  <reporter>").unwrap();
    let end = xml.find("</reporter>\n").unwrap() + "</reporter>\n".len();
    let reporter = &xml[start..end];
    let swapped = xml.replacen(reporter, "", 1).replacen(
        "  <incidentSummary>",
        &format!("{reporter}  <incidentSummary>"),
        1,
    );
    if let Some(result) = xmllint(&swapped) {
        assert!(result.is_err(), "an out-of-order report validated:\n{swapped}");
    }
}

#[test]
fn reports_are_checked_before_they_are_written() {
    let mut report = full_report();
    report.incident_at = now();
    assert_eq!(
        report.to_xml(now()).unwrap_err().to_string(),
        "cybertip.incident_at: must be in the past"
    );
    let mut report = full_report();
    report.reporter.email = "nobody".into();
    assert_eq!(
        report.to_xml(now()).unwrap_err().to_string(),
        "cybertip.reporter.email: not an email address"
    );
    let mut report = full_report();
    report.files[0].original_hashes[0].1 = "xyz".into();
    assert!(report
        .to_xml(now())
        .unwrap_err()
        .to_string()
        .starts_with("cybertip.files[0].original_hashes:"));
    let mut report = full_report();
    if let Some(user) = &mut report.reported {
        user.esp_service = Some("s".repeat(101));
    }
    assert_eq!(
        report.to_xml(now()).unwrap_err().to_string(),
        "cybertip.reported.esp_service: longer than 100 characters"
    );
    assert_eq!(IncidentType::parse("enticement"), Some(IncidentType::OnlineEnticement));
    assert_eq!(
        IncidentType::parse("Child Sex Trafficking"),
        Some(IncidentType::ChildSexTrafficking)
    );
}

#[test]
fn ncmec_responses_are_read_whatever_they_say() {
    let read = |name: &str| -> Option<Response> {
        let path = samples().join(name);
        if !path.is_file() {
            assert!(!schema_required(), "no NCMEC sample at {}", path.display());
            return None;
        }
        Some(Response::parse(&std::fs::read(path).unwrap()).unwrap())
    };
    if let Some(upload) = read("upload-response.xml") {
        assert_eq!(
            upload,
            Response::Report {
                code: 0,
                description: "Success".into(),
                report_id: Some(4564654),
                file_id: Some("b0754af766b426f2928a02c651ed4b99".into()),
                hash: Some("fafa5efeaf3cbe3b23b2748d13e629a1".into()),
            }
        );
    }
    if let Some(done) = read("finish-response.xml") {
        assert_eq!(
            done,
            Response::Done {
                code: 0,
                report_id: 4564654,
                file_ids: vec!["b0754af766b426f2928a02c651ed4b99".into()]
            }
        );
    }
    if let Some(error) = read("error-malformed-xml-response.xml") {
        assert_eq!(error.code(), 1001);
        assert!(!error.is_success());
        assert_eq!(describe_code(1001), "undocumented code");
    }
    // NCMEC declares ISO-8859-1 at times: a Latin-1 byte is not UTF-8.
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><reportResponse><responseCode>4100</responseCode><responseDescription>Validation failed: caf\xe9</responseDescription></reportResponse>";
    let Response::Report { code, description, .. } = Response::parse(latin1).unwrap() else {
        panic!()
    };
    assert_eq!((code, description.as_str()), (4100, "Validation failed: caf\u{e9}"));
    let done_without_files = b"<reportDoneResponse><responseCode>0</responseCode><reportId>5</reportId><files/></reportDoneResponse>";
    assert_eq!(
        Response::parse(done_without_files).unwrap(),
        Response::Done { code: 0, report_id: 5, file_ids: vec![] }
    );
    let err = |body: &[u8]| Response::parse(body).unwrap_err().to_string();
    assert_eq!(
        err(b"<html>Authorization Required</html>"),
        "NCMEC response: unexpected root element <html>"
    );
    assert_eq!(
        err(b"<reportResponse><responseDescription>x</responseDescription></reportResponse>"),
        "NCMEC response: reportResponse has no responseCode"
    );
    assert_eq!(
        err(b"<reportResponse><responseCode>zero</responseCode></reportResponse>"),
        "NCMEC response: reportResponse/responseCode: \"zero\" is not a number"
    );
    assert_eq!(err(b""), "NCMEC response: empty body");
}

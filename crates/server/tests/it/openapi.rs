//! The OpenAPI document and the route table describe the same API: every
//! route is documented with its method, every documented operation is
//! routed, and the served document is the generated one.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use guardrail_server::routes::{table, Access};

use crate::Api;

fn documented() -> (serde_json::Value, BTreeSet<(String, String)>) {
    let doc = serde_json::to_value(guardrail_server::openapi::document()).unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    (doc, ops)
}

#[test]
fn every_route_is_documented_and_every_documented_path_is_routed() {
    let (doc, documented) = documented();
    let routed: BTreeSet<(String, String)> =
        table().iter().map(|r| (r.method.as_str().to_owned(), r.path.to_owned())).collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes missing from the document: {undocumented:?}");
    assert!(unrouted.is_empty(), "documented but not routed: {unrouted:?}");
    assert_eq!(doc["openapi"], "3.1.0");
    // Routes that need a token say so, public ones do not, and the scheme exists.
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for route in table() {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        let secured = op.get("security").is_some();
        assert_eq!(secured, route.access != Access::Public, "{} {}", route.method, route.path);
        if route.access != Access::Public {
            for status in ["401", "403"] {
                assert!(
                    op["responses"].get(status).is_some(),
                    "{} {} lacks {status}",
                    route.method,
                    route.path
                );
            }
        }
    }
}

#[tokio::test]
async fn the_served_document_is_the_generated_one() {
    let api = Api::new();
    let (status, served) = api.json("GET", "/v1/openapi.json", None, serde_json::json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, serde_json::to_value(guardrail_server::openapi::document()).unwrap());
}

/// utoipa keys schemas by their type's name and keeps the last one: two
/// response types of one name would silently describe one route with the
/// other's shape. Every schema type of the handlers has its own name.
#[test]
fn schema_names_are_unique() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut files = vec![dir.join("error.rs")];
    files.extend(std::fs::read_dir(dir.join("api")).unwrap().map(|e| e.unwrap().path()));
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut schema = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                schema = true;
            } else if schema && (line.contains("struct ") || line.contains("enum ")) {
                let name = line
                    .split_whitespace()
                    .skip_while(|w| *w != "struct" && *w != "enum")
                    .nth(1)
                    .unwrap()
                    .trim_end_matches(['{', ';', '(', '<'])
                    .to_owned();
                names.entry(name).or_default().push(file.display().to_string());
                schema = false;
            }
        }
    }
    assert!(names.len() > 30, "{names:?}");
    let twice: Vec<_> = names.iter().filter(|(_, f)| f.len() > 1).collect();
    assert!(twice.is_empty(), "schema names used twice: {twice:?}");
}

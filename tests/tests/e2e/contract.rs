//! The committed contract is the one the code generates and the one the server serves.

use mentorship_tests::contract::committed;
use mentorship_tests::{TestApp, on_both_databases};
use serde_json::Value;

#[test]
fn committed_contract_matches_the_code() {
    let generated: serde_json::Value =
        serde_json::from_str(&mentorship_api::app::openapi_json().expect("contract"))
            .expect("JSON");
    assert!(
        generated == committed(),
        "openapi/openapi.json is out of date: run `make openapi` and commit the result"
    );
}

#[test]
fn every_operation_documents_errors_and_request_schemas_refuse_unknown_fields() {
    let doc = committed();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success response"
            );
            let protected = op.get("security").is_some();
            if protected {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path}: protected but no 401"
                );
            }
            assert!(op["summary"].is_string(), "{method} {path}: no summary");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "CreateUser",
        "UpdateUser",
        "CreatePath",
        "UpdatePath",
        "CreateProject",
        "UpdateProject",
        "CreateApiKey",
        "LoginRequest",
        "RefreshRequest",
    ] {
        assert_eq!(
            schemas[name]["additionalProperties"],
            serde_json::json!(false),
            "{name} accepts unknown fields"
        );
    }
}

#[test]
fn both_migration_folders_hold_the_same_versions() {
    use mentorship_store::{Backend, migration_versions};
    let sqlite = migration_versions(Backend::Sqlite);
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_versions(Backend::Postgres));
}

async fn the_server_serves_the_committed_contract(app: TestApp) {
    let served = app.raw("GET", "/openapi.json", &[], vec![]).await;
    assert_eq!(served.status, 200);
    assert!(
        served.body == committed(),
        "the served contract differs from openapi/openapi.json"
    );
}

/// The JSON body example of an operation: its schema's own, by reference or in place.
fn request_example<'a>(doc: &'a Value, op: &'a Value) -> Option<&'a Value> {
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    schema.get("example")
}

/// A value for a path parameter: the first value of its enum, otherwise an id no object has.
fn path_value(doc: &Value, parameter: &Value) -> String {
    let schema = &parameter["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    match schema["enum"][0].as_str() {
        Some(value) => value.to_owned(),
        None => uuid::Uuid::now_v7().to_string(),
    }
}

/// Every request example of the contract, sent as the admin to a fresh server, is a body the
/// server reads: it may be refused for what it refers to (an id no object has, a rule of the
/// program), never for its shape (400, 415, or a 422 naming a field's type, length or format),
/// and the answer is one the operation documents.
async fn every_request_example_is_a_body_the_server_reads(app: TestApp) {
    let admin = app.admin().await;
    let auth = format!("Bearer {admin}");
    let doc = committed();
    let mut rules: Vec<&str> = mentorship_domain::refusal::all_codes();
    rules.extend(mentorship_api::error::API_CODES);
    let mut sent = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["requestBody"]["content"]
                .get("application/json")
                .is_none()
            {
                continue;
            }
            let example = request_example(&doc, op)
                .unwrap_or_else(|| panic!("{method} {path}: its body has no example"));
            let mut url = path.clone();
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" {
                    let name = parameter["name"].as_str().unwrap();
                    url = url.replace(&format!("{{{name}}}"), &path_value(&doc, parameter));
                }
            }
            let headers = [
                ("authorization", auth.as_str()),
                ("content-type", "application/json"),
                ("if-match", "\"1\""),
            ];
            let body = serde_json::to_vec(example).unwrap();
            let reply = app.raw(&method.to_uppercase(), &url, &headers, body).await;
            let status = reply.status.to_string();
            let what = format!("{method} {path} with its example: {status} {}", reply.body);
            assert!(
                op["responses"].get(&status).is_some(),
                "undocumented: {what}"
            );
            assert!(![400, 413, 415].contains(&reply.status), "{what}");
            if reply.status == 422 {
                for error in reply.body["errors"].as_array().unwrap() {
                    let code = error["code"].as_str().unwrap();
                    assert!(
                        rules.contains(&code),
                        "a field of the example is malformed: {what}"
                    );
                }
            }
            sent += 1;
        }
    }
    assert!(sent > 40, "only {sent} request examples");
}

on_both_databases!(
    the_server_serves_the_committed_contract,
    every_request_example_is_a_body_the_server_reads
);

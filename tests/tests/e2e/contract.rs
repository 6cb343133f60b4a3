//! The committed contract is the one the code generates and the one the server serves.

use mentorship_tests::contract::committed;
use mentorship_tests::{TestApp, on_both_databases};

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

on_both_databases!(the_server_serves_the_committed_contract);

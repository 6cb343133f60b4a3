//! The committed contract, as the tests hold the server to it: every problem a test receives
//! must carry a code its operation lists in `x-problem-codes`, so that what frontends read in
//! the contract is what the server answers.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

use crate::Reply;

/// One operation of the contract: its method, its path's segments, and its problem codes.
struct Operation {
    method: String,
    segments: Vec<String>,
    codes: BTreeSet<String>,
}

/// The committed contract, `openapi/openapi.json`.
pub fn committed() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let text =
        std::fs::read_to_string(path).expect("openapi/openapi.json exists (run `make openapi`)");
    serde_json::from_str(&text).expect("openapi/openapi.json is JSON")
}

/// Each operation of `doc` named as the matrix names it (`GET /v1/paths/{id}`), with itself.
pub fn named_operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut named = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                named.push((format!("{} {path}", method.to_uppercase()), op));
            }
        }
    }
    named
}

fn operations() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let doc = committed();
        let mut all = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let codes = op["x-problem-codes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect();
                all.push(Operation {
                    method: method.to_uppercase(),
                    segments: path.split('/').map(str::to_owned).collect(),
                    codes,
                });
            }
        }
        all
    })
}

/// The operation a request reaches: the template whose literal segments match most. A path the
/// contract names literally is reached by its own methods only (another method is a 405 of
/// that path, not a request to a template beside it).
fn operation_of(method: &str, path: &str) -> Option<&'static Operation> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let literal = |op: &&Operation| op.segments.iter().eq(segments.iter());
    if operations().iter().any(|op| literal(&op)) {
        return operations()
            .iter()
            .find(|op| op.method == method && literal(op));
    }
    operations()
        .iter()
        .filter(|op| op.method == method && op.segments.len() == segments.len())
        .filter(|op| {
            op.segments.iter().zip(&segments).all(|(template, given)| {
                template == given || (template.starts_with('{') && !given.is_empty())
            })
        })
        .max_by_key(|op| op.segments.iter().filter(|s| !s.starts_with('{')).count())
}

/// Panics when a problem answered by an operation of the contract carries a code that operation
/// does not list: its `code`, or a rule's code among its `errors`.
pub fn check_problem_codes(method: &str, path: &str, reply: &Reply) {
    let is_problem = reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/problem+json"));
    let Some(op) = operation_of(method, path).filter(|_| is_problem) else {
        return;
    };
    let code = reply.body["code"].as_str().unwrap_or_default();
    assert!(
        op.codes.contains(code),
        "{method} {path} answered {} with code `{code}`, which its operation does not list in \
         x-problem-codes {:?}",
        reply.status,
        op.codes
    );
    let rules = mentorship_domain::refusal::all_codes();
    for error in reply.body["errors"].as_array().into_iter().flatten() {
        let code = error["code"].as_str().unwrap_or_default();
        assert!(
            !rules.contains(&code) || op.codes.contains(code),
            "{method} {path} named the rule `{code}` in a 422, which its operation does not list"
        );
    }
}

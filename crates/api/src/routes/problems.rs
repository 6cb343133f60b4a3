//! The pages a problem's `type` URI points to: `GET /problems/{code}` explains one code, so that
//! the URI of every problem the API answers resolves.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{IntoParams, ToSchema};

use crate::error::{API_CODES, ApiError, GENERIC_PROBLEMS};
use crate::openapi::PROBLEM_CODES;

/// What a problem code means.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "code": "week_already_taken",
    "title": "Week already taken",
    "description": "A rule of the program that the request broke; the problem's `detail` says how this time.",
    "operations": ["POST /v1/sessions", "POST /v1/sessions/{id}/reschedule"]
}))]
pub struct ProblemPage {
    /// The code, as in a problem's `code`.
    #[schema(schema_with = crate::openapi::problem_code_reference)]
    pub code: String,
    /// A short name for people.
    pub title: String,
    /// What it means and what to do about it.
    pub description: String,
    /// The operations that can answer it, as `METHOD /path` of the contract.
    pub operations: Vec<String>,
}

/// The path of a problem page: `/problems/{code}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // Declares the parameter; the handler reads it as a `String`.
struct ProblemAddress {
    /// A problem's `code`; a code the API never gives answers 404.
    #[param(schema_with = crate::openapi::problem_code_reference)]
    code: String,
}

/// The pages of every code the contract lists, read once from the contract.
static PAGES: LazyLock<BTreeMap<String, ProblemPage>> =
    LazyLock::new(|| pages(&crate::app::openapi()));

/// Explains a problem code: what it means, and which operations can answer it. Anyone may read it.
#[utoipa::path(
    tag = "operations",
    params(ProblemAddress),
    responses(
        (status = 200, description = "What the code means", body = ProblemPage),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/problems/{code}")]
pub async fn problem_page(code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let page = PAGES
        .get(code.as_str())
        .ok_or(ApiError::NotFound("problem code"))?;
    Ok(HttpResponse::Ok().json(page))
}

/// A page per code of the contract's `ProblemCode`, with the operations listing it.
fn pages(doc: &OpenApiDoc) -> BTreeMap<String, ProblemPage> {
    let mut operations: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, method, operation) in crate::openapi::operations(doc) {
        let listed = operation
            .extensions
            .as_ref()
            .and_then(|e| e.get(PROBLEM_CODES)?.as_array().cloned());
        for code in listed
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
        {
            let entry = operations.entry(code).or_default();
            entry.push(format!("{method} {path}"));
        }
    }
    every_code(doc)
        .into_iter()
        .map(|code| {
            let page = ProblemPage {
                title: title_of(&code),
                description: description_of(&code),
                operations: operations.remove(&code).unwrap_or_default(),
                code: code.clone(),
            };
            (code, page)
        })
        .collect()
}

/// The values of the contract's `ProblemCode` enum.
fn every_code(doc: &OpenApiDoc) -> Vec<String> {
    let schema = doc
        .components
        .as_ref()
        .and_then(|c| c.schemas.get("ProblemCode"))
        .and_then(|s| serde_json::to_value(s).ok());
    let values = schema.and_then(|s| s["enum"].as_array().cloned());
    values
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn generic(code: &str) -> Option<(u16, &'static str)> {
    GENERIC_PROBLEMS
        .iter()
        .find(|(_, c, _)| *c == code)
        .map(|(status, _, title)| (*status, *title))
}

/// The status's own title for its code, otherwise the code in words.
fn title_of(code: &str) -> String {
    if let Some((_, title)) = generic(code) {
        return title.to_owned();
    }
    let words = code.replace('_', " ");
    let mut letters = words.chars();
    letters
        .next()
        .map(|first| first.to_uppercase().chain(letters).collect())
        .unwrap_or_default()
}

fn description_of(code: &str) -> String {
    if let Some((status, title)) = generic(code) {
        return format!(
            "The code of a {status} answer ({title}) that no more precise code explains; the \
             problem's `detail` says what was wrong with this request."
        );
    }
    if mentorship_domain::refusal::all_codes().contains(&code) {
        return "A rule of the program that the request broke; the problem's `detail` says how \
                this time. A 409 when the request conflicts with the object's state or a rule, \
                a 422 when a value sent is at fault (its `errors` then names the field)."
            .into();
    }
    if API_CODES.contains(&code) {
        return "A rule of the interface (credentials, scopes, references a body makes, \
                idempotency keys) that the request broke; the problem's `detail` says how."
            .into();
    }
    "An answer of the HTTP layer for a status no operation gives; the problem's `detail` says \
     more."
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_page_naming_where_it_comes_from() {
        let pages = pages(&crate::app::openapi());
        let week = &pages["week_already_taken"];
        assert_eq!(week.title, "Week already taken");
        assert!(week.operations.contains(&"POST /v1/sessions".to_owned()));
        assert_eq!(pages["not_found"].title, "Not found");
        assert!(
            pages["mentor_full"]
                .description
                .contains("rule of the program")
        );
        let reused = &pages["idempotency_key_reused"];
        assert!(
            reused.description.contains("rule of the interface"),
            "{reused:?}"
        );
        // Actix's own answers, which no operation lists, still have a page.
        let wrong_method = &pages["method_not_allowed"];
        assert!(wrong_method.description.contains("405"), "{wrong_method:?}");
    }
}

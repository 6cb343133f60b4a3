//! The contract: the OpenAPI document generated from the handlers, its shared responses and
//! the schemas of the domain's types.

use std::collections::BTreeSet;

use actix_web::http::Method;

use mentorship_domain::people::{Role, Scope};
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiDoc, Ref, RefOr, Schema};
use utoipa::{Modify, OpenApi, ToResponse};

use crate::error::{GENERIC_PROBLEMS, Problem};
use crate::idempotency::KeyProblem;
use crate::operations::{ACCESS_TOKEN, API_KEY};
use mentorship_domain::statements::{ItemKind, StatementStatus};

/// The document's fixed parts; the paths come from the handlers registered in `app::v1_routes`
/// and `app::ops_routes`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mentorship API",
        description = "Runs a mentoring program: mentors, students, weekly sessions and pay. \
                       Every error is an RFC 9457 problem (`application/problem+json`) with a \
                       stable `code` (the `ProblemCode` schema lists them all). Each operation \
                       lists the codes it can answer in its description and in its \
                       `x-problem-codes` extension: the `code` of its problems, and the codes of \
                       the rules that a 422's `errors` can name.",
        license(name = "MIT", identifier = "MIT")
    ),
    servers((
        url = "/",
        description = "The server that serves this document (`make run`: http://127.0.0.1:8080)"
    )),
    components(responses(
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PreconditionFailed,
        PreconditionRequired, PayloadTooLarge, UnsupportedMediaType, Unprocessable,
        TooManyRequests, Internal
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "auth", description = "Logging in, token refresh and logout"),
        (name = "users", description = "People's accounts"),
        (name = "api-keys", description = "Keys for scripts"),
        (name = "catalog", description = "Paths and their projects"),
        (name = "onboarding", description = "Applying to mentor and the review of applications"),
        (name = "documents", description = "The four onboarding documents of an accepted applicant"),
        (name = "mentors", description = "Mentor profiles, their status, and the contract"),
        (name = "notifications", description = "What the program told the caller; each is also sent by email"),
        (name = "students", description = "Students: enrollment, progress, and their assignment to mentors"),
        (name = "path-requests", description = "Mentors' requests to mentor another path"),
        (name = "sessions", description = "Weekly sessions: booking, moving, cancelling, outcome and notes"),
        (name = "absences", description = "Mentors' absences, declared in advance"),
        (name = "reports", description = "Mentors' reports of students in difficulty"),
        (name = "calendars", description = "Private calendar feeds of one's sessions (RFC 5545)"),
        (name = "pay", description = "Rate cards, referral bonuses and monthly statements"),
        (name = "policies", description = "The program's adjustable rules (RULES.md's *(policy)* values)"),
        (name = "audit", description = "The audit log of every change, for admins"),
        (name = "webhooks", description = "Events pushed to other systems, signed (Standard Webhooks), for admins"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut token = Http::new(HttpAuthScheme::Bearer);
        token.bearer_format = Some("JWT".into());
        token.description = Some(
            "A person's access token from `POST /v1/auth/login` (a JWT, valid 15 minutes; \
             renewed with `POST /v1/auth/refresh`)."
                .into(),
        );
        components.add_security_scheme(ACCESS_TOKEN, SecurityScheme::Http(token));
        let mut key = Http::new(HttpAuthScheme::Bearer);
        key.bearer_format = Some("mk_...".into());
        key.description = Some(
            "A script's API key (`mk_...`) from `POST /v1/api-keys`, sent as a bearer token. An \
             operation that accepts keys lists the scopes a key needs for it; a key without one \
             of them gets 403 `insufficient_scope`, and an operation that lists no `apiKey` \
             requirement answers keys 403 `api_key_not_accepted`."
                .into(),
        );
        components.add_security_scheme(API_KEY, SecurityScheme::Http(key));
    }
}

/// Every operation of the contract, with its path and method.
pub fn operations(doc: &OpenApiDoc) -> impl Iterator<Item = (&str, Method, &Operation)> {
    doc.paths.paths.iter().flat_map(|(path, item)| {
        [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ]
        .into_iter()
        .filter_map(move |(method, operation)| Some((path.as_str(), method, operation.as_ref()?)))
    })
}

/// Every operation of the contract, to complete.
fn operations_mut(
    paths: &mut utoipa::openapi::path::Paths,
) -> impl Iterator<Item = &mut Operation> {
    paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
    })
}

/// Adds what an operation answers because of its shape rather than its meaning, once here
/// rather than in every handler's annotation (handlers list their success and the answers only
/// they give: 403, 404, 409, 429, a login's 401):
/// - 500 to every operation (a database that stops answering fails any request);
/// - 401 to every operation that needs credentials;
/// - 400 to every operation with a path or query parameter or a body (a malformed one);
/// - 422 to every operation with a query (an out-of-range `limit`) or a body (invalid fields);
/// - 413 and 415 to every operation with a body;
/// - 412 and 428 to every operation that takes `If-Match`;
/// - the `Idempotency-Key` header, and its 409 and 422, to every operation that creates.
pub fn add_shared_responses(doc: &mut OpenApiDoc) {
    let mut every_code = BTreeSet::new();
    for item in doc.paths.paths.values_mut() {
        if let Some(operation) = &mut item.post {
            add_idempotency_key(operation);
        }
        if let Some(operation) = &mut item.patch {
            declare_merge_patch(operation);
        }
    }
    for operation in operations_mut(&mut doc.paths) {
        one_declaration_per_parameter(operation);
        for (status, name) in shared_responses(operation) {
            operation
                .responses
                .responses
                .entry(status.into())
                .or_insert_with(|| Ref::from_response_name(name).into());
        }
        every_code.extend(list_problem_codes(operation));
        list_notifications(operation);
    }
    add_problem_code_schema(doc, every_code);
    for operation in doc
        .paths
        .paths
        .values_mut()
        .filter_map(|item| item.get.as_mut())
    {
        add_conditional_read(operation);
    }
    add_response_headers(doc);
    mark_binary_answers(doc);
    shape_schemas(doc);
    add_answer_examples(doc);
    add_links(doc);
}

/// A whole example on every schema answers use that has none: built from its fields' own
/// examples, and for a field without one from its type, format or first allowed value, so an
/// integrator reads one complete answer, and a generated client's mock has one.
fn add_answer_examples(doc: &mut OpenApiDoc) {
    let (answered, _) = schemas_used(doc);
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let Ok(schemas) = serde_json::to_value(&components.schemas) else {
        return;
    };
    for (name, schema) in &mut components.schemas {
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        if answered.contains(name) && object.example.is_none() && object.examples.is_empty() {
            object.example = Some(example_of(&schemas[name.as_str()], &schemas, 0));
        }
    }
}

/// An example value of a schema (JSON), with `schemas` for references.
fn example_of(
    schema: &serde_json::Value,
    schemas: &serde_json::Value,
    depth: u8,
) -> serde_json::Value {
    use serde_json::{Value, json};
    if let Some(example) = schema
        .get("example")
        .or_else(|| schema.get("examples").and_then(|e| e.get(0)))
    {
        return example.clone();
    }
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return if depth < 6 {
            example_of(&schemas[name], schemas, depth + 1)
        } else {
            Value::Null
        };
    }
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(variants) = schema.get(key).and_then(Value::as_array) {
            let chosen = variants
                .iter()
                .find(|v| v.get("type") != Some(&json!("null")));
            return chosen.map_or(Value::Null, |v| example_of(v, schemas, depth));
        }
    }
    let kind = match schema.get("type") {
        Some(Value::Array(types)) => types.iter().find(|t| *t != "null").cloned(),
        other => other.cloned(),
    };
    match kind.as_ref().and_then(Value::as_str) {
        Some("object") => {
            let fields = schema.get("properties").and_then(Value::as_object);
            let example = fields
                .into_iter()
                .flatten()
                .map(|(field, property)| (field.clone(), example_of(property, schemas, depth)));
            Value::Object(example.collect())
        }
        Some("array") => match schema.get("items") {
            Some(items) => {
                let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(1);
                let item = example_of(items, schemas, depth);
                Value::Array(vec![item; usize::try_from(count.max(1)).unwrap_or(1)])
            }
            None => json!([]),
        },
        Some("string") => json!(match schema.get("format").and_then(Value::as_str) {
            Some("uuid") => "0190b2a4-7c3e-7d2a-9a55-3f1e2b4c5d6e",
            Some("date-time") => "2026-12-01T09:00:00Z",
            Some("date") => "2026-12-01",
            Some("email") => "ada@example.com",
            Some("uri") => "https://example.com/",
            _ => "text",
        }),
        Some("integer") => schema.get("minimum").cloned().unwrap_or(json!(1)),
        Some("number") => schema.get("minimum").cloned().unwrap_or(json!(1.5)),
        Some("boolean") => json!(false),
        _ => Value::Null,
    }
}

/// Where the objects a path lists or makes are also addressed, besides `{path}/{param}`: an
/// application's id is its mentor's; a project is made in its path and addressed on its own; a
/// person's own sessions and students, a mentor's path requests, a moved session, a mentor's
/// statement and an export are each addressed at their resource's own path.
const ALSO_ADDRESSED: &[(&str, &str)] = &[
    ("/v1/mentor-applications", "/v1/mentors/{id}"),
    ("/v1/paths/{id}/projects", "/v1/projects/{id}"),
    ("/v1/me/sessions", "/v1/sessions/{id}"),
    ("/v1/me/students", "/v1/students/{id}"),
    ("/v1/mentors/{id}/path-requests", "/v1/path-requests/{id}"),
    ("/v1/sessions/{id}/reschedule", "/v1/sessions/{id}"),
    ("/v1/mentors/{id}/statements", "/v1/statements/{id}"),
    ("/v1/me/exports", "/v1/exports/{id}"),
    ("/v1/users/{id}/exports", "/v1/exports/{id}"),
];

/// A body's fields and the runtime expressions that give them (or a JSON constant, such as
/// `true`, which is not an expression).
type BodyFields = &'static [(&'static str, &'static str)];

/// Where an answer gives what an operation's body names: the first listed object's fields (or
/// the request's own path parameter) in fields of the body, the rest of the body the client's;
/// the target's path parameters that the source's path has come from the request. Listing
/// paths leads to applying to one; a path's projects to enrolling a student on one; a mentor's
/// students to booking a session with one, or reporting one; reading one's contract to signing
/// it with the name it shows.
const BODY_LINKS: &[(&str, &str, BodyFields)] = &[
    (
        "/v1/mentors/{id}/contract",
        "sign_contract",
        &[
            ("full_name", "$response.body#/mentor_name"),
            ("accept_terms", "true"),
        ],
    ),
    (
        "/v1/paths",
        "apply",
        &[("path_id", "$response.body#/items/0/id")],
    ),
    (
        "/v1/paths/{id}/projects",
        "enroll",
        &[
            ("path_id", "$request.path.id"),
            ("project_id", "$response.body#/items/0/id"),
        ],
    ),
    (
        "/v1/me/students",
        "book",
        &[
            ("student_id", "$response.body#/items/0/id"),
            ("project_id", "$response.body#/items/0/project_id"),
        ],
    ),
    (
        "/v1/me/students",
        "file",
        &[("student_id", "$response.body#/items/0/id")],
    ),
];

/// The operations a person calls on their own record, which `GET /v1/me` links to with its
/// `id` (a mentor's and a student's record share their account's id): any person's account; a
/// mentor's application, profile, documents, contract, path requests, absences, referrals and
/// draft statement; a student's record, progress and assignments. Each has a row of the
/// authorization matrix (`tests/tests/e2e/matrix.rs`) on the caller's own object, which a test
/// checks.
pub const OWN_OPERATIONS: &[&str] = &[
    "get_user",
    "update_user",
    "get_application",
    "get_mentor",
    "update_mentor",
    "list_documents",
    "upload_document",
    "get_contract",
    "sign_contract",
    "list_mentor_path_requests",
    "ask_for_path",
    "list_mentor_absences",
    "declare",
    "list_referrals",
    "statement_draft",
    "get_student",
    "get_progress",
    "list_assignments",
];

/// Declares OpenAPI `links` from each operation that makes an object (a `POST` answering 201,
/// or 202 for what is prepared later, with the object's `id`) or lists objects (a paged `GET`:
/// the first item's `id`) to every operation on such an object, and the caller's account to
/// the operations on their own record (`OWN_OPERATIONS`), so Swagger UI shows what comes
/// next and stateful fuzzing reaches the operations addressed by id with ids that exist.
fn add_links(doc: &mut OpenApiDoc) {
    let operations: Vec<(String, String)> = operations(doc)
        .filter_map(|(path, _, o)| Some((path.to_owned(), o.operation_id.clone()?)))
        .collect();
    for (path, item) in &mut doc.paths.paths {
        let made = item.post.as_mut().and_then(|o| {
            let responses = &mut o.responses.responses;
            let status = ["201", "202"]
                .into_iter()
                .find(|s| responses.contains_key(*s))?;
            responses.get_mut(status)
        });
        if let Some(RefOr::T(made)) = made {
            link_objects(made, path, &operations, "$response.body#/id", "made");
        }
        let own = (path == "/v1/me")
            .then(|| item.get.as_mut()?.responses.responses.get_mut("200"))
            .flatten();
        if let Some(RefOr::T(own)) = own {
            link_own(own, &operations);
        }
        let read = item
            .get
            .as_mut()
            .and_then(|o| o.responses.responses.get_mut("200"));
        if let Some(RefOr::T(read)) = read {
            link_bodies(read, path, &operations);
        }
        let listed = item
            .get
            .as_mut()
            .filter(|o| is_paged(o))
            .and_then(|o| o.responses.responses.get_mut("200"));
        if let Some(RefOr::T(listed)) = listed {
            link_objects(
                listed,
                path,
                &operations,
                "$response.body#/items/0/id",
                "listed first",
            );
        }
    }
}

/// Links the caller's account (`GET /v1/me`) to the operations on their own record.
fn link_own(answer: &mut Response, operations: &[(String, String)]) {
    use utoipa::openapi::link::LinkBuilder;
    for (target, operation_id) in operations {
        if !OWN_OPERATIONS.contains(&operation_id.as_str()) {
            continue;
        }
        let Some(param) = placeholders(target).next() else {
            continue;
        };
        let link = LinkBuilder::new()
            .operation_id(operation_id)
            .parameter(param, "$response.body#/id")
            .description(format!(
                "`{operation_id}` on the caller's own record (a mentor's and a student's is \
                 their account's id)"
            ))
            .build();
        answer.links.insert(operation_id.clone(), RefOr::T(link));
    }
}

/// The `BODY_LINKS` of the `GET` on `path`, on its answer.
fn link_bodies(answer: &mut Response, path: &str, operations: &[(String, String)]) {
    use utoipa::openapi::link::LinkBuilder;
    for (_, operation_id, fields) in BODY_LINKS.iter().filter(|(from, _, _)| *from == path) {
        let body: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(field, value)| {
                let constant = (!value.starts_with('$'))
                    .then(|| serde_json::from_str(value).ok())
                    .flatten();
                ((*field).to_owned(), constant.unwrap_or((*value).into()))
            })
            .collect();
        let mut link = LinkBuilder::new()
            .operation_id(*operation_id)
            .request_body(Some(serde_json::Value::Object(body)))
            .description(format!("`{operation_id}` with what this answer shows"));
        let target = operations.iter().find(|(_, o)| o == operation_id);
        for param in target.into_iter().flat_map(|(t, _)| placeholders(t)) {
            if placeholders(path).any(|p| p == param) {
                link = link.parameter(param, format!("$request.path.{param}"));
            }
        }
        let link = link.build();
        answer
            .links
            .insert((*operation_id).to_owned(), RefOr::T(link));
    }
}

/// Whether an operation answers pages (it takes a `cursor`).
fn is_paged(operation: &Operation) -> bool {
    operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.name == "cursor",
        RefOr::Ref(r) => r.ref_location.ends_with("/cursor"),
    })
}

/// Links `answer` of the operation on `path` to each operation on an object it names: the
/// object's parameter from `object` (a runtime expression), the others `path` has from the
/// request's own path.
fn link_objects(
    answer: &mut utoipa::openapi::Response,
    path: &str,
    operations: &[(String, String)],
    object: &str,
    which: &str,
) {
    use utoipa::openapi::link::LinkBuilder;
    for (target, operation_id) in operations {
        let Some(param) = object_param(path, target) else {
            continue;
        };
        let mut link = LinkBuilder::new()
            .operation_id(operation_id)
            .parameter(param, object)
            .description(format!("`{operation_id}` on the object {which}"));
        for other in placeholders(target).filter(|p| *p != param) {
            if placeholders(path).any(|p| p == other) {
                link = link.parameter(other, format!("$request.path.{other}"));
            }
        }
        answer
            .links
            .insert(operation_id.clone(), RefOr::T(link.build()));
    }
}

/// The parameter of `target` that names an object listed or made at `path`, if `target` is an
/// operation on such an object: `{path}/{param}...`, or a path in `ALSO_ADDRESSED`.
fn object_param<'t>(path: &str, target: &'t str) -> Option<&'t str> {
    let under = |template: &str| {
        target
            .strip_prefix(template)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if let Some(rest) = target.strip_prefix(path).and_then(|r| r.strip_prefix("/{")) {
        return rest.split_once('}').map(|(param, _)| param);
    }
    ALSO_ADDRESSED
        .iter()
        .filter(|(from, to)| *from == path && under(to))
        .find_map(|(_, to)| placeholders(to).last())
        .and_then(|param| placeholders(target).find(|p| *p == param))
}

/// The names of a path template's parameters, in order.
fn placeholders(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

/// One type per thing, and required meaning present, for the clients generated from the
/// contract: the named enums become components, a list's items refer to the item's schema
/// (utoipa inlines a generic's argument), and every field of a schema that only answers carry
/// is required, since the server always sends it (`null` where the schema allows it).
fn shape_schemas(doc: &mut OpenApiDoc) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in named_schemas() {
        components.schemas.insert(name.into(), schema);
    }
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for (name, schema) in &mut components.schemas {
        let item = name
            .strip_prefix("List_")
            .filter(|item| names.iter().any(|n| n == item));
        if let (Some(item), RefOr::T(Schema::Object(list))) = (item, schema)
            && let Some(RefOr::T(Schema::Array(items))) = list.properties.get_mut("items")
        {
            items.items = utoipa::openapi::schema::ArrayItems::RefOrSchema(Box::new(named(item)));
        }
    }
    let (answered, asked) = schemas_used(doc);
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in &mut components.schemas {
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        if answered.contains(name) && !asked.contains(name) {
            object.required = object.properties.keys().cloned().collect();
        }
        if asked.contains(name) {
            object.properties.values_mut().for_each(refuse_nul);
        }
    }
    for operation in operations_mut(&mut doc.paths) {
        for parameter in operation.parameters.iter_mut().flatten() {
            if let RefOr::T(parameter) = parameter
                && parameter.parameter_in != ParameterIn::Header
                && let Some(schema) = &mut parameter.schema
            {
                refuse_nul(schema);
            }
        }
    }
}

/// The server refuses a NUL character in any string it is sent (422 naming the field: the
/// databases cannot store it): a free-text string the client sends says so with a pattern.
fn refuse_nul(schema: &mut RefOr<Schema>) {
    let RefOr::T(Schema::Object(object)) = schema else {
        return;
    };
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    let text = match &object.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    // A format other than a password's (an email, a date, a UUID) already leaves NUL out.
    let free = matches!(
        object.format,
        None | Some(SchemaFormat::KnownFormat(KnownFormat::Password))
    );
    if text && free && object.enum_values.is_none() && object.pattern.is_none() {
        object.pattern = Some(NO_NUL.to_owned());
    }
}

/// The pattern of a string without a NUL character (U+0000).
const NO_NUL: &str = r"^[^\u0000]*$";

/// The component schemas that answers use, and those request bodies and parameters use,
/// directly or through other components.
fn schemas_used(doc: &OpenApiDoc) -> (BTreeSet<String>, BTreeSet<String>) {
    let Ok(value) = serde_json::to_value(doc) else {
        return Default::default();
    };
    let schemas = &value["components"]["schemas"];
    let mut answered = BTreeSet::new();
    let mut asked = BTreeSet::new();
    let responses = value["components"]["responses"]
        .as_object()
        .into_iter()
        .flatten();
    for (_, response) in responses {
        reach(response, schemas, &mut answered);
    }
    for item in value["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, item)| item)
    {
        for (_, operation) in item.as_object().into_iter().flatten() {
            reach(&operation["responses"], schemas, &mut answered);
            reach(&operation["requestBody"], schemas, &mut asked);
            reach(&operation["parameters"], schemas, &mut asked);
        }
    }
    (answered, asked)
}

/// Adds to `seen` every component schema `value` refers to, and those they refer to.
fn reach(value: &serde_json::Value, schemas: &serde_json::Value, seen: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            let target = map.get("$ref").and_then(|r| r.as_str());
            if let Some(name) = target.and_then(|r| r.strip_prefix("#/components/schemas/"))
                && seen.insert(name.to_owned())
            {
                reach(&schemas[name], schemas, seen);
            }
            map.values().for_each(|v| reach(v, schemas, seen));
        }
        serde_json::Value::Array(values) => values.iter().for_each(|v| reach(v, schemas, seen)),
        _ => {}
    }
}

/// Keeps the first declaration of each parameter: a handler's own (`params(...)`, with its
/// schema and description) comes before the one utoipa-actix-web infers from the extractor.
/// A path parameter is always required.
fn one_declaration_per_parameter(operation: &mut Operation) {
    let Some(parameters) = &mut operation.parameters else {
        return;
    };
    let mut seen: Vec<(String, ParameterIn)> = Vec::new();
    parameters.retain(|p| match p {
        RefOr::T(p) => {
            let key = (p.name.clone(), p.parameter_in.clone());
            let first = !seen.contains(&key);
            seen.push(key);
            first
        }
        RefOr::Ref(_) => true,
    });
    for parameter in parameters.iter_mut() {
        if let RefOr::T(p) = parameter
            && p.parameter_in == ParameterIn::Path
        {
            p.required = utoipa::openapi::Required::True;
        }
    }
}

/// An update is a JSON Merge Patch (RFC 7396), sent as `application/merge-patch+json` or as
/// `application/json`.
fn declare_merge_patch(operation: &mut Operation) {
    if let Some(RefOr::T(body)) = &mut operation.request_body
        && let Some(json) = body.content.get("application/json").cloned()
    {
        body.content
            .insert("application/merge-patch+json".into(), json);
    }
    let description = operation.description.get_or_insert_with(String::new);
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(
        "The body is a JSON Merge Patch (RFC 7396): an absent field stays as it is, `null` \
         empties a text that may be empty (and is refused elsewhere), and a patch that changes \
         nothing answers the object with its version and `ETag` unchanged.",
    );
}

/// A read whose 200 carries an `ETag` takes `If-None-Match` and may answer 304 (the envelope
/// middleware does it for every such read).
fn add_conditional_read(operation: &mut Operation) {
    let tagged = operation.responses.responses.get("200").is_some_and(
        |ok| matches!(ok, RefOr::T(response) if response.headers.contains_key("ETag")),
    );
    if !tagged {
        return;
    }
    let parameter = utoipa::openapi::path::ParameterBuilder::new()
        .name("If-None-Match")
        .parameter_in(ParameterIn::Header)
        .required(utoipa::openapi::Required::False)
        .description(Some(
            "The `ETag` of the copy the client holds: if the object still has it, the answer \
             is 304 with no body.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(parameter));
    let mut unchanged = Response::new(
        "Not modified: the object still has the `ETag` sent in \
                                       `If-None-Match`; no body.",
    );
    unchanged.headers.insert(
        "ETag".into(),
        RefOr::T(Header::new(ObjectBuilder::new().schema_type(Type::String))),
    );
    operation
        .responses
        .responses
        .insert("304".into(), RefOr::T(unchanged));
}

/// Declares the answers that are files (documents: PDF, PNG, JPEG) as binary strings, so that
/// generated clients hand over the bytes instead of dropping or decoding them as text. JSON,
/// problems and CSV stay text.
fn mark_binary_answers(doc: &mut OpenApiDoc) {
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    let is_text = |media: &str| media.contains("json") || media.starts_with("text/");
    for item in doc.paths.paths.values_mut() {
        let Some(operation) = &mut item.get else {
            continue;
        };
        for response in operation.responses.responses.values_mut() {
            let RefOr::T(response) = response else {
                continue;
            };
            for (media, content) in &mut response.content {
                if let (false, RefOr::T(content)) = (is_text(media), content) {
                    content.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                            .into(),
                    );
                }
            }
        }
    }
}

/// The headers every answer carries (`x-request-id`), and those of 401 (`WWW-Authenticate`) and
/// 429 (`Retry-After`), declared on every response of the contract.
fn add_response_headers(doc: &mut OpenApiDoc) {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let header = |description: &str, schema: ObjectBuilder| {
        let mut header = Header::new(schema);
        header.description = Some(description.to_owned());
        RefOr::T(header)
    };
    let request_id = header(
        "The request's id: the client's own `x-request-id` if it sent a sane one, otherwise a new \
         UUIDv7. It is on every log line of the request; quote it when reporting a problem.",
        text().max_length(Some(128)),
    );
    // (name or status, response, whether its operation is throttled)
    let mut responses: Vec<(&str, &mut Response, bool)> = Vec::new();
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, response) in &mut components.responses {
        if let RefOr::T(response) = response {
            let throttled = name == "TooManyRequests";
            responses.push((name.as_str(), response, throttled));
        }
    }
    for operation in operations_mut(&mut doc.paths) {
        let throttled = operation.responses.responses.contains_key("429");
        for (status, response) in &mut operation.responses.responses {
            if let RefOr::T(response) = response {
                responses.push((status.as_str(), response, throttled));
            }
        }
    }
    let rate_limit = header(
        "The throttle's state (IETF draft `RateLimit` header): the policy closest to its limit, \
         the attempts it still allows (`r`) and the seconds until its window ends (`t`), e.g. \
         `\"account\";r=3;t=120`.",
        text(),
    );
    let rate_limit_policy = header(
        "The throttle's policies (IETF draft `RateLimit-Policy` header): `client` (per client \
         address) and, where the operation names an account, `account`, each with its quota \
         (`q`) and window in seconds (`w`), e.g. `\"client\";q=50;w=900, \"account\";q=10;w=900`.",
        text(),
    );
    for (name, response, throttled) in responses {
        let headers = &mut response.headers;
        headers.insert("x-request-id".into(), request_id.clone());
        if throttled {
            headers.insert("RateLimit".into(), rate_limit.clone());
            headers.insert("RateLimit-Policy".into(), rate_limit_policy.clone());
        }
        if name == "TooManyRequests" || name == "429" {
            headers.insert(
                "Retry-After".into(),
                header(
                    "Seconds to wait before trying again.",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                ),
            );
        }
        if name == "Unauthorized" || name == "401" {
            headers.insert(
                "WWW-Authenticate".into(),
                header(
                    "`Bearer` (RFC 6750), with `error=\"invalid_token\"` when a token was sent.",
                    text(),
                ),
            );
        }
    }
}

/// The extension in which an operation lists its problem codes. A handler declares there the
/// codes of the rules it can break; the codes its statuses give are added here.
pub const PROBLEM_CODES: &str = "x-problem-codes";

/// Completes an operation's problem codes (the rules' codes its handler declared, and the
/// code of each status it answers) in its extension and its description; returns them.
fn list_problem_codes(operation: &mut Operation) -> BTreeSet<String> {
    let key_code = operation.security.as_ref().and_then(|_| {
        match crate::operations::facts(operation).key_scopes {
            Some(scopes) if scopes.is_empty() => None,
            Some(_) => Some("insufficient_scope"),
            None => Some("api_key_not_accepted"),
        }
    });
    let extensions = operation.extensions.get_or_insert_with(Default::default);
    let mut codes: BTreeSet<String> = extensions
        .get(PROBLEM_CODES)
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    for status in operation.responses.responses.keys() {
        let generic = GENERIC_PROBLEMS
            .iter()
            .find(|(s, _, _)| s.to_string() == *status);
        codes.extend(generic.map(|(_, code, _)| (*code).to_owned()));
    }
    codes.extend(key_code.map(str::to_owned));
    extensions.insert(PROBLEM_CODES.into(), serde_json::json!(codes));
    let listed: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
    let description = operation.description.get_or_insert_with(String::new);
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&format!("Problem codes: {}.", listed.join(", ")));
    codes
}

/// The extension in which an operation lists the notifications its change sends.
pub const NOTIFICATIONS: &str = "x-notifications";

/// The notifications (`NotificationView.kind`, each with its email) each operation's change can
/// send, to the people the domain's `Event::told` names; an operation not listed sends none.
/// Background steps send the others: `session_reminder` a day before a session,
/// `data_export_ready` when an export is prepared, `webhook_disabled` after a day of failed
/// deliveries.
pub const NOTIFIES: &[(&str, &[&str])] = &[
    ("apply", &["application_received"]),
    ("accept", &["application_accepted"]),
    ("reject", &["application_rejected"]),
    ("reject_document", &["document_rejected"]),
    ("verify_document", &["contract_ready"]),
    ("sign_contract", &["mentor_activated"]),
    ("suspend", &["mentor_suspended"]),
    ("reinstate", &["mentor_reinstated"]),
    ("offboard", &["mentor_offboarded"]),
    ("assign_student", &["student_assigned"]),
    ("assign_automatically", &["student_assigned"]),
    ("ask_for_path", &["path_requested"]),
    ("approve", &["path_request_approved"]),
    ("decline", &["path_request_declined"]),
    ("book", &["session_booked"]),
    ("reschedule", &["session_rescheduled"]),
    ("cancel", &["session_cancelled"]),
    ("write_notes", &["notes_late"]),
    ("declare", &["absence_declared"]),
    ("file", &["report_filed"]),
    ("acknowledge", &["report_moved"]),
    ("resolve", &["report_moved"]),
    ("issue_statement", &["statement_issued"]),
    ("issue_month", &["statement_issued"]),
    ("pay_statement", &["statement_paid"]),
    ("request_mine", &["data_export_ready"]),
    ("request_for_person", &["data_export_ready"]),
];

/// Says in an operation's extension and description which notifications its change sends.
fn list_notifications(operation: &mut Operation) {
    let id = operation.operation_id.as_deref().unwrap_or_default();
    let kinds = NOTIFIES
        .iter()
        .find(|(op, _)| *op == id)
        .map_or(&[][..], |(_, kinds)| *kinds);
    let extensions = operation.extensions.get_or_insert_with(Default::default);
    extensions.insert(NOTIFICATIONS.into(), serde_json::json!(kinds));
    let sentence = if kinds.is_empty() {
        "Notifications: none.".to_owned()
    } else {
        let listed: Vec<String> = kinds.iter().map(|k| format!("`{k}`")).collect();
        format!(
            "Notifications (each with its email, to the people the event concerns): {}.",
            listed.join(", ")
        )
    };
    let description = operation.description.get_or_insert_with(String::new);
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&sentence);
}

/// Every problem code the API answers, as the `ProblemCode` enum the problems' `code` refers to.
fn add_problem_code_schema(doc: &mut OpenApiDoc, mut codes: BTreeSet<String>) {
    // Answers no operation lists: actix's own for a route or method that does not exist, and
    // for a status none of the API's answers use.
    codes.extend(["method_not_allowed", "not_found", "http_error"].map(str::to_owned));
    let components = doc.components.get_or_insert_with(Default::default);
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes))
        .description(Some(
            "A stable, machine-readable code for the kind of problem: the rule broken (409, \
             415, and in a 422's `errors`), or the status's own code.",
        ));
    components
        .schemas
        .insert("ProblemCode".into(), schema.into());
}

/// The shared responses an operation's shape calls for, as (status, response name).
fn shared_responses(operation: &Operation) -> Vec<(&'static str, &'static str)> {
    let takes = |place: ParameterIn, name: Option<&str>| {
        operation.parameters.iter().flatten().any(|p| match p {
            RefOr::T(p) => {
                p.parameter_in == place && name.is_none_or(|n| p.name.eq_ignore_ascii_case(n))
            }
            RefOr::Ref(_) => false,
        })
    };
    let query = takes(ParameterIn::Query, None);
    let path = takes(ParameterIn::Path, None);
    let body = operation.request_body.is_some();
    let mut shared = vec![("500", "Internal")];
    if operation.security.is_some() {
        // 403: an API key without the scope, or on an operation keys may not call.
        shared.extend([("401", "Unauthorized"), ("403", "Forbidden")]);
    }
    // Any request may carry a query parameter its operation does not take.
    shared.push(("400", "BadRequest"));
    if query || path || body {
        // An invalid field, a query parameter out of range, a NUL character anywhere.
        shared.push(("422", "Unprocessable"));
    }
    if body {
        shared.extend([("413", "PayloadTooLarge"), ("415", "UnsupportedMediaType")]);
    }
    if takes(ParameterIn::Header, Some("If-Match")) {
        shared.extend([
            ("412", "PreconditionFailed"),
            ("428", "PreconditionRequired"),
        ]);
    }
    if takes(ParameterIn::Header, Some(IDEMPOTENCY_KEY)) {
        shared.push(("409", "Conflict"));
    }
    shared
}

/// The header of a safe retry, as the contract names it.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The extension by which a `POST` says whether it honours `Idempotency-Key` when its answers
/// alone would say otherwise: `true` for one that creates without a 201 (a cohort), `false`
/// for one whose answer must not be kept (an API key's secret).
pub const IDEMPOTENT: &str = "x-idempotent";

/// Gives a creating `POST` (one answering 201, unless it says otherwise in `x-idempotent`) the
/// `Idempotency-Key` header, its problem codes, and the `Idempotent-Replayed` header on its
/// successes. The middleware (`idempotency.rs`) honours the header where the contract has it.
fn add_idempotency_key(operation: &mut Operation) {
    let declared = operation
        .extensions
        .as_mut()
        .and_then(|e| e.remove(IDEMPOTENT))
        .and_then(|v| v.as_bool());
    let creates = operation.responses.responses.contains_key("201");
    if !declared.unwrap_or(creates) {
        return;
    }
    let key = utoipa::openapi::path::ParameterBuilder::new()
        .name(IDEMPOTENCY_KEY)
        .parameter_in(ParameterIn::Header)
        .required(utoipa::openapi::Required::False)
        .description(Some(
            "Makes a retry safe: any unique string of 1 to 255 visible ASCII characters (a UUID). \
             The first request with a key runs and its answer is kept for 24 hours, for the \
             caller; a repeat of the same request with the key gets that answer again (with \
             `Idempotent-Replayed: true`) and runs nothing. The key with another request is 422 \
             `idempotency_key_reused`; a repeat while the first still runs is 409 \
             `idempotency_key_in_use` (retry after `Retry-After`). Answers of 401, 403, 404, \
             429 and 5xx are not kept: a retry runs again.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[\\x21-\\x7E]+$")),
        ))
        .example(Some(serde_json::json!(
            "0b4c1a52-7f3e-4d7a-9a55-3c2f4e1d8b90"
        )))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(key));
    let extensions = operation.extensions.get_or_insert_with(Default::default);
    let mut codes: Vec<serde_json::Value> = extensions
        .get(PROBLEM_CODES)
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    codes.extend(KeyProblem::ALL.map(|p| serde_json::Value::from(p.code())));
    extensions.insert(PROBLEM_CODES.into(), serde_json::Value::Array(codes));
    for (status, response) in &mut operation.responses.responses {
        if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
            let mut replayed = Header::new(ObjectBuilder::new().schema_type(Type::Boolean));
            replayed.description =
                Some("`true` when this is the kept answer of an earlier request with the same `Idempotency-Key`.".into());
            response
                .headers
                .insert("Idempotent-Replayed".into(), RefOr::T(replayed));
        }
    }
}

/// A reference to the `ProblemCode` enum, which the contract builds from every operation's codes.
pub fn problem_code_reference() -> RefOr<Schema> {
    named("ProblemCode")
}

/// A reference to the named schema `name` of [`named_schemas`].
fn named(name: &str) -> RefOr<Schema> {
    Ref::from_schema_name(name).into()
}

/// The contract's enums, each one component that every field and parameter of its kind refers
/// to, so that a generated client has one type per enum.
pub fn named_schemas() -> Vec<(&'static str, RefOr<Schema>)> {
    vec![
        ("DocumentKind", document_kind_definition()),
        ("DocumentStatus", document_status_definition()),
        ("ExportStatus", export_status_definition()),
        ("WebhookEventType", webhook_event_definition()),
        ("ItemKind", item_kind_definition()),
        ("KeptRecord", kept_record_definition()),
        ("LegalStatus", legal_status_definition()),
        ("MentorStatus", mentor_status_definition()),
        ("MonthIssueOutcome", month_issue_outcome_definition()),
        ("Outcome", outcome_definition()),
        ("PathRequestStatus", path_request_status_definition()),
        ("ProjectProgress", progress_definition()),
        ("ReportCategory", report_category_definition()),
        ("ReportStatus", report_status_definition()),
        ("Role", role_definition()),
        ("Scope", scope_definition()),
        ("SessionStatus", session_status_definition()),
        ("Severity", severity_definition()),
        ("StatementStatus", statement_status_definition()),
        ("Weekday", weekday_definition()),
    ]
}

/// A schema of strings limited to `values`.
fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            values.into_iter().map(str::to_owned).collect::<Vec<_>>(),
        ))
        .description(Some(description))
        .into()
}

/// A person's role.
pub fn role_schema() -> RefOr<Schema> {
    named("Role")
}

fn role_definition() -> RefOr<Schema> {
    string_enum(
        Role::ALL.map(Role::as_str),
        "What the person is in the program.",
    )
}

/// The scopes of API keys.
pub fn scope_schema() -> RefOr<Schema> {
    named("Scope")
}

fn scope_definition() -> RefOr<Schema> {
    string_enum(
        Scope::ALL.map(Scope::as_str),
        "What an API key may do, within what its owner may.",
    )
}

/// The strings a domain enum serializes to, in declaration order.
fn names_of<T: serde::Serialize>(values: &[T]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| match serde_json::to_value(v) {
            Ok(serde_json::Value::String(s)) => Some(s),
            _ => None,
        })
        .collect()
}

fn domain_enum<T: serde::Serialize>(values: &[T], description: &str) -> RefOr<Schema> {
    let names = names_of(values);
    string_enum(names.iter().map(String::as_str), description)
}

/// A mentor's status, from application to offboarding.
pub fn mentor_status_schema() -> RefOr<Schema> {
    named("MentorStatus")
}

fn mentor_status_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::mentors::MentorStatus::ALL,
        "Where the mentor stands: applied -> accepted | rejected; accepted -> contract_ready -> active; \
         active <-> suspended; active | suspended -> offboarded.",
    )
}

/// An event a webhook subscribes to.
pub fn webhook_event_schema() -> RefOr<Schema> {
    named("WebhookEventType")
}

/// A list of webhook events; an event named twice counts once.
pub fn webhook_events_schema() -> RefOr<Schema> {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(webhook_event_schema())
        .min_items(Some(1))
        // Twice every event: the bound `routes::webhooks` validates.
        .max_items(Some(
            2 * mentorship_domain::webhooks::WebhookEvent::ALL.len(),
        ))
        .description(Some(
            "The events subscribed to; one named twice counts once.",
        ))
        .into()
}

fn webhook_event_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::webhooks::WebhookEvent::ALL,
        "An event of the program a webhook can subscribe to; a delivery's `type`.",
    )
}

/// Where a background export stands.
pub fn export_status_schema() -> RefOr<Schema> {
    named("ExportStatus")
}

fn export_status_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::exports::ExportStatus::ALL,
        "preparing -> ready (for a week) -> expired; failed when it could not be prepared.",
    )
}

/// What an erasure keeps of a person's records.
pub fn kept_record_schema() -> RefOr<Schema> {
    named("KeptRecord")
}

fn kept_record_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::erasure::Kept::ALL,
        "A kind of record an erasure keeps, by id and without the person's identity.",
    )
}

/// A mentor's legal status.
pub fn legal_status_schema() -> RefOr<Schema> {
    named("LegalStatus")
}

fn legal_status_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::mentors::LegalStatus::ALL,
        "How the mentor invoices.",
    )
}

/// The four onboarding documents.
pub fn document_kind_schema() -> RefOr<Schema> {
    named("DocumentKind")
}

fn document_kind_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::mentors::DocumentKind::ALL,
        "Which onboarding document.",
    )
}

/// A document's review state; `missing` when never sent.
pub fn document_status_schema() -> RefOr<Schema> {
    named("DocumentStatus")
}

fn document_status_definition() -> RefOr<Schema> {
    string_enum(
        ["missing", "submitted", "verified", "rejected"],
        "Where the document stands.",
    )
}

/// The weekdays, by name.
fn weekday_names() -> RefOr<Schema> {
    named("Weekday")
}

fn weekday_definition() -> RefOr<Schema> {
    string_enum(
        [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ],
        "A day of the week.",
    )
}

/// A list of weekdays (at least one), in week order when the server sends it.
pub fn weekdays_schema() -> RefOr<Schema> {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(weekday_names())
        .min_items(Some(1))
        .max_items(Some(7))
        .description(Some("Weekdays by name, in week order."))
        .into()
}

/// The weekdays a request may give; absent, all seven.
pub fn weekday_list_schema() -> RefOr<Schema> {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(weekday_names())
        .min_items(Some(1))
        .max_items(Some(7))
        .description(Some("The weekdays allowed; absent, all seven."))
        .into()
}

/// Where a session stands.
pub fn session_status_schema() -> RefOr<Schema> {
    named("SessionStatus")
}

fn session_status_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::sessions::SessionStatus::ALL,
        "scheduled -> completed | student_no_show (the outcome) | cancelled | \
         late_cancelled_by_student | late_cancelled_by_mentor | rescheduled (replaced by another \
         session). A week is taken by scheduled, completed, student_no_show and \
         late_cancelled_by_student.",
    )
}

/// A session's outcome.
pub fn outcome_schema() -> RefOr<Schema> {
    named("Outcome")
}

fn outcome_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::sessions::Outcome::ALL,
        "What happened: the session took place, or the student did not come within its first third.",
    )
}

/// A report's category.
pub fn report_category_schema() -> RefOr<Schema> {
    named("ReportCategory")
}

fn report_category_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::reports::ReportCategory::ALL,
        "What the difficulty is about.",
    )
}

/// A report's severity.
pub fn severity_schema() -> RefOr<Schema> {
    named("Severity")
}

fn severity_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::reports::Severity::ALL,
        "How serious the difficulty is.",
    )
}

/// Where a report stands.
pub fn report_status_schema() -> RefOr<Schema> {
    named("ReportStatus")
}

fn report_status_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::reports::ReportStatus::ALL,
        "open -> acknowledged -> resolved; managers move it.",
    )
}

/// Where a mentor's request for another path stands.
pub fn path_request_status_schema() -> RefOr<Schema> {
    named("PathRequestStatus")
}

fn path_request_status_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::mentors::PathRequestStatus::ALL,
        "pending -> approved | declined; a manager decides.",
    )
}

/// The state of a project of a student's path.
pub fn progress_schema() -> RefOr<Schema> {
    named("ProjectProgress")
}

fn progress_definition() -> RefOr<Schema> {
    domain_enum(
        &mentorship_domain::students::ProjectProgress::ALL,
        "not_started -> in_progress -> submitted -> validated; the mentor and staff set it.",
    )
}

/// An amount of euros: a decimal string with two decimals, never a number.
fn money(types: impl Into<SchemaType>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(types)
        .pattern(Some(r"^\d+\.\d{2}$"))
        .description(Some(
            "Euros, exact: a decimal string with a dot and two decimals.",
        ))
        .examples([serde_json::json!("37.50")])
}

/// An amount of euros.
pub fn money_schema() -> RefOr<Schema> {
    money(Type::String).into()
}

/// An amount of euros, or `null`.
pub fn optional_money_schema() -> RefOr<Schema> {
    money(SchemaType::from_iter([Type::String, Type::Null])).into()
}

/// A rate card's nine hourly rates: rows by path complexity 1..3, columns by difficulty 1..3.
pub fn rate_cells_schema() -> RefOr<Schema> {
    let row = utoipa::openapi::schema::ArrayBuilder::new()
        .items(money(Type::String))
        .min_items(Some(3))
        .max_items(Some(3));
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(row)
        .min_items(Some(3))
        .max_items(Some(3))
        .description(Some(
            "Hourly rates in euros, each 25.00 to 40.00: `cells[c-1][d-1]` for path complexity c \
             and project difficulty d.",
        ))
        .into()
}

/// Where a statement stands.
pub fn statement_status_schema() -> RefOr<Schema> {
    named("StatementStatus")
}

fn statement_status_definition() -> RefOr<Schema> {
    domain_enum(
        &StatementStatus::ALL,
        "draft (computed live) -> issued (frozen, numbered) -> approved | disputed (by the mentor) \
         -> paid (by staff).",
    )
}

/// What a statement line pays for.
pub fn item_kind_schema() -> RefOr<Schema> {
    named("ItemKind")
}

fn item_kind_definition() -> RefOr<Schema> {
    domain_enum(&ItemKind::ALL, "A session, or a referral bonus.")
}

/// What issuing a month did for one mentor.
pub fn month_issue_outcome_schema() -> RefOr<Schema> {
    named("MonthIssueOutcome")
}

fn month_issue_outcome_definition() -> RefOr<Schema> {
    string_enum(
        ["issued", "already_issued", "refused"],
        "issued by this call, issued by an earlier one, or refused (see `problem`).",
    )
}

/// A complexity or difficulty level.
pub fn level_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(3))
        .description(Some("1 (easiest) to 3; indexes the rate card."))
        .into()
}

macro_rules! problem_responses {
    ($($name:ident => $description:literal),* $(,)?) => {$(
        #[derive(ToResponse)]
        #[response(description = $description, content_type = "application/problem+json")]
        #[allow(dead_code)]
        pub struct $name(Problem);
    )*};
}

problem_responses! {
    BadRequest => "The request is malformed: unparsable JSON, a bad path or query parameter.",
    Unauthorized => "Missing, invalid or expired credentials.",
    Forbidden => "The caller is known but may not do this (role or API key scope).",
    NotFound => "No such object, or not one the caller may see.",
    Conflict => "The request breaks a rule or conflicts with the object's state; `code` names the rule.",
    PreconditionFailed => "`If-Match` does not match the object's current ETag: fetch it again.",
    PreconditionRequired => "This update needs an `If-Match` header with the object's ETag.",
    PayloadTooLarge => "The body is larger than the limit (64 KiB for JSON).",
    UnsupportedMediaType => "The body is not `application/json`.",
    Unprocessable => "Some fields are invalid; `errors` lists each one.",
    TooManyRequests => "Too many attempts; retry after the `Retry-After` header's seconds.",
    Internal => "Something went wrong on the server; quote the `x-request-id` header when reporting it.",
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_answer_has_a_whole_example() {
        let doc = crate::app::openapi();
        let (answered, _) = schemas_used(&doc);
        let schemas = &doc.components.as_ref().unwrap().schemas;
        for name in &answered {
            if let Some(RefOr::T(Schema::Object(object))) = schemas.get(name) {
                assert!(
                    object.example.is_some() || !object.examples.is_empty(),
                    "{name} has no example"
                );
            }
        }
        let Some(RefOr::T(Schema::Object(list))) = schemas.get("List_PathView") else {
            panic!("no List_PathView");
        };
        let example = list.example.as_ref().unwrap();
        assert_eq!(
            example["items"][0]["title"], "Web Developer",
            "built from the fields' examples"
        );
    }

    #[test]
    fn every_listed_notification_is_an_operation_and_a_kind() {
        let doc = crate::app::openapi();
        let ids: Vec<&str> = operations(&doc)
            .filter_map(|(_, _, op)| op.operation_id.as_deref())
            .collect();
        for (op, kinds) in NOTIFIES {
            assert!(ids.contains(op), "no operation {op}");
            for kind in *kinds {
                assert!(
                    mentorship_domain::events::Event::KINDS.contains(kind),
                    "{op}: {kind} is no kind of event"
                );
            }
        }
        let book = operations(&doc)
            .find(|(_, _, op)| op.operation_id.as_deref() == Some("book"))
            .unwrap()
            .2;
        assert!(
            book.description
                .as_deref()
                .unwrap()
                .contains("`session_booked`")
        );
    }

    use super::*;
    use utoipa::openapi::path::{OperationBuilder, ParameterBuilder};
    use utoipa::openapi::request_body::RequestBody;
    use utoipa::openapi::security::SecurityRequirement;

    fn statuses(operation: &Operation) -> Vec<&'static str> {
        let mut all: Vec<_> = shared_responses(operation)
            .into_iter()
            .map(|r| r.0)
            .collect();
        all.sort_unstable();
        all
    }

    fn parameter(place: ParameterIn, name: &str) -> utoipa::openapi::path::Parameter {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(place)
            .build()
    }

    #[test]
    fn every_listed_problem_code_is_a_code_the_api_can_give() {
        // Codes the API itself makes, beside the statuses' own and the domain's rules.
        let api_codes = crate::error::API_CODES;
        let rules = mentorship_domain::refusal::all_codes();
        let doc = crate::app::openapi();
        let mut listed = 0;
        for (path, _, operation) in operations(&doc) {
            let codes = &operation.extensions.as_ref().unwrap()[PROBLEM_CODES];
            for code in codes.as_array().unwrap() {
                let code = code.as_str().unwrap();
                let known = GENERIC_PROBLEMS.iter().any(|(_, c, _)| *c == code)
                    || rules.contains(&code)
                    || api_codes.contains(&code);
                assert!(known, "{path} lists `{code}`, which nothing gives");
                listed += 1;
            }
        }
        assert!(listed > 100, "only {listed} codes listed");
    }

    #[test]
    fn files_are_binary_and_tagged_reads_answer_304() {
        let doc = crate::app::openapi();
        let download = &doc.paths.paths["/v1/mentors/{id}/documents/{kind}/file"];
        let ok = &download.get.as_ref().unwrap().responses.responses["200"];
        let json = serde_json::to_value(ok).unwrap();
        for media in ["application/pdf", "image/png", "image/jpeg"] {
            assert_eq!(
                json["content"][media]["schema"]["format"], "binary",
                "{media}"
            );
        }
        let path = doc.paths.paths["/v1/paths/{id}"].get.as_ref().unwrap();
        assert!(path.responses.responses.contains_key("304"));
        let list = doc.paths.paths["/v1/paths"].get.as_ref().unwrap();
        assert!(!list.responses.responses.contains_key("304"));
    }

    /// Every `enum` of `value` that is not a component's own definition, by its place.
    fn inline_enums(value: &serde_json::Value, place: String, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                let definition =
                    place.matches('/').count() == 3 && place.starts_with("/components/schemas/");
                if map.contains_key("enum") && !definition {
                    found.push(place.clone());
                }
                for (key, v) in map {
                    inline_enums(v, format!("{place}/{key}"), found);
                }
            }
            serde_json::Value::Array(values) => {
                for (i, v) in values.iter().enumerate() {
                    inline_enums(v, format!("{place}/{i}"), found);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn one_type_per_thing_and_references_resolve() {
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        let mut found = Vec::new();
        inline_enums(&doc, String::new(), &mut found);
        assert!(found.is_empty(), "enums defined in place: {found:?}");
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for name in text.split("\"#/components/schemas/").skip(1) {
            let name = &name[..name.find('"').unwrap()];
            assert!(schemas.contains_key(name), "dangling reference to {name}");
        }
        let list = &schemas["List_PathView"]["properties"]["items"]["items"];
        assert_eq!(list["$ref"], "#/components/schemas/PathView");
        let kind = &doc["paths"]["/v1/mentors/{id}/documents/{kind}/file"]["get"]["parameters"];
        assert!(
            kind.to_string()
                .contains("#/components/schemas/DocumentKind")
        );
    }

    #[test]
    fn every_field_an_answer_carries_is_required() {
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for name in [
            "MentorView",
            "SessionView",
            "StatementView",
            "List_SessionView",
            "Problem",
        ] {
            let schema = &schemas[name];
            let required = schema["required"].as_array().unwrap();
            for field in schema["properties"].as_object().unwrap().keys() {
                assert!(required.contains(&field.as_str().into()), "{name}.{field}");
            }
        }
        // A request's optional fields stay optional.
        let update = &schemas["UpdateMentor"];
        assert!(!update["required"].to_string().contains("bio"));
        // A string a client sends says it cannot hold NUL; a UUID's format says enough.
        assert_eq!(update["properties"]["bio"]["pattern"], NO_NUL);
        assert_eq!(
            schemas["LoginRequest"]["properties"]["password"]["pattern"],
            NO_NUL
        );
        assert!(update["properties"]["manager_id"].get("pattern").is_none());
        assert!(
            schemas["MentorView"]["properties"]["bio"]
                .get("pattern")
                .is_none()
        );
    }

    #[test]
    fn creations_link_to_what_follows() {
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        let links = &doc["paths"]["/v1/mentor-applications"]["post"]["responses"]["201"]["links"];
        for next in [
            "accept",
            "get_application",
            "upload_document",
            "sign_contract",
        ] {
            assert_eq!(links[next]["operationId"], next, "{links}");
            assert_eq!(links[next]["parameters"]["id"], "$response.body#/id");
        }
        let student = &doc["paths"]["/v1/students"]["post"]["responses"]["201"]["links"];
        assert!(student["assign_student"].is_object(), "{student}");
    }

    #[test]
    fn lists_link_their_first_item_to_the_operations_on_it() {
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        let sessions = &doc["paths"]["/v1/sessions"]["get"]["responses"]["200"]["links"];
        for next in ["get_session", "cancel", "write_notes", "record_outcome"] {
            assert_eq!(
                sessions[next]["parameters"]["id"],
                "$response.body#/items/0/id"
            );
        }
        assert!(
            sessions.get("needing_new_date").is_none(),
            "a literal path is no item"
        );
        // Addressed elsewhere: a person's own sessions are sessions.
        let mine = &doc["paths"]["/v1/me/sessions"]["get"]["responses"]["200"]["links"];
        assert_eq!(
            mine["get_session"]["parameters"]["id"],
            "$response.body#/items/0/id"
        );
        // An item under its owner: the owner's id comes from the request that listed it.
        let deliveries =
            &doc["paths"]["/v1/webhooks/{id}/deliveries"]["get"]["responses"]["200"]["links"];
        let replay = &deliveries["replay_delivery"]["parameters"];
        assert_eq!(replay["delivery_id"], "$response.body#/items/0/id");
        assert_eq!(replay["id"], "$request.path.id");
        // A body field from the list: apply to the first path listed.
        let paths = &doc["paths"]["/v1/paths"]["get"]["responses"]["200"]["links"];
        assert_eq!(
            paths["apply"]["requestBody"],
            serde_json::json!({"path_id": "$response.body#/items/0/id"})
        );
        // What is prepared later (202) links too.
        let export = &doc["paths"]["/v1/me/exports"]["post"]["responses"]["202"]["links"];
        assert_eq!(
            export["get_export"]["parameters"]["id"],
            "$response.body#/id"
        );
    }

    #[test]
    fn the_callers_account_links_to_their_own_record_and_a_contract_to_its_signature() {
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        let me = &doc["paths"]["/v1/me"]["get"]["responses"]["200"]["links"];
        for next in [
            "get_mentor",
            "sign_contract",
            "declare",
            "get_student",
            "get_user",
        ] {
            assert_eq!(me[next]["parameters"]["id"], "$response.body#/id", "{me}");
        }
        assert_eq!(me.as_object().unwrap().len(), OWN_OPERATIONS.len());
        assert!(
            me.get("suspend").is_none(),
            "staff's operations are not one's own"
        );
        // A body from what the answer shows, a constant beside it, the id from the request.
        let contract =
            &doc["paths"]["/v1/mentors/{id}/contract"]["get"]["responses"]["200"]["links"];
        let sign = &contract["sign_contract"];
        assert_eq!(
            sign["requestBody"],
            serde_json::json!({"full_name": "$response.body#/mentor_name", "accept_terms": true})
        );
        assert_eq!(sign["parameters"]["id"], "$request.path.id");
    }

    #[test]
    fn body_links_name_fields_their_operations_take() {
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        for (from, operation_id, fields) in BODY_LINKS {
            let target = doc["paths"]
                .as_object()
                .unwrap()
                .values()
                .flat_map(|item| item.as_object().unwrap().values())
                .find(|o| o["operationId"] == *operation_id)
                .unwrap_or_else(|| panic!("{operation_id} is no operation"));
            let schema = &target["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            let name = schema
                .as_str()
                .unwrap()
                .trim_start_matches("#/components/schemas/");
            let properties = &doc["components"]["schemas"][name]["properties"];
            for (field, _) in *fields {
                assert!(
                    properties.get(field).is_some(),
                    "{operation_id} takes no {field}"
                );
            }
            assert!(
                doc["paths"][from]["get"].is_object(),
                "{from} reads nothing"
            );
        }
    }

    #[test]
    fn every_operation_id_is_unique() {
        // Generated clients name a method after it: two alike make one of them unreachable.
        let doc = crate::app::openapi();
        let mut seen = std::collections::BTreeMap::new();
        for (path, _, operation) in operations(&doc) {
            let id = operation.operation_id.clone().unwrap();
            if let Some(other) = seen.insert(id.clone(), path.to_owned()) {
                panic!("`{id}` names an operation of {other} and of {path}");
            }
        }
    }

    #[test]
    fn shared_responses_follow_the_operations_shape() {
        let probe = OperationBuilder::new().build();
        assert_eq!(statuses(&probe), ["400", "500"]);
        let list = OperationBuilder::new()
            .parameter(parameter(ParameterIn::Query, "limit"))
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .build();
        assert_eq!(statuses(&list), ["400", "401", "403", "422", "500"]);
        let update = OperationBuilder::new()
            .parameter(parameter(ParameterIn::Path, "id"))
            .parameter(parameter(ParameterIn::Header, "if-match"))
            .request_body(Some(RequestBody::new()))
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .build();
        assert_eq!(
            statuses(&update),
            [
                "400", "401", "403", "412", "413", "415", "422", "428", "500"
            ]
        );
        let login = OperationBuilder::new()
            .request_body(Some(RequestBody::new()))
            .build();
        assert_eq!(statuses(&login), ["400", "413", "415", "422", "500"]);
    }
}

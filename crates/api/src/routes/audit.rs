//! The audit log, read by admins: who changed what, when, from which request, and each field's
//! value before and after (RULES.md, "Notifications and audit"). The log is append-only in the
//! database itself (migration 0009).

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use mentorship_store::audit::{self, AuditFilter, AuditRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::ValidQuery;
use crate::paging::{List, PageQuery};
use crate::state::AppState;

/// Which rows of the log to read; every filter is optional and they combine.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only changes made by this person (an account id).
    pub actor_id: Option<Uuid>,
    /// Only changes of this object (a mentor, a session, a statement, ...).
    pub subject_id: Option<Uuid>,
    /// Only this action (`session.booked`, `document.downloaded`, `statement.issued`, ...).
    #[param(max_length = 100, example = "session.booked")]
    #[validate(length(min = 1, max = 100))]
    pub action: Option<String>,
    /// Only changes made at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only changes made before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// One field a change set, with its value before (`null`: the object did not exist, or the
/// field was empty) and after.
#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct FieldChange {
    #[schema(example = "status")]
    pub field: String,
    /// Any JSON value, as the object held it.
    #[schema(value_type = Option<Value>, example = json!("scheduled"))]
    pub before: Value,
    /// Any JSON value, as the object holds it after the change.
    #[schema(value_type = Option<Value>, example = json!("completed"))]
    pub after: Value,
}

/// One audited change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: Uuid,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// Who made it; `null` for the program itself (a background step, a first start).
    pub actor_id: Option<Uuid>,
    #[schema(example = "session.outcome_recorded")]
    pub action: String,
    /// The kind of object changed.
    #[schema(example = "session")]
    pub subject_type: String,
    pub subject_id: Uuid,
    /// The `x-request-id` of the request that made it; `null` for background steps.
    pub request_id: Option<String>,
    /// The fields whose value differs between before and after, by name; a creation lists
    /// every field, an access (a download) none.
    pub changes: Vec<FieldChange>,
    /// The change was about a person since erased: its personal fields (names, emails, texts
    /// written by or about them) can no longer be read and are left out of `changes`; ids,
    /// statuses, amounts and dates are still there.
    #[schema(example = false)]
    pub personal_data_erased: bool,
}

impl From<AuditRecord> for AuditView {
    fn from(r: AuditRecord) -> Self {
        AuditView {
            changes: changes(r.before, r.after),
            personal_data_erased: r.personal_data_erased,
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            action: r.action,
            subject_type: r.object_type,
            subject_id: r.object_id,
            request_id: r.request_id,
        }
    }
}

/// The fields that differ between two stored states (JSON objects), in name order.
fn changes(before: Option<Value>, after: Option<Value>) -> Vec<FieldChange> {
    let fields = |state: Option<Value>| -> Map<String, Value> {
        match state {
            Some(Value::Object(map)) => map,
            Some(other) => Map::from_iter([("value".to_owned(), other)]),
            None => Map::new(),
        }
    };
    let (before, after) = (fields(before), fields(after));
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let old = before.get(name).cloned().unwrap_or(Value::Null);
            let new = after.get(name).cloned().unwrap_or(Value::Null);
            (old != new).then(|| FieldChange {
                field: name.clone(),
                before: old,
                after: new,
            })
        })
        .collect()
}

/// The audit log, the latest change first, filtered by actor, subject, action and time. Admins.
#[utoipa::path(
    tag = "audit",
    security(("accessToken" = [])),
    params(AuditQuery, PageQuery),
    responses(
        (status = 200, description = "One page of the log, the latest first", body = List<AuditView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    principal: Principal,
    ValidQuery(query): ValidQuery<AuditQuery>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    if !principal.role.may_read_audit() {
        return Err(ApiError::Forbidden("admins read the audit log".into()));
    }
    let filter = AuditFilter {
        actor_id: query.actor_id,
        object_id: query.subject_id,
        action: query.action,
        from: query.from,
        to: query.to,
    };
    let page = audit::list(&state.store, &filter, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, AuditView::from)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_lists_the_fields_that_differ() {
        let before =
            serde_json::json!({"status":"scheduled","start":"2026-12-01T10:00:00Z","note":null});
        let after =
            serde_json::json!({"status":"completed","start":"2026-12-01T10:00:00Z","note":"ok"});
        let found = changes(Some(before), Some(after.clone()));
        let fields: Vec<&str> = found.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["note", "status"]);
        assert_eq!(found[1].before, "scheduled");
        assert_eq!(found[1].after, "completed");
        assert_eq!(
            changes(None, Some(after)).len(),
            3,
            "a creation lists what it set"
        );
        assert!(changes(None, None).is_empty(), "an access changes nothing");
    }
}

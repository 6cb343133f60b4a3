//! The catalog: paths and their projects. Staff write; every logged-in role reads.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use mentorship_domain::catalog::Level;
use mentorship_store::catalog::{self, Path, PathFields, Project, ProjectFields};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::extract::{Valid, ValidQuery};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::if_match;
use crate::paging::{List, PageQuery};
use crate::routes::{created, ok_with_etag};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PathView {
    pub id: Uuid,
    #[schema(example = "Web Developer")]
    pub title: String,
    /// The professional field; mentors need experience in it.
    #[schema(example = "web development")]
    pub field: String,
    #[schema(schema_with = crate::openapi::level_schema)]
    pub complexity: Level,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Path> for PathView {
    fn from(p: Path) -> Self {
        PathView {
            id: p.id,
            title: p.title,
            field: p.field,
            complexity: p.complexity,
            description: p.description,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: Uuid,
    pub path_id: Uuid,
    #[schema(example = "Build a REST API")]
    pub title: String,
    /// The project's place in its path, from 1.
    #[schema(example = 1, minimum = 1)]
    pub position: i64,
    #[schema(schema_with = crate::openapi::level_schema)]
    pub difficulty: Level,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ProjectView {
    fn from(p: Project) -> Self {
        ProjectView {
            id: p.id,
            path_id: p.path_id,
            title: p.title,
            position: p.position,
            difficulty: p.difficulty,
            description: p.description,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Web Developer", "field": "web development", "complexity": 2,
    "description": "From HTML to a deployed web application."}))]
pub struct CreatePath {
    #[schema(example = "Web Developer", min_length = 1, max_length = 120)]
    #[validate(length(min = 1, max = 120))]
    pub title: String,
    #[schema(example = "web development", min_length = 1, max_length = 80)]
    #[validate(length(min = 1, max = 80))]
    pub field: String,
    #[schema(schema_with = crate::openapi::level_schema)]
    #[validate(range(min = 1, max = 3))]
    pub complexity: u8,
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"complexity": 3, "description": null}))]
pub struct UpdatePath {
    #[schema(min_length = 1, max_length = 120)]
    #[validate(length(min = 1, max = 120))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 80)]
    #[validate(length(min = 1, max = 80))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub field: Option<String>,
    #[schema(schema_with = crate::openapi::level_schema)]
    #[validate(range(min = 1, max = 3))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub complexity: Option<u8>,
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    /// `null` or `""` empties it.
    #[serde(default, deserialize_with = "crate::extract::merge_patch::emptied")]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Build a REST API", "difficulty": 2,
    "description": "Design, build and document an API."}))]
pub struct CreateProject {
    #[schema(example = "Build a REST API", min_length = 1, max_length = 120)]
    #[validate(length(min = 1, max = 120))]
    pub title: String,
    /// The project's place in the path; absent: after the last one.
    #[schema(minimum = 1, maximum = 1000)]
    #[validate(range(min = 1, max = 1000))]
    pub position: Option<i64>,
    #[schema(schema_with = crate::openapi::level_schema)]
    #[validate(range(min = 1, max = 3))]
    pub difficulty: u8,
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Build and document a REST API", "difficulty": 3}))]
pub struct UpdateProject {
    #[schema(min_length = 1, max_length = 120)]
    #[validate(length(min = 1, max = 120))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    #[schema(minimum = 1, maximum = 1000)]
    #[validate(range(min = 1, max = 1000))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub position: Option<i64>,
    #[schema(schema_with = crate::openapi::level_schema)]
    #[validate(range(min = 1, max = 3))]
    #[serde(default, deserialize_with = "crate::extract::merge_patch::kept")]
    #[schema(nullable = false)]
    pub difficulty: Option<u8>,
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000))]
    /// `null` or `""` empties it.
    #[serde(default, deserialize_with = "crate::extract::merge_patch::emptied")]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PathFilter {
    /// Only paths of this field.
    #[param(max_length = 80)]
    #[validate(length(max = 80))]
    pub field: Option<String>,
}

/// A level of a body (checked 1 to 3 by its field rule) as the domain's type.
fn level(field: &str, value: u8) -> Result<Level, ApiError> {
    Level::new(value).map_err(|e| ApiError::field(field, "range", e.to_string()))
}

fn optional_level(field: &str, value: Option<u8>) -> Result<Option<Level>, ApiError> {
    value.map(|v| level(field, v)).transpose()
}

fn require_writer(principal: &Principal) -> Result<(), ApiError> {
    if !principal.role.may_write_catalog() {
        return Err(ApiError::Forbidden("only staff write the catalog".into()));
    }
    Ok(())
}

/// Adds a path.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["already_exists"]))),
    tag = "catalog",
    security(("accessToken" = []), ("apiKey" = ["paths:write"])),
    request_body = CreatePath,
    responses(
        (status = 201, description = "Created", body = PathView, headers(
            ("Location" = String, description = "The path's URL"),
            ("ETag" = String, description = "The path's version, for If-Match"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/paths")]
pub async fn create_path(
    state: web::Data<AppState>,
    principal: Principal,
    Valid(body): Valid<CreatePath>,
) -> Result<HttpResponse, ApiError> {
    require_writer(&principal)?;
    let fields = PathFields {
        title: body.title,
        field: body.field,
        complexity: level("complexity", body.complexity)?,
        description: body.description.unwrap_or_default(),
    };
    let path = catalog::create_path(&state.store, fields, principal.user_id).await?;
    Ok(created(format!("/v1/paths/{}", path.id), path.version).json(PathView::from(path)))
}

/// Lists paths in creation order, optionally of one field.
#[utoipa::path(
    tag = "catalog",
    security(("accessToken" = []), ("apiKey" = ["paths:read"])),
    params(PathFilter, PageQuery),
    responses(
        (status = 200, description = "One page of paths", body = List<PathView>),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/paths")]
pub async fn list_paths(
    state: web::Data<AppState>,
    // Any authenticated caller reads the catalog (a key needs `paths:read`).
    _caller: Principal,
    ValidQuery(filter): ValidQuery<PathFilter>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = catalog::list_paths(&state.store, filter.field.as_deref(), page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, PathView::from)))
}

/// One path.
#[utoipa::path(
    tag = "catalog",
    security(("accessToken" = []), ("apiKey" = ["paths:read"])),
    params(("id" = Uuid, Path, description = "The path's id")),
    responses(
        (status = 200, description = "The path", body = PathView,
         headers(("ETag" = String, description = "The path's version, for If-Match"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/paths/{id}")]
pub async fn get_path(
    state: web::Data<AppState>,
    // Any authenticated caller reads the catalog (a key needs `paths:read`).
    _caller: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let path = catalog::get_path(&state.store, *id).await?;
    Ok(ok_with_etag(path.version).json(PathView::from(path)))
}

/// Edits a path; needs the ETag of the last read in `If-Match`.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["already_exists"]))),
    tag = "catalog",
    security(("accessToken" = []), ("apiKey" = ["paths:write"])),
    params(
        ("id" = Uuid, Path, description = "The path's id"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the path"),
    ),
    request_body = UpdatePath,
    responses(
        (status = 200, description = "The edited path", body = PathView,
         headers(("ETag" = String, description = "The path's new version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[patch("/paths/{id}")]
pub async fn update_path(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<UpdatePath>,
) -> Result<HttpResponse, ApiError> {
    require_writer(&principal)?;
    let current = catalog::get_path(&state.store, *id).await?;
    let expected = if_match(&req, "path", current.version)?;
    let complexity = optional_level("complexity", body.complexity)?;
    let path = catalog::update_path(
        &state.store,
        *id,
        expected,
        |current| PathFields {
            title: body.title.unwrap_or(current.title),
            field: body.field.unwrap_or(current.field),
            complexity: complexity.unwrap_or(current.complexity),
            description: body.description.unwrap_or(current.description),
        },
        principal.user_id,
    )
    .await?;
    Ok(ok_with_etag(path.version).json(PathView::from(path)))
}

/// Adds a project to a path.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["already_exists"]))),
    tag = "catalog",
    security(("accessToken" = []), ("apiKey" = ["paths:write"])),
    params(("id" = Uuid, Path, description = "The path's id")),
    request_body = CreateProject,
    responses(
        (status = 201, description = "Created", body = ProjectView, headers(
            ("Location" = String, description = "The project's URL"),
            ("ETag" = String, description = "The project's version, for If-Match"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[post("/paths/{id}/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<CreateProject>,
) -> Result<HttpResponse, ApiError> {
    require_writer(&principal)?;
    let fields = ProjectFields {
        title: body.title,
        position: body.position,
        difficulty: level("difficulty", body.difficulty)?,
        description: body.description.unwrap_or_default(),
    };
    let project = catalog::create_project(&state.store, *id, fields, principal.user_id).await?;
    Ok(
        created(format!("/v1/projects/{}", project.id), project.version)
            .json(ProjectView::from(project)),
    )
}

/// The projects of a path, in their order.
#[utoipa::path(
    tag = "catalog",
    security(("accessToken" = []), ("apiKey" = ["paths:read"])),
    params(("id" = Uuid, Path, description = "The path's id"), PageQuery),
    responses(
        (status = 200, description = "One page of projects, by position", body = List<ProjectView>),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/paths/{id}/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    // Any authenticated caller reads the catalog (a key needs `paths:read`).
    _caller: Principal,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = catalog::list_projects(&state.store, *id, page.request()?).await?;
    Ok(HttpResponse::Ok().json(List::from_page(page, ProjectView::from)))
}

/// One project.
#[utoipa::path(
    tag = "catalog",
    security(("accessToken" = []), ("apiKey" = ["paths:read"])),
    params(("id" = Uuid, Path, description = "The project's id")),
    responses(
        (status = 200, description = "The project", body = ProjectView,
         headers(("ETag" = String, description = "The project's version, for If-Match"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/projects/{id}")]
pub async fn get_project(
    state: web::Data<AppState>,
    // Any authenticated caller reads the catalog (a key needs `paths:read`).
    _caller: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let project = catalog::get_project(&state.store, *id).await?;
    Ok(ok_with_etag(project.version).json(ProjectView::from(project)))
}

/// Edits a project; needs the ETag of the last read in `If-Match`.
#[utoipa::path(
    extensions(("x-problem-codes" = json!(["already_exists"]))),
    tag = "catalog",
    security(("accessToken" = []), ("apiKey" = ["paths:write"])),
    params(
        ("id" = Uuid, Path, description = "The project's id"),
        ("If-Match" = String, Header, description = "The ETag from the last read of the project"),
    ),
    request_body = UpdateProject,
    responses(
        (status = 200, description = "The edited project", body = ProjectView,
         headers(("ETag" = String, description = "The project's new version"))),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
    )
)]
#[patch("/projects/{id}")]
pub async fn update_project(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    Valid(body): Valid<UpdateProject>,
) -> Result<HttpResponse, ApiError> {
    require_writer(&principal)?;
    let current = catalog::get_project(&state.store, *id).await?;
    let expected = if_match(&req, "project", current.version)?;
    let difficulty = optional_level("difficulty", body.difficulty)?;
    let project = catalog::update_project(
        &state.store,
        *id,
        expected,
        |current| ProjectFields {
            title: body.title.unwrap_or(current.title),
            position: body.position.or(current.position),
            difficulty: difficulty.unwrap_or(current.difficulty),
            description: body.description.unwrap_or(current.description),
        },
        principal.user_id,
    )
    .await?;
    Ok(ok_with_etag(project.version).json(ProjectView::from(project)))
}

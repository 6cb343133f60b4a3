//! The catalog: paths and their projects (RULES.md, "Catalog").

use chrono::{DateTime, Utc};
use mentorship_domain::catalog::Level;
use serde::Serialize;
use uuid::Uuid;

use crate::db::{Query, query};
use crate::events::Step;
use crate::record::{self, Change, Record, versioned_fields};
use crate::{Page, PageRequest, Store, StoreError, new_id};

/// A training path.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Path {
    pub id: Uuid,
    pub title: String,
    pub field: String,
    pub complexity: Level,
    pub description: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A project of a path, in the path's order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Project {
    pub id: Uuid,
    pub path_id: Uuid,
    pub title: String,
    pub position: i64,
    pub difficulty: Level,
    pub description: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn level(value: i64) -> Result<Level, StoreError> {
    u8::try_from(value)
        .ok()
        .and_then(|v| Level::new(v).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("level {value} out of range")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct PathRow {
    id: Uuid,
    title: String,
    field: String,
    complexity: i64,
    description: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<PathRow> for Path {
    type Error = StoreError;
    fn try_from(r: PathRow) -> Result<Self, StoreError> {
        Ok(Path {
            id: r.id,
            title: r.title,
            field: r.field,
            complexity: level(r.complexity)?,
            description: r.description,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProjectRow {
    id: Uuid,
    path_id: Uuid,
    title: String,
    position: i64,
    difficulty: i64,
    description: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;
    fn try_from(r: ProjectRow) -> Result<Self, StoreError> {
        Ok(Project {
            id: r.id,
            path_id: r.path_id,
            title: r.title,
            position: r.position,
            difficulty: level(r.difficulty)?,
            description: r.description,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

macro_rules! select_paths {
    ($tail:literal) => {
        concat!(
            "SELECT id, title, field, complexity, description, version, created_at, updated_at FROM paths ",
            $tail
        )
    };
}

macro_rules! select_projects {
    ($tail:literal) => {
        concat!(
            "SELECT id, path_id, title, position, difficulty, description, version, created_at, updated_at \
             FROM projects ",
            $tail
        )
    };
}

/// The fields of a path a writer sets.
#[derive(Debug, Clone)]
pub struct PathFields {
    pub title: String,
    pub field: String,
    pub complexity: Level,
    pub description: String,
}

/// The fields of a project a writer sets; `position: None` appends it after the last one.
#[derive(Debug, Clone)]
pub struct ProjectFields {
    pub title: String,
    pub position: Option<i64>,
    pub difficulty: Level,
    pub description: String,
}

impl Record for Path {
    type Row = PathRow;
    const NAME: &'static str = "path";
    const SELECT: &'static str = select_paths!("WHERE id = $1");
    const LOCK: &'static str = "SELECT id FROM paths WHERE id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "title";

    versioned_fields!();

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE paths SET title = $2, field = $3, complexity = $4, description = $5, \
                           version = $6, updated_at = $7 WHERE id = $1 AND version = $8";
        query(SQL)
            .bind(self.id)
            .bind(&self.title)
            .bind(&self.field)
            .bind(i64::from(self.complexity.get()))
            .bind(&self.description)
            .bind(self.version)
            .bind(self.updated_at)
            .bind(version)
    }
}

impl Record for Project {
    type Row = ProjectRow;
    const NAME: &'static str = "project";
    const SELECT: &'static str = select_projects!("WHERE id = $1");
    const LOCK: &'static str = "SELECT id FROM projects WHERE id = $1 FOR UPDATE";
    const UNIQUE: &'static str = "position";

    versioned_fields!();

    fn update(&self, version: i64) -> Query {
        const SQL: &str = "UPDATE projects SET title = $2, position = $3, difficulty = $4, \
                           description = $5, version = $6, updated_at = $7 WHERE id = $1 AND version = $8";
        query(SQL)
            .bind(self.id)
            .bind(&self.title)
            .bind(self.position)
            .bind(i64::from(self.difficulty.get()))
            .bind(&self.description)
            .bind(self.version)
            .bind(self.updated_at)
            .bind(version)
    }
}

/// Adds a path. A taken title is `Duplicate("title")`.
pub async fn create_path(
    store: &Store,
    fields: PathFields,
    actor: Uuid,
) -> Result<Path, StoreError> {
    const SQL: &str = "INSERT INTO paths (id, title, field, complexity, description, version, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, 1, $6, $6)";
    let now = crate::now();
    let path = Path {
        id: new_id(),
        title: fields.title,
        field: fields.field,
        complexity: fields.complexity,
        description: fields.description,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut tx = store.begin().await?;
    tx.execute(
        query(SQL)
            .bind(path.id)
            .bind(&path.title)
            .bind(&path.field)
            .bind(i64::from(path.complexity.get()))
            .bind(&path.description)
            .bind(now),
    )
    .await
    .map_err(StoreError::unique_as("title"))?;
    record::created(&mut tx, &path, "path.created", Some(actor), &[]).await?;
    tx.commit().await?;
    Ok(path)
}

/// One path by id.
pub async fn get_path(store: &Store, id: Uuid) -> Result<Path, StoreError> {
    const SQL: &str = select_paths!("WHERE id = $1");
    let row: Option<PathRow> = store.fetch_optional(query(SQL).bind(id)).await?;
    row.ok_or(StoreError::NotFound("path"))?.try_into()
}

/// Paths in id order, optionally of one field.
pub async fn list_paths(
    store: &Store,
    field: Option<&str>,
    page: PageRequest,
) -> Result<Page<Path>, StoreError> {
    const ALL: &str = select_paths!("WHERE id > $1 ORDER BY id LIMIT CAST($2 AS BIGINT)");
    const BY_FIELD: &str =
        select_paths!("WHERE field = $3 AND id > $1 ORDER BY id LIMIT CAST($2 AS BIGINT)");
    let list = query(if field.is_some() { BY_FIELD } else { ALL })
        .bind(page.after_or(Uuid::nil()))
        .bind(page.fetch_limit());
    let list = match field {
        Some(f) => list.bind(f),
        None => list,
    };
    let rows: Vec<PathRow> = store.fetch_all(list).await?;
    let paths = rows
        .into_iter()
        .map(Path::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(paths, &page, |p| p.id))
}

/// Edits a path if it is still at `expected_version`. `edit` gets the current fields.
pub async fn update_path(
    store: &Store,
    id: Uuid,
    expected_version: i64,
    edit: impl FnOnce(PathFields) -> PathFields,
    actor: Uuid,
) -> Result<Path, StoreError> {
    let change = Change::by("path.updated", actor).at_version(expected_version);
    let mut tx = store.begin().await?;
    let path = record::change(&mut tx, id, change, |before: &Path| {
        let fields = edit(PathFields {
            title: before.title.clone(),
            field: before.field.clone(),
            complexity: before.complexity,
            description: before.description.clone(),
        });
        Ok(Step::quiet(Path {
            title: fields.title,
            field: fields.field,
            complexity: fields.complexity,
            description: fields.description,
            ..before.clone()
        }))
    })
    .await?;
    tx.commit().await?;
    Ok(path)
}

/// Adds a project to a path, at `position` or after the last one.
/// An unknown path is `NotFound("path")`; a taken position is `Duplicate("position")`.
pub async fn create_project(
    store: &Store,
    path_id: Uuid,
    fields: ProjectFields,
    actor: Uuid,
) -> Result<Project, StoreError> {
    const PATH_EXISTS: &str = "SELECT COUNT(*) FROM paths WHERE id = $1";
    const NEXT_POSITION: &str =
        "SELECT COALESCE(MAX(position), 0) + 1 FROM projects WHERE path_id = $1";
    const SQL: &str = "INSERT INTO projects (id, path_id, title, position, difficulty, description, version, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)";
    let now = crate::now();
    let mut tx = store.begin().await?;
    let exists: i64 = tx.scalar(query(PATH_EXISTS).bind(path_id)).await?;
    if exists == 0 {
        return Err(StoreError::NotFound("path"));
    }
    let position = match fields.position {
        Some(p) => p,
        None => tx.scalar(query(NEXT_POSITION).bind(path_id)).await?,
    };
    let project = Project {
        id: new_id(),
        path_id,
        title: fields.title,
        position,
        difficulty: fields.difficulty,
        description: fields.description,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    tx.execute(
        query(SQL)
            .bind(project.id)
            .bind(path_id)
            .bind(&project.title)
            .bind(project.position)
            .bind(i64::from(project.difficulty.get()))
            .bind(&project.description)
            .bind(now),
    )
    .await
    .map_err(StoreError::unique_as("position"))?;
    record::created(&mut tx, &project, "project.created", Some(actor), &[]).await?;
    tx.commit().await?;
    Ok(project)
}

/// One project by id.
pub async fn get_project(store: &Store, id: Uuid) -> Result<Project, StoreError> {
    const SQL: &str = select_projects!("WHERE id = $1");
    let row: Option<ProjectRow> = store.fetch_optional(query(SQL).bind(id)).await?;
    row.ok_or(StoreError::NotFound("project"))?.try_into()
}

/// The projects of a path in their order, keyed by position. An unknown path is `NotFound("path")`.
pub async fn list_projects(
    store: &Store,
    path_id: Uuid,
    page: PageRequest<i64>,
) -> Result<Page<Project, i64>, StoreError> {
    const SQL: &str = select_projects!(
        "WHERE path_id = $1 AND position > $2 ORDER BY position LIMIT CAST($3 AS BIGINT)"
    );
    get_path(store, path_id).await?;
    let rows: Vec<ProjectRow> = store
        .fetch_all(
            query(SQL)
                .bind(path_id)
                .bind(page.after_or(0))
                .bind(page.fetch_limit()),
        )
        .await?;
    let projects = rows
        .into_iter()
        .map(Project::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(projects, &page, |p| p.position))
}

/// Edits a project if it is still at `expected_version`. `edit` gets the current fields
/// (with `position` set).
pub async fn update_project(
    store: &Store,
    id: Uuid,
    expected_version: i64,
    edit: impl FnOnce(ProjectFields) -> ProjectFields,
    actor: Uuid,
) -> Result<Project, StoreError> {
    let change = Change::by("project.updated", actor).at_version(expected_version);
    let mut tx = store.begin().await?;
    let project = record::change(&mut tx, id, change, |before: &Project| {
        let fields = edit(ProjectFields {
            title: before.title.clone(),
            position: Some(before.position),
            difficulty: before.difficulty,
            description: before.description.clone(),
        });
        Ok(Step::quiet(Project {
            title: fields.title,
            position: fields.position.unwrap_or(before.position),
            difficulty: fields.difficulty,
            description: fields.description,
            ..before.clone()
        }))
    })
    .await?;
    tx.commit().await?;
    Ok(project)
}

//! The store conformance suite: the same contract checked on each backend, below HTTP.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use mentorship_api::notices::Templates;
use mentorship_domain::catalog::Level;
use mentorship_domain::people::Role;
use mentorship_store::catalog::{self, PathFields};
use mentorship_store::notifications::{self, NewNotification};
use mentorship_store::tokens::{self, Rotation};
use mentorship_store::users::{self, NewUser, UserChanges};
use mentorship_store::{Backend, PageRequest, Store, StoreError, StoreOptions};
use mentorship_tests::TestDb;

async fn store(backend: Backend) -> Option<(Store, TestDb)> {
    let db = TestDb::new(backend).await?;
    let store = Store::connect(&db.url, &StoreOptions::default(), Arc::new(Templates))
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    Some((store, db))
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        name: "N".into(),
        role: Role::Student,
        password_hash: "h".into(),
    }
}

fn path(title: &str) -> PathFields {
    PathFields {
        title: title.into(),
        field: "f".into(),
        complexity: Level::new(1).unwrap(),
        description: String::new(),
    }
}

async fn accounts_are_unique_versioned_and_paged(store: Store) {
    let a = users::create(&store, new_user("a@example.com"), None)
        .await
        .unwrap();
    assert!(matches!(
        users::create(&store, new_user("a@example.com"), None).await,
        Err(StoreError::Duplicate("email"))
    ));
    assert_eq!(users::get(&store, a.id).await.unwrap(), a);
    assert!(matches!(
        users::get(&store, uuid::Uuid::now_v7()).await,
        Err(StoreError::NotFound("user"))
    ));
    let changes = UserChanges {
        name: Some("Ann".into()),
        ..Default::default()
    };
    let edited = users::update(&store, a.id, 1, changes.clone(), None)
        .await
        .unwrap();
    assert_eq!((edited.name.as_str(), edited.version), ("Ann", 2));
    assert!(matches!(
        users::update(&store, a.id, 1, changes, None).await,
        Err(StoreError::VersionMismatch("user"))
    ));
    for i in 0..4 {
        users::create(&store, new_user(&format!("u{i}@example.com")), None)
            .await
            .unwrap();
    }
    let first = users::list(
        &store,
        Some(Role::Student),
        PageRequest {
            after: None,
            limit: 3,
        },
    )
    .await
    .unwrap();
    assert_eq!(first.items.len(), 3);
    let rest = users::list(
        &store,
        Some(Role::Student),
        PageRequest {
            after: first.next_after,
            limit: 3,
        },
    )
    .await
    .unwrap();
    assert_eq!(rest.items.len(), 2);
    assert!(rest.next_after.is_none());
    assert!(
        first
            .items
            .iter()
            .chain(&rest.items)
            .zip(first.items.iter().chain(&rest.items).skip(1))
            .all(|(x, y)| x.id < y.id)
    );
    assert!(
        users::list(
            &store,
            Some(Role::Admin),
            PageRequest {
                after: None,
                limit: 3
            }
        )
        .await
        .unwrap()
        .items
        .is_empty()
    );
}

async fn a_refresh_token_rotates_once_under_contention(store: Store) {
    let user = users::create(&store, new_user("r@example.com"), None)
        .await
        .unwrap();
    let expires = chrono::Utc::now() + chrono::Duration::days(1);
    tokens::start_family(&store, user.id, b"old", expires)
        .await
        .unwrap();
    let attempts = (0..8u8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { tokens::rotate(&store, b"old", &[b'n', i], expires).await })
    });
    let outcomes: Vec<Rotation> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Rotated { .. }))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Rotation::Rotated { .. } | Rotation::Reused))
    );
}

async fn twenty_concurrent_writers_never_see_a_locked_database(store: Store) {
    let writes = (0..20).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            catalog::create_path(&store, path(&format!("P{i}")), uuid::Uuid::nil()).await
        })
    });
    for result in futures_util::future::join_all(writes).await {
        result.unwrap().unwrap();
    }
    let all = catalog::list_paths(
        &store,
        None,
        PageRequest {
            after: None,
            limit: 50,
        },
    )
    .await
    .unwrap();
    assert_eq!(all.items.len(), 20);
    assert!(store.is_ready().await.unwrap());
}

/// Claims every due email with eight claimers at once, batch after batch, and returns the ids.
async fn claim_concurrently(store: &Store, now: DateTime<Utc>) -> Vec<uuid::Uuid> {
    let claimers = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = notifications::claim_due(&store, now, 3, Duration::minutes(5))
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|e| e.id));
            }
        })
    });
    futures_util::future::join_all(claimers)
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect()
}

async fn claimed_emails_go_to_one_claimer_until_sent_failed_or_expired(store: Store) {
    let user = users::create(&store, new_user("n@example.com"), None)
        .await
        .unwrap();
    for i in 0..30 {
        let new = NewNotification {
            user_id: user.id,
            email: "n@example.com".into(),
            kind: "application_received",
            subject: format!("Notice {i}"),
            body: "Body".into(),
        };
        notifications::notify_now(&store, new).await.unwrap();
    }
    let now = mentorship_store::now();
    let mut claimed = claim_concurrently(&store, now).await;
    assert_eq!(claimed.len(), 30, "every due email is claimed");
    claimed.sort();
    claimed.dedup();
    assert_eq!(claimed.len(), 30, "an email went to two claimers");
    let lease = Duration::minutes(5);
    assert!(
        notifications::claim_due(&store, now, 50, lease)
            .await
            .unwrap()
            .is_empty()
    );

    // Sent: never again. Failed: due at its retry instant, or never once given up.
    let (sent, retried, given_up) = (claimed[0], claimed[1], claimed[2]);
    notifications::mark_sent(&store, sent, now).await.unwrap();
    let retry_at = now + Duration::seconds(30);
    notifications::mark_failed(&store, retried, "421 busy", Some(retry_at))
        .await
        .unwrap();
    notifications::mark_failed(&store, given_up, "550 no such mailbox", None)
        .await
        .unwrap();
    notifications::release(&store, &claimed[3..5])
        .await
        .unwrap();
    let again = notifications::claim_due(&store, now + Duration::seconds(1), 50, lease)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|e| e.id).collect::<Vec<_>>(),
        claimed[3..5]
    );
    let later = notifications::claim_due(&store, retry_at, 50, lease)
        .await
        .unwrap();
    assert_eq!(later.iter().map(|e| e.id).collect::<Vec<_>>(), [retried]);
    assert_eq!(
        (later[0].attempts, later[0].last_error.as_deref()),
        (1, Some("421 busy"))
    );

    // A dead claimer's emails come due again when its lease runs out, still one claimer each.
    let expired = now + Duration::minutes(20);
    let mut reclaimed = claim_concurrently(&store, expired).await;
    reclaimed.sort();
    let expected: Vec<_> = claimed
        .iter()
        .copied()
        .filter(|id| ![sent, given_up].contains(id))
        .collect();
    assert_eq!(reclaimed, expected);
    let outbox = notifications::emails_to(&store, "n@example.com")
        .await
        .unwrap();
    let by_id = |id| outbox.iter().find(|e| e.id == id).unwrap();
    assert!(by_id(sent).sent_at.is_some() && by_id(sent).next_attempt_at.is_none());
    assert_eq!(by_id(given_up).next_attempt_at, None);
    assert_eq!(
        by_id(given_up).last_error.as_deref(),
        Some("550 no such mailbox")
    );
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some((store, _db)) = super::store(mentorship_store::Backend::Sqlite).await {
                    super::$name(store).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some((store, _db)) = super::store(mentorship_store::Backend::Postgres).await {
                    super::$name(store).await;
                }
            }
        }
    )*};
}

conformance!(
    accounts_are_unique_versioned_and_paged,
    a_refresh_token_rotates_once_under_contention,
    twenty_concurrent_writers_never_see_a_locked_database,
    claimed_emails_go_to_one_claimer_until_sent_failed_or_expired,
);

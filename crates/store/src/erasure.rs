//! Erasing a person (RULES.md, "Personal data"), in one transaction: the account keeps a
//! pseudonym and can no longer open; what the person wrote and what was written about them goes;
//! the program's records (sessions, statements, the fact of a criminal record check) stay, by id;
//! the audit rows about them keep everything but their personal fields, whose keys are deleted.
//! The files to delete are returned: the API deletes them once the transaction has committed.

use chrono::{DateTime, Utc};
use mentorship_domain::erasure::{self, Kept, Standing};
use mentorship_domain::mentors::MentorStatus;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::db::{Tx, query};
use crate::mentors::enum_from;
use crate::{Backend, Store, StoreError, accounts};

/// What an erasure did.
#[derive(Debug, Clone)]
pub struct Erased {
    pub user_id: Uuid,
    pub pseudonym: String,
    pub erased_at: DateTime<Utc>,
    /// The keys of the files to delete (the person's documents still on file).
    pub files_to_delete: Vec<String>,
    /// What was kept, with how many records of it, in the order of [`Kept::ALL`].
    pub kept: Vec<(Kept, i64)>,
}

/// The person's identity as it was, to find it in what others received.
#[derive(sqlx::FromRow)]
struct Identity {
    name: String,
    email: String,
    erased: bool,
}

/// Erases `person` on the order of `admin`. `throttle_keys` are the throttle counts keyed by the
/// person's email (the API names its own keys).
pub async fn erase(
    store: &Store,
    person: Uuid,
    admin: Uuid,
    throttle_keys: &[String],
) -> Result<Erased, StoreError> {
    const LOCK: &str = "SELECT id FROM users WHERE id = $1 FOR UPDATE";
    const IDENTITY: &str =
        "SELECT name, email, erased_at IS NOT NULL AS erased FROM users WHERE id = $1";
    let mut tx = store.begin().await?;
    tx.lock(LOCK, person).await?;
    let identity: Identity = tx
        .fetch_optional(query(IDENTITY).bind(person))
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    let mut standing = standing(&mut tx, person).await?;
    standing.erasing_yourself = person == admin;
    standing.already_erased = identity.erased;
    erasure::check(&standing).map_err(|r| StoreError::all_refused(&r))?;

    let erased_at = crate::now();
    let pseudonym = erasure::pseudonym(person);
    pseudonymize_account(&mut tx, person, &pseudonym, erased_at).await?;
    accounts::end_sessions(&mut tx, person).await?;
    forget_credentials(&mut tx, person, &identity.email, throttle_keys).await?;
    for (found, instead) in [
        (&identity.name, pseudonym.as_str()),
        (&identity.email, "an erased address"),
    ] {
        replace_in_messages(&mut tx, person, found, instead).await?;
    }
    forget_replays(&mut tx, &identity).await?;
    let files_to_delete = remove_texts_and_files(&mut tx, person, erased_at).await?;
    // The assignment history stays; a student erased has no current mentor any more.
    const END: &str =
        "UPDATE assignments SET ended_at = $2 WHERE student_id = $1 AND ended_at IS NULL";
    tx.execute(query(END).bind(person).bind(erased_at)).await?;
    audit::shred(&mut tx, person).await?;
    let kept = kept(&mut tx, person).await?;
    audit::write(
        &mut tx,
        AuditEntry::event("user.erased", Some(admin), "user", person),
    )
    .await?;
    tx.commit().await?;
    Ok(Erased {
        user_id: person,
        pseudonym,
        erased_at,
        files_to_delete,
        kept,
    })
}

/// Where the person stands in the program, read under the account's lock.
async fn standing(tx: &mut Tx, person: Uuid) -> Result<Standing, StoreError> {
    const STATUS: &str = "SELECT status FROM mentors WHERE user_id = $1";
    const AHEAD: &str = "SELECT COUNT(*) FROM sessions WHERE (mentor_id = $1 OR student_id = $1) \
                         AND status = 'scheduled' AND end_at > $2";
    const UNPAID: &str =
        "SELECT COUNT(*) FROM statements WHERE mentor_id = $1 AND status <> 'paid'";
    const MANAGED: &str = "SELECT COUNT(*) FROM mentors WHERE manager_id = $1 \
                           AND status NOT IN ('rejected', 'offboarded')";
    let status: Option<String> = tx.scalars(query(STATUS).bind(person)).await?.pop();
    let mentor_status: Option<MentorStatus> = status.as_deref().map(enum_from).transpose()?;
    Ok(Standing {
        mentor_status,
        sessions_ahead: tx
            .scalar(query(AHEAD).bind(person).bind(crate::now()))
            .await?,
        statements_unpaid: tx.scalar(query(UNPAID).bind(person)).await?,
        mentors_managed: tx.scalar(query(MANAGED).bind(person)).await?,
        ..Standing::default()
    })
}

/// The account keeps its id, role and dates, under a pseudonym, with no usable password.
async fn pseudonymize_account(
    tx: &mut Tx,
    person: Uuid,
    pseudonym: &str,
    erased_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE users SET name = $2, email = $3, password_hash = '', active = FALSE, \
                       erased_at = $4, updated_at = $4, version = version + 1 WHERE id = $1";
    tx.execute(
        query(SQL)
            .bind(person)
            .bind(pseudonym)
            .bind(erasure::pseudonymous_email(person))
            .bind(erased_at),
    )
    .await?;
    Ok(())
}

/// Everything that opens the account or reaches the person: tokens, keys, links, the calendar
/// feed, their notifications and emails, the throttle counts of their email.
async fn forget_credentials(
    tx: &mut Tx,
    person: Uuid,
    email: &str,
    throttle_keys: &[String],
) -> Result<(), StoreError> {
    const BY_USER: [&str; 5] = [
        "DELETE FROM refresh_tokens WHERE user_id = $1",
        "DELETE FROM api_keys WHERE owner_id = $1",
        "DELETE FROM one_time_links WHERE user_id = $1",
        "DELETE FROM calendar_feeds WHERE user_id = $1",
        "DELETE FROM notifications WHERE user_id = $1",
    ];
    const EMAILS: &str = "DELETE FROM email_outbox WHERE to_email = $1";
    const THROTTLE: &str = "DELETE FROM throttle_counts WHERE key = $1";
    tx.execute(query(EMAILS).bind(email)).await?;
    for sql in BY_USER {
        tx.execute(query(sql).bind(person)).await?;
    }
    for key in throttle_keys {
        tx.execute(query(THROTTLE).bind(key)).await?;
    }
    Ok(())
}

/// Others' notifications and emails name the person ("Ada is now your student"): the name or
/// address is replaced where it appears, the rest of the message stays theirs.
async fn replace_in_messages(
    tx: &mut Tx,
    person: Uuid,
    found: &str,
    instead: &str,
) -> Result<(), StoreError> {
    const NOTIFICATIONS: &str = "UPDATE notifications SET subject = REPLACE(subject, $2, $3), \
                                 body = REPLACE(body, $2, $3) WHERE user_id <> $1 \
                                 AND (REPLACE(subject, $2, $3) <> subject OR REPLACE(body, $2, $3) <> body)";
    const EMAILS: &str = "UPDATE email_outbox SET subject = REPLACE(subject, $1, $2), \
                          body = REPLACE(body, $1, $2) \
                          WHERE REPLACE(subject, $1, $2) <> subject OR REPLACE(body, $1, $2) <> body";
    tx.execute(query(NOTIFICATIONS).bind(person).bind(found).bind(instead))
        .await?;
    tx.execute(query(EMAILS).bind(found).bind(instead)).await?;
    Ok(())
}

/// Answers kept for retried requests (a day at most) that hold the person's name or email are
/// dropped: a retry of one of them runs again instead of replaying it.
async fn forget_replays(tx: &mut Tx, identity: &Identity) -> Result<(), StoreError> {
    let sql = match tx.backend() {
        Backend::Postgres => {
            "DELETE FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') in body) > 0"
        }
        Backend::Sqlite => "DELETE FROM idempotency_keys WHERE instr(body, CAST($1 AS BLOB)) > 0",
    };
    for found in [&identity.name, &identity.email] {
        tx.execute(query(sql).bind(found)).await?;
    }
    Ok(())
}

/// The texts written by or about the person (notes, reports, reasons, the profile, the typed
/// contract name), their exports, and their document and export files. Returns the keys of the
/// files to delete.
async fn remove_texts_and_files(
    tx: &mut Tx,
    person: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    const FILES: &str = "SELECT file_key FROM documents WHERE mentor_id = $1 AND file_key IS NOT NULL \
                         UNION ALL \
                         SELECT file_key FROM exports WHERE user_id = $1 AND file_key IS NOT NULL";
    const TEXTS_AT: [&str; 4] = [
        "UPDATE mentors SET bio = '', contract_signed_name = NULL, decision_reason = NULL, \
         status_reason = NULL, referral_code = NULL, version = version + 1, updated_at = $2 \
         WHERE user_id = $1",
        "UPDATE documents SET file_key = NULL, reason = NULL, \
         file_deleted_at = COALESCE(file_deleted_at, $2) WHERE mentor_id = $1",
        "UPDATE sessions SET summary = NULL, private_note = NULL, version = version + 1, \
         updated_at = $2 WHERE (mentor_id = $1 OR student_id = $1) \
         AND (summary IS NOT NULL OR private_note IS NOT NULL)",
        "UPDATE reports SET body = '', comment = NULL, version = version + 1, updated_at = $2 \
         WHERE mentor_id = $1 OR student_id = $1",
    ];
    const TEXTS: [&str; 4] = [
        "DELETE FROM exports WHERE user_id = $1",
        "UPDATE absences SET reason = NULL WHERE mentor_id = $1",
        "UPDATE path_requests SET reason = NULL WHERE mentor_id = $1",
        "UPDATE statements SET dispute_reason = NULL WHERE mentor_id = $1",
    ];
    let files: Vec<String> = tx.scalars(query(FILES).bind(person)).await?;
    for sql in TEXTS_AT {
        tx.execute(query(sql).bind(person).bind(now)).await?;
    }
    for sql in TEXTS {
        tx.execute(query(sql).bind(person)).await?;
    }
    Ok(files)
}

/// What of the person's records stays, and how many: the answer says so.
async fn kept(tx: &mut Tx, person: Uuid) -> Result<Vec<(Kept, i64)>, StoreError> {
    let mut kept = Vec::new();
    for what in Kept::ALL {
        let sql = match what {
            Kept::Account => "SELECT COUNT(*) FROM users WHERE id = $1",
            Kept::Statements => "SELECT COUNT(*) FROM statements WHERE mentor_id = $1",
            Kept::CriminalRecordCheck => {
                "SELECT COUNT(*) FROM documents WHERE mentor_id = $1 \
                 AND kind = 'criminal_record' AND status = 'verified'"
            }
            Kept::Documents => "SELECT COUNT(*) FROM documents WHERE mentor_id = $1",
            Kept::Sessions => {
                "SELECT COUNT(*) FROM sessions WHERE mentor_id = $1 OR student_id = $1"
            }
            Kept::Assignments => {
                "SELECT COUNT(*) FROM assignments WHERE mentor_id = $1 OR student_id = $1"
            }
            Kept::Referrals => {
                "SELECT COUNT(*) FROM referral_qualifications \
                 WHERE referred_id = $1 OR referrer_id = $1"
            }
            Kept::Contract => {
                "SELECT COUNT(*) FROM mentors WHERE user_id = $1 AND contract_signed_at IS NOT NULL"
            }
            Kept::AuditLog => "SELECT COUNT(*) FROM audit_subjects WHERE person_id = $1",
        };
        let count: i64 = tx.scalar(query(sql).bind(person)).await?;
        if count > 0 {
            kept.push((what, count));
        }
    }
    Ok(kept)
}

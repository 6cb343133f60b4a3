//! The personal fields of audit snapshots, sealed under a key of the row's own (crypto-shredding).
//!
//! The audit log is append-only, yet after a person's erasure no row may still hold their name,
//! email or the texts written about them (RULES.md, "Personal data"). So a snapshot's personal
//! fields are encrypted (AES-256-GCM) under a key made for that row and kept apart from the log,
//! in `audit_seals`; the rest of the snapshot (ids, statuses, amounts, dates) stays in clear.
//! Erasing a person deletes the keys of the rows about them: the rows, unchanged, still say who
//! did what and when, with the amounts and dates accounting keeps, and their personal fields can
//! no longer be read by anyone. The key is bound to the row (its id is the associated data), so
//! a key or a sealed value moved to another row does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::StoreError;

/// The fields of any record that hold a person's identity or words: names, emails, and free texts
/// written by or about someone. Any other field stays readable in the log after an erasure.
pub(crate) const PERSONAL: &[&str] = &[
    "name",
    "email",
    "bio",
    "body",
    "subject",
    "summary",
    "private_note",
    "comment",
    "reason",
    "decision_reason",
    "status_reason",
    "dispute_reason",
    "contract_signed_name",
    "mentor_name",
    "student_name",
    "referred_name",
];

/// The fields naming the people a record is about: erasing one of them erases the row's
/// personal fields. Not the staff who acted on it (`reviewed_by`, `manager_id`): their own data
/// is not in it.
const PARTIES: &[&str] = &[
    "id",
    "user_id",
    "mentor_id",
    "student_id",
    "owner_id",
    "referred_id",
];

/// Where a snapshot keeps its sealed personal fields.
const SEALED: &str = "sealed";

/// A row's key: 32 random bytes, used for the row's two states only (nonce 0 and 1).
pub(crate) type RowKey = [u8; 32];

pub(crate) fn new_key() -> RowKey {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    key
}

/// Which of a row's two states a value is; each has its own nonce under the row's key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part {
    Before = 0,
    After = 1,
}

fn nonce(part: Part) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut bytes = [0u8; 12];
    bytes[11] = part as u8;
    bytes.into()
}

/// Moves every non-null personal field of `state`, at any depth, into a map by JSON pointer.
fn take_personal(value: &mut Value, at: &str, taken: &mut Map<String, Value>) {
    match value {
        Value::Object(fields) => {
            let keys: Vec<String> = fields.keys().cloned().collect();
            for key in keys {
                let pointer = format!("{at}/{key}");
                let personal = PERSONAL.contains(&key.as_str());
                if personal && fields.get(&key).is_some_and(|v| !v.is_null()) {
                    if let Some(field) = fields.remove(&key) {
                        taken.insert(pointer, field);
                    }
                } else if let Some(field) = fields.get_mut(&key) {
                    take_personal(field, &pointer, taken);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                take_personal(item, &format!("{at}/{i}"), taken);
            }
        }
        _ => {}
    }
}

/// The people `state` is about, from its top-level party fields.
pub(crate) fn parties(state: &Value) -> Vec<Uuid> {
    PARTIES
        .iter()
        .filter_map(|field| state.get(field)?.as_str()?.parse().ok())
        .collect()
}

/// `state` with its personal fields sealed under `key`, and whether it had any.
pub(crate) fn seal(
    mut state: Value,
    key: &RowKey,
    row: Uuid,
    part: Part,
) -> Result<(Value, bool), StoreError> {
    let mut taken = Map::new();
    take_personal(&mut state, "", &mut taken);
    let (Some(fields), false) = (state.as_object_mut(), taken.is_empty()) else {
        return Ok((state, false));
    };
    let plain = Value::Object(taken).to_string();
    let cipher = Aes256Gcm::new_from_slice(key).map_err(corrupt)?;
    let payload = Payload {
        msg: plain.as_bytes(),
        aad: row.as_bytes(),
    };
    let sealed = cipher.encrypt(&nonce(part), payload).map_err(corrupt)?;
    fields.insert(SEALED.into(), Value::String(STANDARD.encode(sealed)));
    Ok((state, true))
}

/// A stored state read back: its personal fields put back with the row's key, or left out when
/// the key was deleted by an erasure (`true` then).
pub(crate) fn open(
    stored: &str,
    key: Option<&[u8]>,
    row: Uuid,
    part: Part,
) -> Result<(Value, bool), StoreError> {
    let mut state: Value = serde_json::from_str(stored).map_err(corrupt)?;
    let Some(sealed) = state.as_object_mut().and_then(|f| f.remove(SEALED)) else {
        return Ok((state, false));
    };
    let Some(key) = key else {
        return Ok((state, true));
    };
    let sealed = STANDARD
        .decode(sealed.as_str().unwrap_or_default())
        .map_err(corrupt)?;
    let cipher = Aes256Gcm::new_from_slice(key).map_err(corrupt)?;
    let payload = Payload {
        msg: &sealed,
        aad: row.as_bytes(),
    };
    let plain = cipher.decrypt(&nonce(part), payload).map_err(corrupt)?;
    let taken: Map<String, Value> = serde_json::from_slice(&plain).map_err(corrupt)?;
    for (pointer, value) in taken {
        put_back(&mut state, &pointer, value);
    }
    Ok((state, false))
}

/// Puts a field back at its JSON pointer (`/a/0/name`).
fn put_back(state: &mut Value, pointer: &str, value: Value) {
    let Some((parent, field)) = pointer.rsplit_once('/') else {
        return;
    };
    if let Some(Value::Object(fields)) = state.pointer_mut(parent) {
        fields.insert(field.to_owned(), value);
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("audit seal: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state() -> Value {
        json!({
            "id": "0190b2a4-0000-7000-8000-000000000001",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "status": "active",
            "total_cents": 12500,
            "bio": null,
            "lines": [{"amount_cents": 100, "student_name": "Grace Hopper"}],
        })
    }

    #[test]
    fn sealed_states_keep_every_field_but_the_personal_ones_in_clear() {
        let (key, row) = (new_key(), Uuid::now_v7());
        let (sealed, any) = seal(state(), &key, row, Part::After).unwrap();
        assert!(any);
        let stored = sealed.to_string();
        for secret in ["Ada", "ada@example.com", "Grace"] {
            assert!(!stored.contains(secret), "{stored}");
        }
        assert_eq!(sealed["total_cents"], 12500);
        assert_eq!(sealed["lines"][0]["amount_cents"], 100);
        assert_eq!(sealed["bio"], Value::Null);

        let (opened, erased) = open(&stored, Some(&key), row, Part::After).unwrap();
        assert!(!erased);
        assert_eq!(opened, state());
    }

    #[test]
    fn without_its_key_a_state_opens_with_its_personal_fields_left_out() {
        let (key, row) = (new_key(), Uuid::now_v7());
        let (sealed, _) = seal(state(), &key, row, Part::Before).unwrap();
        let (opened, erased) = open(&sealed.to_string(), None, row, Part::Before).unwrap();
        assert!(erased);
        assert_eq!(opened.get("name"), None);
        assert_eq!(opened["status"], "active");
    }

    #[test]
    fn a_key_opens_its_own_row_and_part_only() {
        let (key, row) = (new_key(), Uuid::now_v7());
        let (sealed, _) = seal(state(), &key, row, Part::Before).unwrap();
        let stored = sealed.to_string();
        assert!(open(&stored, Some(&key), Uuid::now_v7(), Part::Before).is_err());
        assert!(open(&stored, Some(&key), row, Part::After).is_err());
        assert!(open(&stored, Some(&new_key()), row, Part::Before).is_err());
    }

    #[test]
    fn a_state_without_personal_fields_is_stored_as_it_is() {
        let state = json!({"id": "x", "status": "paid", "total_cents": 1});
        let (sealed, any) = seal(state.clone(), &new_key(), Uuid::now_v7(), Part::After).unwrap();
        assert!(!any);
        assert_eq!(sealed, state);
    }

    #[test]
    fn the_parties_of_a_state_are_the_people_it_is_about() {
        let mentor = Uuid::now_v7();
        let student = Uuid::now_v7();
        let state =
            json!({"mentor_id": mentor, "student_id": student, "reviewed_by": Uuid::now_v7()});
        assert_eq!(parties(&state), vec![mentor, student]);
    }
}

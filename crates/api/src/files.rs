//! The store of onboarding files: a local folder, every file encrypted at rest with AES-256-GCM
//! under a key from the configuration, named by the server (a random id), never served from a
//! public URL. Disk work runs on the blocking pool, never on the async threads.

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::Rng;

use crate::error::ApiError;

/// Bytes of the random nonce stored in front of each file's ciphertext.
const NONCE_LEN: usize = 12;

/// Encrypted files in one folder.
#[derive(Clone)]
pub struct FileStore {
    dir: PathBuf,
    cipher: Aes256Gcm,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

impl FileStore {
    /// A store in `dir` (created if missing) with a 32-byte key.
    pub fn new(dir: PathBuf, key: &[u8; 32]) -> Result<Self, ApiError> {
        std::fs::create_dir_all(&dir).map_err(|e| internal(format!("{}: {e}", dir.display())))?;
        let cipher = Aes256Gcm::new_from_slice(key).map_err(internal)?;
        Ok(FileStore { dir, cipher })
    }

    /// Server-made names only: a key is a UUID, so no client text ever reaches a path.
    fn path_of(&self, key: &str) -> Result<PathBuf, ApiError> {
        let id: uuid::Uuid = key
            .parse()
            .map_err(|_| internal(format!("bad file key {key}")))?;
        Ok(self.dir.join(id.simple().to_string()))
    }

    /// Encrypts and writes `content`; returns its key.
    pub async fn put(&self, content: Vec<u8>) -> Result<String, ApiError> {
        let key = uuid::Uuid::now_v7().to_string();
        let path = self.path_of(&key)?;
        let cipher = self.cipher.clone();
        tokio::task::spawn_blocking(move || write_encrypted(&cipher, &path, &content))
            .await
            .map_err(internal)??;
        Ok(key)
    }

    /// Reads and decrypts the file of `key`.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, ApiError> {
        let path = self.path_of(key)?;
        let cipher = self.cipher.clone();
        tokio::task::spawn_blocking(move || read_encrypted(&cipher, &path))
            .await
            .map_err(internal)?
    }

    /// Deletes the file of `key`; a file already gone is fine.
    pub async fn delete(&self, key: &str) -> Result<(), ApiError> {
        let path = self.path_of(key)?;
        tokio::task::spawn_blocking(move || match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(internal(e)),
            _ => Ok(()),
        })
        .await
        .map_err(internal)?
    }
}

fn write_encrypted(cipher: &Aes256Gcm, path: &Path, content: &[u8]) -> Result<(), ApiError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), content)
        .map_err(internal)?;
    // Written aside, flushed to the disk, then renamed, and the rename flushed too: an upload
    // that was acknowledged survives a power cut, and a crash never leaves half a file under a
    // real key.
    let partial = path.with_extension("partial");
    let mut file = std::fs::File::create(&partial).map_err(internal)?;
    file.write_all(&nonce).map_err(internal)?;
    file.write_all(&sealed).map_err(internal)?;
    file.sync_all().map_err(internal)?;
    std::fs::rename(&partial, path).map_err(internal)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(internal)
}

fn read_encrypted(cipher: &Aes256Gcm, path: &Path) -> Result<Vec<u8>, ApiError> {
    let bytes = std::fs::read(path).map_err(internal)?;
    if bytes.len() < NONCE_LEN {
        return Err(internal("stored file is truncated"));
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(internal)?;
    cipher
        .decrypt(&Nonce::from(nonce), sealed)
        .map_err(|_| internal("stored file fails authentication"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn files_round_trip_encrypted_and_are_deleted() {
        let dir = std::env::temp_dir().join(format!("files-{}", uuid::Uuid::now_v7()));
        let store = FileStore::new(dir.clone(), &[7u8; 32]).unwrap();
        let content = b"%PDF-1.7 a criminal record extract".to_vec();
        let key = store.put(content.clone()).await.unwrap();
        let on_disk = std::fs::read(store.path_of(&key).unwrap()).unwrap();
        assert!(
            !on_disk.windows(8).any(|w| w == b"%PDF-1.7"),
            "stored in clear"
        );
        assert_eq!(store.get(&key).await.unwrap(), content);
        let other_key = FileStore::new(dir.clone(), &[8u8; 32]).unwrap();
        assert!(
            other_key.get(&key).await.is_err(),
            "decrypts with another key"
        );
        store.delete(&key).await.unwrap();
        assert!(store.get(&key).await.is_err());
        store.delete(&key).await.unwrap();
        assert!(store.path_of("../../etc/passwd").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}

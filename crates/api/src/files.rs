//! The store of onboarding files (and prepared exports), behind one interface with two places:
//! a local folder (the default, for one instance or a shared disk) or an S3-compatible bucket
//! (several instances on several machines). Either way every file is encrypted by the API
//! before it leaves it, with AES-256-GCM under a key from the configuration, named by the server
//! (a random id), never served from a public URL. Disk work and encryption run on the blocking
//! pool, never on the async threads.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use rand::Rng;

use crate::error::ApiError;

/// Bytes of the random nonce stored in front of each file's ciphertext.
const NONCE_LEN: usize = 12;

/// Where the encrypted files are kept.
#[derive(Clone)]
enum Place {
    /// One file per key in a folder.
    Folder(PathBuf),
    /// One object per key under a prefix of a bucket.
    Objects {
        store: Arc<dyn ObjectStore>,
        prefix: String,
    },
}

/// Encrypted files, in a folder or a bucket.
#[derive(Clone)]
pub struct FileStore {
    place: Place,
    cipher: Aes256Gcm,
}

/// Where an S3-compatible bucket is and how to reach it.
#[derive(Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    /// Keys are put under it (`mentorship/`); empty for the bucket's root.
    pub prefix: String,
    /// The service's URL for an S3-compatible store other than AWS; `None` for AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Plain HTTP to the endpoint (a store on the same machine or network).
    pub allow_http: bool,
}

/// Everything but the secret key, which no log shows.
impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// Server-made names only: a key is a UUID, so no client text ever reaches a path.
fn name_of(key: &str) -> Result<String, ApiError> {
    let id: uuid::Uuid = key
        .parse()
        .map_err(|_| internal(format!("bad file key {key}")))?;
    Ok(id.simple().to_string())
}

impl FileStore {
    /// A store in `dir` (created if missing) with a 32-byte key.
    pub fn new(dir: PathBuf, key: &[u8; 32]) -> Result<Self, ApiError> {
        std::fs::create_dir_all(&dir).map_err(|e| internal(format!("{}: {e}", dir.display())))?;
        let cipher = Aes256Gcm::new_from_slice(key).map_err(internal)?;
        Ok(FileStore {
            place: Place::Folder(dir),
            cipher,
        })
    }

    /// A store in an S3-compatible bucket with a 32-byte key.
    pub fn in_bucket(bucket: &Bucket, key: &[u8; 32]) -> Result<Self, ApiError> {
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&bucket.name)
            .with_region(&bucket.region)
            .with_access_key_id(&bucket.access_key_id)
            .with_secret_access_key(&bucket.secret_access_key)
            .with_allow_http(bucket.allow_http);
        if let Some(endpoint) = &bucket.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        let store = builder.build().map_err(internal)?;
        let cipher = Aes256Gcm::new_from_slice(key).map_err(internal)?;
        Ok(FileStore {
            place: Place::Objects {
                store: Arc::new(store),
                prefix: bucket.prefix.trim_matches('/').to_owned(),
            },
            cipher,
        })
    }

    /// A secret the server must read back (a webhook's signing secret), encrypted under the
    /// same key as the files, as base64 text for a database column.
    pub fn seal_secret(&self, secret: &str) -> Result<String, ApiError> {
        use base64::Engine;
        let sealed = seal(&self.cipher, secret.as_bytes())?;
        Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
    }

    /// The secret [`FileStore::seal_secret`] sealed.
    pub fn open_secret(&self, sealed: &str) -> Result<String, ApiError> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(internal)?;
        String::from_utf8(open(&self.cipher, &bytes)?).map_err(internal)
    }

    /// The folder path of a key, in a folder store.
    fn path_of(dir: &Path, key: &str) -> Result<PathBuf, ApiError> {
        Ok(dir.join(name_of(key)?))
    }

    /// The object path of a key, in a bucket.
    fn object_of(prefix: &str, key: &str) -> Result<ObjectPath, ApiError> {
        let name = name_of(key)?;
        let full = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        ObjectPath::parse(full).map_err(internal)
    }

    /// Encrypts and keeps `content`; returns its key.
    pub async fn put(&self, content: Vec<u8>) -> Result<String, ApiError> {
        let key = uuid::Uuid::now_v7().to_string();
        let cipher = self.cipher.clone();
        match &self.place {
            Place::Folder(dir) => {
                let path = Self::path_of(dir, &key)?;
                blocking(move || write_encrypted(&cipher, &path, &content)).await?;
            }
            Place::Objects { store, prefix } => {
                let object = Self::object_of(prefix, &key)?;
                let sealed = blocking(move || seal(&cipher, &content)).await?;
                store.put(&object, sealed.into()).await.map_err(internal)?;
            }
        }
        Ok(key)
    }

    /// Reads and decrypts the file of `key`.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>, ApiError> {
        let cipher = self.cipher.clone();
        match &self.place {
            Place::Folder(dir) => {
                let path = Self::path_of(dir, key)?;
                blocking(move || open(&cipher, &std::fs::read(&path).map_err(internal)?)).await
            }
            Place::Objects { store, prefix } => {
                let object = Self::object_of(prefix, key)?;
                let found = store.get(&object).await.map_err(internal)?;
                let bytes = found.bytes().await.map_err(internal)?;
                blocking(move || open(&cipher, &bytes)).await
            }
        }
    }

    /// Deletes the file of `key`; a file already gone is fine.
    pub async fn delete(&self, key: &str) -> Result<(), ApiError> {
        match &self.place {
            Place::Folder(dir) => {
                let path = Self::path_of(dir, key)?;
                blocking(move || match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(internal(e)),
                    _ => Ok(()),
                })
                .await
            }
            Place::Objects { store, prefix } => {
                let object = Self::object_of(prefix, key)?;
                match store.delete(&object).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(internal(e)),
                }
            }
        }
    }
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(internal)?
}

/// `content` encrypted under a random nonce, the nonce in front.
fn seal(cipher: &Aes256Gcm, content: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), content)
        .map_err(internal)?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The content of what [`seal`] made, authenticated.
fn open(cipher: &Aes256Gcm, bytes: &[u8]) -> Result<Vec<u8>, ApiError> {
    if bytes.len() < NONCE_LEN {
        return Err(internal("stored file is truncated"));
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(internal)?;
    cipher
        .decrypt(&Nonce::from(nonce), sealed)
        .map_err(|_| internal("stored file fails authentication"))
}

fn write_encrypted(cipher: &Aes256Gcm, path: &Path, content: &[u8]) -> Result<(), ApiError> {
    let sealed = seal(cipher, content)?;
    // Written aside, flushed to the disk, then renamed, and the rename flushed too: an upload
    // that was acknowledged survives a power cut, and a crash never leaves half a file under a
    // real key.
    let partial = path.with_extension("partial");
    let mut file = std::fs::File::create(&partial).map_err(internal)?;
    file.write_all(&sealed).map_err(internal)?;
    file.sync_all().map_err(internal)?;
    std::fs::rename(&partial, path).map_err(internal)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(internal)
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
        let on_disk = std::fs::read(dir.join(name_of(&key).unwrap())).unwrap();
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
        assert!(name_of("../../etc/passwd").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}

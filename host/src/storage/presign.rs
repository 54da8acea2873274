//! Presigned URLs for storage backends that have no signer of their own (the local filesystem
//! and memory): the host signs `METHOD bucket/key expiry` with HMAC-SHA256 and its own HTTP
//! API serves the URL (`/v1/storage/<bucket>/<key>?expires=…&signature=…`) after checking the
//! signature and the expiry. So local runs hand out URLs that behave like S3's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;
use url::Url;

use super::ObjectKey;

/// The HTTP method a presigned URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresignMethod {
    /// Read the object.
    Get,
    /// Write the object.
    Put,
}

impl PresignMethod {
    fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
        }
    }
}

/// Why a presigned request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresignError {
    /// The URL's expiry has passed.
    #[error("the presigned URL expired")]
    Expired,
    /// The signature does not match (tampered, or signed by another key).
    #[error("the presigned URL's signature is not valid")]
    BadSignature,
}

/// Longest lifetime of a presigned URL: seven days, like S3's.
pub const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// Characters left as they are in a URL path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Signs and verifies the host's own presigned URLs.
#[derive(Clone)]
pub struct HmacSigner {
    key: Vec<u8>,
    base_url: Url,
}

impl std::fmt::Debug for HmacSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HmacSigner")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl HmacSigner {
    /// A signer with a secret `key` whose URLs point at `base_url` (the host's HTTP API).
    pub fn new(key: Vec<u8>, base_url: Url) -> Self {
        Self { key, base_url }
    }

    /// A URL that allows `method` on `bucket/key` for `expires_in` (capped at [`MAX_EXPIRY`]).
    pub fn sign(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Url {
        let expires = unix_now().saturating_add(expires_in.min(MAX_EXPIRY).as_secs());
        let signature = hex::encode(self.mac(method, bucket, key.as_str(), expires));
        let mut path = self.base_url.path().trim_end_matches('/').to_owned();
        path.push_str("/v1/storage/");
        path.push_str(&utf8_percent_encode(bucket, SEGMENT).to_string());
        for segment in key.as_str().split('/') {
            path.push('/');
            path.push_str(&utf8_percent_encode(segment, SEGMENT).to_string());
        }
        let mut url = self.base_url.clone();
        url.set_path(&path);
        url.query_pairs_mut()
            .clear()
            .append_pair("method", method.as_str())
            .append_pair("expires", &expires.to_string())
            .append_pair("signature", &signature);
        url
    }

    /// Checks a request for `bucket/key` against the `expires` and `signature` of its URL.
    pub fn verify(
        &self,
        method: PresignMethod,
        bucket: &str,
        key: &ObjectKey,
        expires: u64,
        signature_hex: &str,
    ) -> Result<(), PresignError> {
        let signature = hex::decode(signature_hex).map_err(|_| PresignError::BadSignature)?;
        let mut mac = self.keyed();
        feed(&mut mac, method, bucket, key.as_str(), expires);
        mac.verify_slice(&signature)
            .map_err(|_| PresignError::BadSignature)?;
        if unix_now() > expires {
            return Err(PresignError::Expired);
        }
        Ok(())
    }

    fn keyed(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length")
    }

    fn mac(&self, method: PresignMethod, bucket: &str, key: &str, expires: u64) -> Vec<u8> {
        let mut mac = self.keyed();
        feed(&mut mac, method, bucket, key, expires);
        mac.finalize().into_bytes().to_vec()
    }
}

fn feed(mac: &mut Hmac<Sha256>, method: PresignMethod, bucket: &str, key: &str, expires: u64) {
    mac.update(method.as_str().as_bytes());
    mac.update(b"\n");
    mac.update(bucket.as_bytes());
    mac.update(b"/");
    mac.update(key.as_bytes());
    mac.update(b"\n");
    mac.update(expires.to_string().as_bytes());
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(key: &[u8]) -> HmacSigner {
        HmacSigner::new(key.to_vec(), Url::parse("http://127.0.0.1:8080/").unwrap())
    }

    fn query(url: &Url, name: &str) -> String {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    }

    #[test]
    fn a_signed_url_verifies_and_names_the_object() {
        let s = signer(b"secret");
        let key = ObjectKey::parse("a b/c.json").unwrap();
        let url = s.sign(PresignMethod::Get, "results", &key, Duration::from_secs(60));
        assert_eq!(url.path(), "/v1/storage/results/a%20b/c.json");
        let expires: u64 = query(&url, "expires").parse().unwrap();
        let sig = query(&url, "signature");
        assert_eq!(
            s.verify(PresignMethod::Get, "results", &key, expires, &sig),
            Ok(())
        );
    }

    #[test]
    fn tampering_or_another_key_or_method_is_refused() {
        let s = signer(b"secret");
        let key = ObjectKey::parse("x").unwrap();
        let url = s.sign(PresignMethod::Get, "results", &key, Duration::from_secs(60));
        let expires: u64 = query(&url, "expires").parse().unwrap();
        let sig = query(&url, "signature");
        let other = ObjectKey::parse("y").unwrap();
        let bad = Err(PresignError::BadSignature);
        assert_eq!(
            s.verify(PresignMethod::Get, "results", &other, expires, &sig),
            bad
        );
        assert_eq!(
            s.verify(PresignMethod::Put, "results", &key, expires, &sig),
            bad
        );
        assert_eq!(
            s.verify(PresignMethod::Get, "results", &key, expires + 1, &sig),
            bad
        );
        assert_eq!(
            signer(b"other").verify(PresignMethod::Get, "results", &key, expires, &sig),
            bad
        );
        assert_eq!(
            s.verify(PresignMethod::Get, "results", &key, expires, "zz"),
            bad
        );
    }

    #[test]
    fn an_expired_url_is_refused() {
        let s = signer(b"secret");
        let key = ObjectKey::parse("x").unwrap();
        let expires = unix_now() - 10;
        let sig = hex::encode(s.mac(PresignMethod::Get, "b", "x", expires));
        assert_eq!(
            s.verify(PresignMethod::Get, "b", &key, expires, &sig),
            Err(PresignError::Expired)
        );
    }
}

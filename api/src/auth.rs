//! Bearer-token auth: producer tokens may submit and read tasks, admin tokens may do everything.
//!
//! Tokens are kept as SHA-256 digests and compared in constant time, so neither the token
//! length nor a shared prefix leaks through timing. With no token configured the API is open
//! (the host then listens on loopback only, see DESIGN.md).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use warp::http::HeaderMap;
use warp::http::header::AUTHORIZATION;

use crate::error::ApiError;

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Submit and read tasks: a producer or an admin token.
    Producer,
    /// Operator and remote-worker routes: an admin token.
    Admin,
}

/// The configured tokens.
#[derive(Clone, Default)]
pub struct Auth {
    producer: Vec<[u8; 32]>,
    admin: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("producer_tokens", &self.producer.len())
            .field("admin_tokens", &self.admin.len())
            .finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn contains(digests: &[[u8; 32]], candidate: &[u8; 32]) -> bool {
    // Check every digest (no early exit) so the position of a match does not show either.
    digests.iter().fold(false, |found, known| {
        found | bool::from(known.ct_eq(candidate))
    })
}

impl Auth {
    /// No tokens: every route is open.
    pub fn open() -> Self {
        Self::default()
    }

    /// Producer and admin tokens (empty strings are ignored). When both lists are empty the
    /// API is open.
    pub fn new(producer_tokens: Vec<String>, admin_tokens: Vec<String>) -> Self {
        let keep = |tokens: Vec<String>| {
            tokens
                .iter()
                .filter(|token| !token.is_empty())
                .map(|token| digest(token))
                .collect()
        };
        Self {
            producer: keep(producer_tokens),
            admin: keep(admin_tokens),
        }
    }

    /// True when no token is configured.
    pub fn is_open(&self) -> bool {
        self.producer.is_empty() && self.admin.is_empty()
    }

    /// Checks the `Authorization: Bearer` header for `role`: 401 without a known token, 403
    /// for a producer token on an admin route.
    pub(crate) fn check(&self, headers: &HeaderMap, role: Role) -> Result<(), ApiError> {
        if self.is_open() {
            return Ok(());
        }
        let token = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(ApiError::Unauthorized)?;
        let candidate = digest(token);
        if contains(&self.admin, &candidate) {
            return Ok(());
        }
        if contains(&self.producer, &candidate) {
            return match role {
                Role::Producer => Ok(()),
                Role::Admin => Err(ApiError::Forbidden),
            };
        }
        Err(ApiError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value");
        headers.insert(AUTHORIZATION, value);
        headers
    }

    #[test]
    fn producer_token_is_forbidden_on_admin_routes() {
        let auth = Auth::new(vec!["p".into()], vec!["a".into()]);
        assert!(auth.check(&bearer("p"), Role::Producer).is_ok());
        assert!(matches!(
            auth.check(&bearer("p"), Role::Admin),
            Err(ApiError::Forbidden)
        ));
        assert!(auth.check(&bearer("a"), Role::Admin).is_ok());
        assert!(matches!(
            auth.check(&bearer("x"), Role::Producer),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            auth.check(&HeaderMap::new(), Role::Producer),
            Err(ApiError::Unauthorized)
        ));
    }

    #[test]
    fn empty_tokens_leave_the_api_open() {
        assert!(Auth::new(vec![String::new()], vec![]).is_open());
        assert!(Auth::open().check(&HeaderMap::new(), Role::Admin).is_ok());
    }
}

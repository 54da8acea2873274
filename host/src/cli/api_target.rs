//! Where `taskhost submit` and `taskhost dlq` send their requests: `--api` (or `TASKHOST_API`,
//! default the local host's API) with a bearer token from `--token` (or the environment).

use taskhost_api::ApiClient;

/// The default API address: a `taskhost run` on this machine with default settings.
pub(crate) const DEFAULT_API: &str = "http://127.0.0.1:8080";

/// The API and token flags shared by the client commands.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ApiTarget {
    /// The API of a running host.
    #[arg(long, env = "TASKHOST_API", default_value = DEFAULT_API)]
    api: String,
    /// Bearer token (submit: the producer token; dlq: the admin token).
    #[arg(long, env = "TASKHOST_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl ApiTarget {
    /// A client, or a one-line reason.
    pub(crate) fn client(&self, token_env: &str) -> Result<ApiClient, String> {
        let token = self
            .token
            .clone()
            .or_else(|| std::env::var(token_env).ok().filter(|t| !t.is_empty()));
        ApiClient::new(&self.api, token).map_err(|e| format!("--api {}: {e}", self.api))
    }

    /// The API's address, for messages.
    pub(crate) fn url(&self) -> &str {
        &self.api
    }
}

//! How a worker knows that a plan comes from a coordinator of its cluster: a
//! shared secret, sent by the coordinator as `authorization: Bearer …` on
//! every gRPC request and checked by the worker before anything is decoded.
//!
//! Both sides take it from `--cluster-secret` or the `CONVERSQL_CLUSTER_SECRET`
//! variable (the variable keeps it out of `ps`). A worker listening beyond
//! loopback refuses to start without one: whoever can reach it could otherwise
//! run any plan on it, reading whatever its object-store credentials reach.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::Result as DfResult;
use datafusion_distributed::grpc::{BoxCloneSyncChannel, DefaultChannelResolver};
use datafusion_distributed::{ChannelResolver, WorkerChannel};
use http::HeaderValue;
use ring::digest::{SHA256, digest};
use tonic::{Request, Status};
use url::Url;

use crate::error::{Error, Result};

/// The environment variable that holds the cluster's shared secret.
pub const SECRET_ENV: &str = "CONVERSQL_CLUSTER_SECRET";

/// The shortest secret accepted (bytes).
const MIN_SECRET_LEN: usize = 16;

/// The shared secret of a cluster.
#[derive(Clone)]
pub struct ClusterSecret(Arc<str>);

impl std::fmt::Debug for ClusterSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClusterSecret(…)")
    }
}

impl ClusterSecret {
    /// A secret of at least 16 bytes, printable ASCII (it travels in an HTTP header).
    pub fn new(secret: &str) -> Result<Self> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(Error::InvalidSetting(format!(
                "the cluster secret must be at least {MIN_SECRET_LEN} characters long"
            )));
        }
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::InvalidSetting(
                "the cluster secret must be printable ASCII without spaces".into(),
            ));
        }
        Ok(ClusterSecret(secret.into()))
    }

    /// The secret of a flag or variable that may be unset.
    pub fn from_setting(secret: Option<&str>) -> Result<Option<Self>> {
        secret.map(ClusterSecret::new).transpose()
    }

    /// The `authorization` header a coordinator sends.
    pub fn header_value(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("Bearer {}", self.0))
            .expect("a printable ASCII secret is a valid header value")
    }

    /// Whether a request's `authorization` value carries this secret (in constant time).
    fn accepts(&self, authorization: &[u8]) -> bool {
        let expected = digest(&SHA256, self.header_value().as_bytes());
        let given = digest(&SHA256, authorization);
        expected
            .as_ref()
            .iter()
            .zip(given.as_ref())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// The worker's check of every request: with a secret, a request without it
/// is refused as `UNAUTHENTICATED`; without one (a loopback worker), every
/// request is let through.
pub fn check_requests(
    secret: Option<ClusterSecret>,
) -> impl Fn(Request<()>) -> std::result::Result<Request<()>, Status> + Clone {
    move |request: Request<()>| {
        let Some(secret) = &secret else {
            return Ok(request);
        };
        let given = request
            .metadata()
            .get("authorization")
            .map(|v| v.as_bytes().to_vec())
            .unwrap_or_default();
        if secret.accepts(&given) {
            Ok(request)
        } else {
            Err(Status::unauthenticated(
                "this conversql worker needs the cluster secret (--cluster-secret or CONVERSQL_CLUSTER_SECRET) of its coordinator",
            ))
        }
    }
}

/// Channels to workers that carry the secret on every request: the
/// coordinator's, and a worker's own when it reads another worker's stage.
/// Connections are made once per URL and kept.
#[derive(Clone, Default)]
pub struct SecretChannels {
    secret: Option<ClusterSecret>,
    channels: DefaultChannelResolver,
}

impl SecretChannels {
    /// Channels sending `secret` (none: plain channels, for a loopback cluster).
    pub fn new(secret: Option<ClusterSecret>) -> Self {
        SecretChannels {
            secret,
            channels: DefaultChannelResolver::default(),
        }
    }

    /// The client of the worker at `url`.
    pub async fn client(&self, url: &Url) -> DfResult<Box<dyn WorkerChannel>> {
        let channel = self.channels.get_channel(url).await?;
        let channel = match &self.secret {
            None => channel,
            Some(secret) => {
                let value = secret.header_value();
                BoxCloneSyncChannel::new(
                    tower::ServiceBuilder::new()
                        .map_request(move |mut request: http::Request<tonic::body::Body>| {
                            request
                                .headers_mut()
                                .insert(http::header::AUTHORIZATION, value.clone());
                            request
                        })
                        .service(channel),
                )
            }
        };
        Ok(datafusion_distributed::grpc::create_worker_client(channel))
    }
}

#[async_trait]
impl ChannelResolver for SecretChannels {
    async fn get_worker_client_for_url(&self, url: &Url) -> DfResult<Box<dyn WorkerChannel>> {
        self.client(url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_unprintable_secrets_are_refused() {
        assert!(ClusterSecret::new("short").is_err());
        assert!(ClusterSecret::new("sixteen chars ok").is_err(), "a space");
        assert!(ClusterSecret::new("0123456789abcdef").is_ok());
    }

    #[test]
    fn only_the_same_secret_is_accepted() {
        let secret = ClusterSecret::new("0123456789abcdef").unwrap();
        assert!(secret.accepts(b"Bearer 0123456789abcdef"));
        assert!(!secret.accepts(b"Bearer 0123456789abcdeg"));
        assert!(!secret.accepts(b"0123456789abcdef"));
        assert!(!secret.accepts(b""));
    }

    #[test]
    fn the_check_refuses_a_request_without_the_secret() {
        let check = check_requests(Some(ClusterSecret::new("0123456789abcdef").unwrap()));
        let status = check(Request::new(())).unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        let mut request = Request::new(());
        request
            .metadata_mut()
            .insert("authorization", "Bearer 0123456789abcdef".parse().unwrap());
        assert!(check(request).is_ok());
        assert!(check_requests(None)(Request::new(())).is_ok());
    }
}

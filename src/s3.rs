//! How conversql reaches an S3-compatible object store: endpoint, region,
//! credentials, retries and timeouts. Each setting comes from a flag of
//! `serve`/`query` or else from the usual `AWS_*` variable
//! (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), as the AWS tools read them.

use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::{BackoffConfig, ClientOptions, RetryConfig};

/// Settings of the S3 client; `None` fields fall back to the `AWS_*` variables or defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct S3Options {
    /// The endpoint URL of an S3-compatible server (`http://127.0.0.1:9000`); AWS if unset.
    pub endpoint: Option<String>,
    /// The region; `us-east-1` when neither this nor `AWS_REGION`/`AWS_DEFAULT_REGION` is set.
    pub region: Option<String>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<String>,
    /// How many times a failed request is retried (with exponential back-off).
    pub max_retries: usize,
    /// The longest time spent retrying one request.
    pub retry_timeout: Duration,
    /// The time limit of one request.
    pub request_timeout: Duration,
    /// The time limit of connecting to the endpoint.
    pub connect_timeout: Duration,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            endpoint: None,
            region: None,
            access_key_id: None,
            secret_access_key: None,
            max_retries: 3,
            retry_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl S3Options {
    /// The store of `bucket`, configured from these options over the `AWS_*` variables.
    pub fn build(&self, bucket: &str) -> Result<AmazonS3, object_store::Error> {
        // The HTTP client's TLS needs a process-wide crypto provider; conversql
        // builds rustls with `ring` only. Installing it again is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let endpoint = self
            .endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT").ok());
        // Client options replace the builder's, so plain HTTP is allowed here, for http:// endpoints.
        let mut client = ClientOptions::new()
            .with_timeout(self.request_timeout)
            .with_connect_timeout(self.connect_timeout);
        if let Some(endpoint) = endpoint {
            client = client.with_allow_http(endpoint.starts_with("http://"));
            // S3-compatible servers (MinIO, moto, Ceph) are addressed by path, not by virtual host.
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        if let Some(region) = &self.region {
            builder = builder.with_region(region);
        } else if std::env::var("AWS_REGION").is_err()
            && std::env::var("AWS_DEFAULT_REGION").is_err()
        {
            builder = builder.with_region("us-east-1");
        }
        if let Some(key) = &self.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &self.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let retry = RetryConfig {
            max_retries: self.max_retries,
            retry_timeout: self.retry_timeout,
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
        };
        builder
            .with_retry(retry)
            .with_client_options(client)
            .build()
    }
}

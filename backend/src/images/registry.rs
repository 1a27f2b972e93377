//! A minimal async client for the Docker Registry HTTP API v2 (plain http): push a one-layer image,
//! read manifests and blobs back.

use std::time::Duration;

use anyhow::{bail, Context};
use reqwest::{header, Client, Response, StatusCode};

use super::image::{manifest_json, sha256_digest, Layer, MANIFEST_V2};

/// Largest manifest read (registries cap theirs at 4 MiB too).
const MAX_MANIFEST_BYTES: usize = 4 << 20;
/// Largest error body kept for a message.
const MAX_ERROR_BYTES: usize = 64 << 10;

/// Client for one registry, e.g. `http://127.0.0.1:5000`.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    base: String,
    http: Client,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq)]
pub struct PushReport {
    /// Digest of the manifest now behind every tag.
    pub manifest_digest: String,
    /// Blobs actually uploaded (the others were already in the registry).
    pub uploaded_blobs: usize,
    /// Size of the compressed layer blob in bytes.
    pub layer_size: u64,
}

impl RegistryClient {
    /// A client for the registry at `base_url` (`http://host:port`, no trailing `/v2`).
    pub fn new(base_url: &str) -> RegistryClient {
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(600))
            .build()
            .expect("reqwest client without TLS always builds");
        RegistryClient {
            base: base_url.trim_end_matches('/').to_string(),
            http,
        }
    }

    /// Base URL this client talks to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Whether a v2 registry answers `GET /v2/` with 200.
    pub async fn ping(&self) -> bool {
        let response = self
            .http
            .get(format!("{}/v2/", self.base))
            .timeout(Duration::from_secs(2));
        matches!(response.send().await, Ok(r) if r.status() == StatusCode::OK)
    }

    /// Whether `repo` already holds the blob `digest`.
    pub async fn blob_exists(&self, repo: &str, digest: &str) -> anyhow::Result<bool> {
        let url = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        let response = self
            .http
            .head(&url)
            .send()
            .await
            .with_context(|| format!("HEAD {url}"))?;
        exists(response, &url)
    }

    /// Uploads a blob (monolithic: POST for an upload URL, then PUT with the digest) unless the
    /// registry already has it. Returns whether it was uploaded.
    pub async fn upload_blob(&self, repo: &str, data: Vec<u8>) -> anyhow::Result<bool> {
        let digest = sha256_digest(&data);
        if self.blob_exists(repo, &digest).await? {
            return Ok(false);
        }
        let url = format!("{}/v2/{repo}/blobs/uploads/", self.base);
        let started = check(
            self.http.post(&url).send().await,
            &url,
            StatusCode::ACCEPTED,
        )
        .await?;
        let location = started
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .with_context(|| format!("POST {url}: no Location header in the answer"))?;
        let location = absolute(&self.base, location);
        let mut put_url = reqwest::Url::parse(&location).with_context(|| format!("POST {url}: bad Location {location:?}"))?;
        put_url.query_pairs_mut().append_pair("digest", &digest);
        let request = self
            .http
            .put(put_url.as_str())
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(data);
        check(request.send().await, put_url.as_str(), StatusCode::CREATED).await?;
        Ok(true)
    }

    /// Stores `manifest` under `repo:tag`; returns its digest.
    pub async fn put_manifest(
        &self,
        repo: &str,
        tag: &str,
        manifest: &[u8],
    ) -> anyhow::Result<String> {
        let url = format!("{}/v2/{repo}/manifests/{tag}", self.base);
        let request = self
            .http
            .put(&url)
            .header(header::CONTENT_TYPE, MANIFEST_V2)
            .body(manifest.to_vec());
        check(request.send().await, &url, StatusCode::CREATED).await?;
        Ok(sha256_digest(manifest))
    }

    /// Digest of the manifest behind `repo:tag`, `None` when the tag does not exist.
    pub async fn manifest_digest(&self, repo: &str, tag: &str) -> anyhow::Result<Option<String>> {
        let url = format!("{}/v2/{repo}/manifests/{tag}", self.base);
        let request = self.http.head(&url).header(header::ACCEPT, MANIFEST_V2);
        let response = request
            .send()
            .await
            .with_context(|| format!("HEAD {url}"))?;
        let digest = response
            .headers()
            .get("Docker-Content-Digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(if exists(response, &url)? {
            digest
        } else {
            None
        })
    }

    /// The manifest bytes behind `repo:reference` (a tag or a digest).
    pub async fn get_manifest(&self, repo: &str, reference: &str) -> anyhow::Result<Vec<u8>> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let request = self.http.get(&url).header(header::ACCEPT, MANIFEST_V2);
        let response = check(request.send().await, &url, StatusCode::OK).await?;
        let (bytes, cut) = read_capped(response, MAX_MANIFEST_BYTES).await.with_context(|| format!("GET {url}"))?;
        if cut {
            bail!("GET {url}: the manifest is larger than {MAX_MANIFEST_BYTES} bytes");
        }
        Ok(bytes)
    }

    /// The bytes of blob `digest` in `repo`.
    pub async fn get_blob(&self, repo: &str, digest: &str) -> anyhow::Result<Vec<u8>> {
        let url = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        let response = check(self.http.get(&url).send().await, &url, StatusCode::OK).await?;
        Ok(response
            .bytes()
            .await
            .with_context(|| format!("GET {url}"))?
            .to_vec())
    }

    /// Pushes a one-layer image: layer and config blobs (skipped when present), then one manifest
    /// per tag.
    pub async fn push_image(
        &self,
        repo: &str,
        tags: &[String],
        layer: &Layer,
        config: &[u8],
    ) -> anyhow::Result<PushReport> {
        let mut uploaded_blobs = 0;
        for blob in [layer.blob.clone(), config.to_vec()] {
            uploaded_blobs += usize::from(self.upload_blob(repo, blob).await?);
        }
        let manifest = manifest_json(config, layer);
        let mut manifest_digest = sha256_digest(&manifest);
        for tag in tags {
            manifest_digest = self.put_manifest(repo, tag, &manifest).await?;
        }
        let layer_size = layer.blob.len() as u64;
        Ok(PushReport {
            manifest_digest,
            uploaded_blobs,
            layer_size,
        })
    }
}

/// At most `max` bytes of a response body (read chunk by chunk, never more held), and whether
/// the body was longer.
async fn read_capped(mut response: Response, max: usize) -> reqwest::Result<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max - out.len();
        if chunk.len() > room {
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, false))
}

/// Turns a Location header (absolute or relative to the registry) into a full URL.
fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else {
        format!("{base}/{}", location.trim_start_matches('/'))
    }
}

/// 200 → true, 404 → false, anything else is an error.
fn exists(response: Response, url: &str) -> anyhow::Result<bool> {
    match response.status() {
        StatusCode::OK => Ok(true),
        StatusCode::NOT_FOUND => Ok(false),
        status => bail!("HEAD {url}: unexpected status {status}"),
    }
}

/// Checks that a request was answered with `want`; otherwise an error with the registry's body.
async fn check(
    sent: reqwest::Result<Response>,
    url: &str,
    want: StatusCode,
) -> anyhow::Result<Response> {
    let response = sent.with_context(|| format!("cannot reach the registry at {url}"))?;
    if response.status() == want {
        return Ok(response);
    }
    let status = response.status();
    let (body, _) = read_capped(response, MAX_ERROR_BYTES).await.unwrap_or_default();
    let body = String::from_utf8_lossy(&body);
    bail!(
        "{url}: registry answered {status} (expected {want}): {}",
        body.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_headers_become_absolute_urls() {
        let base = "http://127.0.0.1:5000";
        assert_eq!(
            absolute(base, "/v2/library/x/blobs/uploads/u1?_state=s"),
            "http://127.0.0.1:5000/v2/library/x/blobs/uploads/u1?_state=s"
        );
        assert_eq!(absolute(base, "http://h:1/v2/u"), "http://h:1/v2/u");
    }

    #[test]
    fn base_url_loses_its_trailing_slash() {
        assert_eq!(
            RegistryClient::new("http://r:5000/").base_url(),
            "http://r:5000"
        );
    }

    #[tokio::test]
    async fn an_unreachable_registry_is_a_clear_error() {
        // Port 9 (discard) on localhost is closed here: the connection is refused at once.
        let client = RegistryClient::new("http://127.0.0.1:9");
        assert!(!client.ping().await);
        let err = client.get_blob("library/x", "sha256:00").await.unwrap_err();
        assert!(
            format!("{err:#}").contains("cannot reach the registry"),
            "{err:#}"
        );
    }

    #[tokio::test]
    async fn manifests_and_error_bodies_are_read_up_to_a_cap() {
        use axum::routing::get;
        let app = axum::Router::new()
            .route("/v2/library/x/manifests/small", get(|| async { "{}" }))
            .route("/v2/library/x/manifests/big", get(|| async { vec![b'm'; 5 << 20] }))
            .route(
                "/v2/library/x/manifests/err",
                get(|| async { (axum::http::StatusCode::BAD_REQUEST, "e".repeat(1 << 20)) }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let client = RegistryClient::new(&base);
        assert_eq!(client.get_manifest("library/x", "small").await.unwrap(), b"{}");
        let err = client.get_manifest("library/x", "big").await.unwrap_err();
        assert!(format!("{err:#}").contains("larger than 4194304 bytes"), "{err:#}");
        let err = format!("{:#}", client.get_manifest("library/x", "err").await.unwrap_err());
        assert!(err.contains("registry answered 400") && err.len() < (64 << 10) + 200, "{} bytes", err.len());
    }

    #[tokio::test]
    async fn a_blob_upload_appends_the_encoded_digest_to_the_upload_url() {
        use axum::routing::{head, post, put};
        use std::sync::{Arc, Mutex};
        let seen = Arc::new(Mutex::new(String::new()));
        let s = seen.clone();
        let app = axum::Router::new()
            .route("/v2/library/x/blobs/{d}", head(|| async { axum::http::StatusCode::NOT_FOUND }))
            .route(
                "/v2/library/x/blobs/uploads/",
                post(|| async { (axum::http::StatusCode::ACCEPTED, [(header::LOCATION, "/v2/library/x/blobs/uploads/u1?_state=a%2Bb")]) }),
            )
            .route(
                "/v2/library/x/blobs/uploads/u1",
                put(move |uri: axum::http::Uri| async move {
                    *s.lock().unwrap() = uri.query().unwrap_or_default().to_string();
                    axum::http::StatusCode::CREATED
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        assert!(RegistryClient::new(&base).upload_blob("library/x", b"hi".to_vec()).await.unwrap());
        let digest = sha256_digest(b"hi");
        let want = format!("_state=a%2Bb&digest={}", digest.replace(':', "%3A"));
        assert_eq!(*seen.lock().unwrap(), want);
    }
}

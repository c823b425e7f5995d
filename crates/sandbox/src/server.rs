//! The sandbox's HTTP front: one loopback listener serving EKS (REST-JSON), STS (query/XML), each
//! cluster's Kubernetes API under `/k8s/<cluster>`, and a control API under `/_sandbox`.
//! Routes match the raw path and decode each label after, as EKS does, so ARNs with paths (`%2F`)
//! stay one label. Faults are applied here, around the operations.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::response::Response;
use axum::routing::{any, delete, get, post};
use futures_util::future::BoxFuture;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::eks::{self, Call, EksError};
use super::faults::{Counters, Faults, Injected};
use super::world::{World, now_ms};
use super::{access, kube, sts};
use accessctl_core::access::Outcome;

/// Everything the handlers share.
pub struct Shared {
    inner: Mutex<Inner>,
}

/// Runs once, just before the next Kubernetes write is served: a test plays another writer
/// that wins a race.
pub type WriteHook = Box<dyn FnOnce(&mut World) + Send>;

pub struct Inner {
    pub world: World,
    pub before_next_kube_write: Option<WriteHook>,
    pub faults: Faults,
    pub counters: Counters,
    pub rng: fastrand::Rng,
    pub state_file: Option<PathBuf>,
    /// EKS's request rate, per (account, region) of the signing credential.
    pub buckets: std::collections::HashMap<(String, String), Option<super::faults::Bucket>>,
}

impl Shared {
    pub fn new(inner: Inner) -> Arc<Shared> {
        Arc::new(Shared { inner: Mutex::new(inner) })
    }

    /// The state, even if a handler panicked while holding it (each request leaves it consistent).
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

const MAX_BODY: usize = 16 * 1024 * 1024;

/// The sandbox's routes: one per EKS operation, STS and IAM at `/`, each cluster's Kubernetes API
/// under `/k8s/{cluster}`, the control API under `/_sandbox`. Routes match the raw path, and
/// `Path` percent-decodes each label after, so an ARN's `%2F` stays inside its label.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", any(security_token_service))
        .route("/_sandbox/{*path}", any(control))
        .route("/k8s/{cluster}", any(kubernetes))
        .route("/k8s/{cluster}/{*path}", any(kubernetes))
        .route("/clusters", post(eks("CreateCluster")).get(eks("ListClusters")))
        .route("/clusters/{name}", get(eks("DescribeCluster")).delete(eks("DeleteCluster")))
        .route("/clusters/{name}/update-config", post(eks("UpdateClusterConfig")))
        .route("/clusters/{name}/updates", get(eks("ListUpdates")))
        .route("/clusters/{name}/updates/{id}", get(eks("DescribeUpdate")))
        .route("/clusters/{name}/access-entries", post(eks("CreateAccessEntry")).get(eks("ListAccessEntries")))
        .route(
            "/clusters/{name}/access-entries/{principal}",
            get(eks("DescribeAccessEntry")).post(eks("UpdateAccessEntry")).delete(eks("DeleteAccessEntry")),
        )
        .route(
            "/clusters/{name}/access-entries/{principal}/access-policies",
            post(eks("AssociateAccessPolicy")).get(eks("ListAssociatedAccessPolicies")),
        )
        .route(
            "/clusters/{name}/access-entries/{principal}/access-policies/{policy}",
            delete(eks("DisassociateAccessPolicy")),
        )
        .route("/access-policies", get(eks("ListAccessPolicies")))
        .route("/tags/{arn}", post(eks("TagResource")).delete(eks("UntagResource")).get(eks("ListTagsForResource")))
        .fallback(unknown_operation)
        .method_not_allowed_fallback(unknown_operation)
        .with_state(shared)
}

/// A request's method, headers, query and body (bounded).
struct Parts {
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
    query: Vec<(String, String)>,
    body: Bytes,
}

impl Parts {
    async fn of(req: Request<Body>) -> Result<Parts, Response> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"))?;
        let query = parts.uri.query().map(|q| serde_urlencoded::from_str(q).unwrap_or_default()).unwrap_or_default();
        Ok(Parts { method: parts.method, headers: parts.headers, uri: parts.uri, query, body })
    }

    /// The path's segments, each percent-decoded after splitting.
    fn segments(&self) -> Vec<String> {
        self.uri
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect()
    }
}

/// A route's parameters, in order, each (name, decoded value).
type Labels = Path<Vec<(String, String)>>;

/// One EKS call being served, counted while it is (how many a client sends at once).
struct InFlight<'s>(&'s Arc<Shared>);

impl<'s> InFlight<'s> {
    fn start(shared: &'s Arc<Shared>) -> InFlight<'s> {
        let mut inner = shared.lock();
        inner.counters.eks_in_flight += 1;
        inner.counters.eks_peak_in_flight = inner.counters.eks_peak_in_flight.max(inner.counters.eks_in_flight);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.counters.eks_in_flight = inner.counters.eks_in_flight.saturating_sub(1);
    }
}

/// The handler of one EKS operation; its labels are the route's parameters, in order.
fn eks(
    operation: &'static str,
) -> impl Fn(State<Arc<Shared>>, Labels, Request<Body>) -> BoxFuture<'static, Response> + Clone + Send + Sync + 'static
{
    move |State(shared), Path(labels), req| {
        Box::pin(async move {
            match Parts::of(req).await {
                Ok(parts) => {
                    let labels = labels.into_iter().map(|(_, value)| value).collect();
                    elastic_kubernetes_service(&shared, operation, labels, &parts).await
                }
                Err(response) => response,
            }
        })
    }
}

async fn unknown_operation(method: Method, uri: axum::http::Uri) -> Response {
    eks_error(&EksError {
        kind: "UnknownOperationException",
        status: 404,
        message: format!("No operation matches {method} {}", uri.path()),
        cluster_name: None,
    })
}

fn plain(status: StatusCode, text: &str) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(Body::from(text.to_string()))
        .unwrap_or_default()
}

fn json_response(status: u16, body: &Value, headers: &[(&str, String)]) -> Response {
    // As the API server answers: nothing a client caches outlives the state it came from.
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-cache, private");
    for (k, v) in headers {
        builder = builder.header(*k, v);
    }
    builder.body(Body::from(body.to_string())).unwrap_or_default()
}

/// A response whose body fails at once: the client sees the connection drop mid-response.
fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("dropped by fault injection"))
    });
    Response::builder().status(200).header("content-length", "64").body(Body::from_stream(failing)).unwrap_or_default()
}

fn eks_error(e: &EksError) -> Response {
    json_response(
        e.status,
        &e.body(),
        &[("x-amzn-ErrorType", e.kind.to_string()), ("x-amzn-RequestId", uuid::Uuid::new_v4().to_string())],
    )
}

/// The (account, region) whose request rate a signed call spends: the signing credential's
/// account, and the region of its credential scope.
fn rate_key(inner: &Inner, headers: &HeaderMap) -> (String, String) {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let account = sts::signing_key(authorization, &[])
        .and_then(|key| inner.world.credentials.get(&key).map(|c| c.account.clone()))
        .unwrap_or_default();
    let region = authorization
        .and_then(|h| h.split("Credential=").nth(1))
        .and_then(|scope| scope.split('/').nth(2))
        .unwrap_or_default()
        .to_string();
    (account, region)
}

async fn elastic_kubernetes_service(
    shared: &Arc<Shared>,
    operation: &'static str,
    labels: Vec<String>,
    parts: &Parts,
) -> Response {
    let (method, headers, query, body) = (&parts.method, &parts.headers, &parts.query, &parts.body);
    let _in_flight = InFlight::start(shared);
    let (latency, injected) = {
        let mut inner = shared.lock();
        inner.counters.call(operation);
        let faults = inner.faults.clone();
        let mut injected = faults.roll(&mut inner.rng);
        if faults.rate_per_second > 0.0 && injected == Injected::None {
            let key = rate_key(&inner, headers);
            let bucket = inner.buckets.entry(key).or_default();
            if !super::faults::Bucket::take(bucket, faults.rate_per_second, faults.burst, std::time::Instant::now()) {
                injected = Injected::RateLimited;
            }
        }
        if injected != Injected::None {
            inner.counters.fault(injected);
        }
        (faults.latency_ms, injected)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    match injected {
        Injected::Drop => return dropped(),
        Injected::Throttle | Injected::RateLimited => return eks_error(&EksError::throttling()),
        Injected::ServerError => return eks_error(&EksError::server()),
        Injected::Unavailable => return eks_error(&EksError::unavailable()),
        Injected::None => {}
    }
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => return eks_error(&EksError::bad_request("Could not parse the request body as JSON.")),
        }
    };
    let call = Call { operation, labels, query, body };
    let mut inner = shared.lock();
    let faults = inner.faults.clone();
    let result = eks::execute(&mut inner.world, &faults, &call, now_ms());
    if *method != Method::GET && result.is_ok() {
        persist(&inner);
    }
    match result {
        Ok(v) => json_response(200, &v, &[("x-amzn-RequestId", uuid::Uuid::new_v4().to_string())]),
        Err(e) => eks_error(&e),
    }
}

/// STS, and IAM's query API: both at `/`, told apart by `Action`.
async fn security_token_service(State(shared): State<Arc<Shared>>, req: Request<Body>) -> Response {
    let parts = match Parts::of(req).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let mut params: Vec<(String, String)> = parts.query.clone();
    if parts.method == Method::POST {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&parts.body).unwrap_or_default();
        params.extend(form);
    }
    let key = sts::signing_key(parts.headers.get("authorization").and_then(|v| v.to_str().ok()), &params);
    let mut inner = shared.lock();
    let action = params.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.clone()).unwrap_or_default();
    inner.counters.call(&format!("sts:{action}"));
    let (status, xml) = if super::iam::ACTIONS.contains(&action.as_str()) {
        // IAM is per account: the signer's.
        match key.as_deref().and_then(|k| inner.world.credentials.get(k)).map(|c| (c.account.clone(), c.arn.clone())) {
            Some((account, caller)) => super::iam::answer(&inner.world, &account, &caller, &params),
            None => sts::answer(&mut inner.world, None, &params),
        }
    } else {
        sts::answer(&mut inner.world, key.as_deref(), &params)
    };
    if action == "AssumeRole" && status == 200 {
        persist(&inner);
    }
    Response::builder().status(status).header("content-type", "text/xml").body(Body::from(xml)).unwrap_or_default()
}

/// A cluster's Kubernetes API: `/k8s/{cluster}/…`.
async fn kubernetes(State(shared): State<Arc<Shared>>, req: Request<Body>) -> Response {
    let parts = match Parts::of(req).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let segments = parts.segments();
    let (shared, method, headers, query, body) = (&shared, &parts.method, &parts.headers, &parts.query, &parts.body);
    let cluster = segments[1].clone();
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let bearer = access::bearer(&shared.lock().world, &cluster, token);
    let Ok(bearer) = bearer else {
        let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": "Unauthorized", "reason": "Unauthorized", "code": 401});
        return json_response(401, &status, &[]);
    };
    let (latency, fail) = {
        let mut inner = shared.lock();
        inner.counters.call(&format!("k8s:{method}"));
        let faults = inner.faults.clone();
        let fail = faults.kube_error_rate > 0.0 && inner.rng.f64() < faults.kube_error_rate;
        if fail {
            inner.counters.fault(Injected::ServerError);
        }
        (faults.latency_ms, fail)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if fail {
        let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": "etcdserver: request timed out", "reason": "InternalError", "code": 500});
        return json_response(500, &status, &[]);
    }
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    let mut inner = shared.lock();
    if *method != Method::GET
        && let Some(hook) = inner.before_next_kube_write.take()
    {
        hook(&mut inner.world);
    }
    // Authentication and authorization, by the access model, on the state as it is now.
    let path = format!("/{}", segments[2..].join("/"));
    let watch = query.iter().any(|(k, v)| k == "watch" && (v == "true" || v == "1"));
    let field_selector = query.iter().find(|(k, _)| k == "fieldSelector").map(|(_, v)| v.as_str());
    let request = accessctl_core::access::Request::from_http_query(method.as_str(), &path, watch, field_selector);
    let identity = match (&bearer, inner.world.clusters.get(&cluster)) {
        (_, None) => None,
        (access::Bearer::StaticAdmin, Some(_)) => Some(access::static_admin()),
        (access::Bearer::Caller(caller), Some(state)) => match access::decide(&inner.world, state, caller, &request) {
            Outcome::Allowed { identity, .. } => Some(identity),
            Outcome::Unauthorized { .. } => {
                let status = access::status(401, "Unauthorized", "Unauthorized", json!({}));
                return json_response(401, &status, &[]);
            }
            Outcome::Forbidden { identity, decision } => {
                return json_response(403, &access::forbidden(&identity.username, &request, &decision), &[]);
            }
            Outcome::Unknown { reason, .. } => {
                let status =
                    access::status(500, "InternalError", &format!("cannot decide access: {reason}"), json!({}));
                return json_response(500, &status, &[]);
            }
        },
    };
    // kubectl 1.32 and later write built-in types in protobuf: read them into JSON.
    let decoded;
    let (body, content_type) = if content_type.contains("protobuf") && !body.is_empty() {
        match super::protobuf::to_json(body) {
            Ok(json) => {
                decoded = Bytes::from(json.to_string());
                (&decoded, "application/json")
            }
            Err(why) => {
                let message = format!(
                    "the body of the request was in an unknown format ({why}) - accepted media types \
                                       include: application/json, application/yaml, application/merge-patch+json"
                );
                return json_response(415, &access::status(415, "UnsupportedMediaType", &message, json!({})), &[]);
            }
        }
    } else {
        (body, content_type)
    };
    let req = kube::Request { method: method.as_str(), segments: &segments[2..], query, content_type, body };
    if let (Some(identity), ["apis", "authentication.k8s.io", "v1", "selfsubjectreviews"], "POST") =
        (&identity, segments[2..].iter().map(String::as_str).collect::<Vec<_>>().as_slice(), method.as_str())
    {
        return json_response(201, &access::self_subject_review(identity), &[]);
    }
    if let (Some(identity), Some(state), ["apis", kube::AUTHORIZATION, "v1", "selfsubjectaccessreviews"], "POST") = (
        &identity,
        inner.world.clusters.get(&cluster),
        segments[2..].iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        method.as_str(),
    ) {
        return match access::self_subject_access_review(&inner.world, state, identity, body) {
            Ok(review) => json_response(201, &review, &[]),
            Err((code, status)) => json_response(code, &status, &[]),
        };
    }
    let (status, reply) = kube::answer(&mut inner.world, &cluster, &req, now_ms());
    if *method != Method::GET && status < 300 {
        persist(&inner);
    }
    json_response(status, &reply, &[])
}

/// The control API: `/_sandbox/…`.
async fn control(State(shared): State<Arc<Shared>>, req: Request<Body>) -> Response {
    let parts = match Parts::of(req).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let segments = parts.segments();
    let (shared, method, rest, body) = (&shared, &parts.method, &segments[1..], &parts.body);
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let mut inner = shared.lock();
    match (method.as_str(), rest.as_slice()) {
        ("GET", ["health"]) => plain(StatusCode::OK, "ok"),
        ("GET", ["counters"]) => json_response(200, &json!(inner.counters), &[]),
        ("POST", ["counters", "reset"]) => {
            inner.counters = Counters::default();
            json_response(200, &json!(inner.counters), &[])
        }
        ("GET", ["faults"]) => json_response(200, &json!(inner.faults), &[]),
        ("POST", ["faults"]) => match serde_json::from_slice::<Faults>(body) {
            Ok(f) => {
                inner.faults = f;
                json_response(200, &json!(inner.faults), &[])
            }
            Err(e) => plain(StatusCode::BAD_REQUEST, &format!("invalid faults: {e}")),
        },
        ("GET", ["state"]) => json_response(200, &json!(inner.world), &[]),
        ("POST", ["webhook", cluster, "authenticate"]) => {
            inner.counters.call("webhook:TokenReview");
            json_response(200, &super::webhook::token_review(&inner.world, cluster, body), &[])
        }
        ("POST", ["webhook", cluster, "authorize"]) => {
            inner.counters.call("webhook:SubjectAccessReview");
            json_response(200, &super::webhook::subject_access_review(&inner.world, cluster, body), &[])
        }
        _ => plain(StatusCode::NOT_FOUND, "unknown sandbox control path"),
    }
}

/// Writes the world to the state file, atomically (a reader never sees half a file).
pub fn persist(inner: &Inner) {
    let Some(path) = &inner.state_file else { return };
    let Ok(text) = serde_json::to_vec_pretty(&inner.world) else { return };
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt;

    use super::*;
    use crate::seed::Seed;

    fn shared() -> Arc<Shared> {
        let seed = Seed::parse(
            "clusters:\n  - name: c\n    authenticationMode: API\n    accessEntries:\n      - principalArn: arn:aws:iam::111122223333:role/teams/dev\n",
        )
        .unwrap();
        Shared::new(Inner {
            world: World::from_seed(&seed, now_ms()).unwrap(),
            before_next_kube_write: None,
            faults: Faults::default(),
            counters: Counters::default(),
            rng: fastrand::Rng::with_seed(1),
            state_file: None,
            buckets: Default::default(),
        })
    }

    async fn call(shared: &Arc<Shared>, method: &str, uri: &str) -> (StatusCode, Value) {
        let req = Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
        let response = router(Arc::clone(shared)).oneshot(req).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), MAX_BODY).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn an_encoded_arn_stays_one_label_and_is_decoded() {
        let s = shared();
        let arn = "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fteams%2Fdev";
        let (status, body) = call(&s, "GET", &format!("/clusters/c/access-entries/{arn}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["accessEntry"]["principalArn"], "arn:aws:iam::111122223333:role/teams/dev");
        let (status, _) = call(&s, "GET", &format!("/clusters/c/access-entries/{arn}/access-policies")).await;
        assert_eq!(status, StatusCode::OK);
        let calls = &s.lock().counters.calls;
        assert_eq!((calls["DescribeAccessEntry"], calls["ListAssociatedAccessPolicies"]), (1, 1));
    }

    #[tokio::test]
    async fn what_no_operation_matches_is_an_eks_error() {
        let s = shared();
        for (method, uri) in [("PUT", "/clusters"), ("GET", "/nothing/here"), ("PATCH", "/clusters/c/access-entries")] {
            let (status, body) = call(&s, method, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert!(body["message"].as_str().is_some_and(|m| m.starts_with("No operation matches")), "{body}");
        }
        assert!(s.lock().counters.calls.is_empty(), "no operation ran");
    }

    #[tokio::test]
    async fn a_cluster_named_like_a_route_segment_is_still_a_label() {
        let s = shared();
        let (status, body) = call(&s, "GET", "/clusters/tags/updates/u1").await;
        // DescribeUpdate for a cluster called `tags`, which does not exist.
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["clusterName"], "tags", "{body}");
        assert_eq!(s.lock().counters.calls["DescribeUpdate"], 1);
    }
}

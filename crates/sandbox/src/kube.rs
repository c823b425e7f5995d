//! The Kubernetes API subset accessctl touches: ConfigMaps (kube-system/aws-auth), Namespaces, and
//! RBAC ClusterRoles, ClusterRoleBindings, Roles and RoleBindings — plus what a console user lists
//! (Pods, Nodes, Services, Secrets, Deployments: empty unless written) — get, list (with limit and
//! continue), create, replace, patch (merge, JSON, strategic as merge, server-side apply), delete —
//! with resourceVersions, 409 Conflict on a stale write, 404 NotFound vs 409 AlreadyExists, Status
//! bodies as the API server writes them, and the discovery documents `kubectl get` reads.
//!
//! Not here: watch, field ownership conflicts of server-side apply, admission. Those are proven
//! against the real kube-apiserver in the test bed.

use serde_json::{Value, json};

use super::world::{ClusterState, World, object_key, rfc3339};

/// A resource type served here.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
}

pub const RESOURCES: &[Resource] = &[
    Resource { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true },
    Resource { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false },
    Resource { group: RBAC, version: "v1", plural: "clusterroles", kind: "ClusterRole", namespaced: false },
    Resource {
        group: RBAC,
        version: "v1",
        plural: "clusterrolebindings",
        kind: "ClusterRoleBinding",
        namespaced: false,
    },
    Resource { group: RBAC, version: "v1", plural: "roles", kind: "Role", namespaced: true },
    Resource { group: RBAC, version: "v1", plural: "rolebindings", kind: "RoleBinding", namespaced: true },
    Resource { group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true },
    Resource { group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false },
    Resource { group: "", version: "v1", plural: "services", kind: "Service", namespaced: true },
    Resource { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
    Resource { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true },
];

const RBAC: &str = "rbac.authorization.k8s.io";
/// Served by the sandbox's front (it needs the caller's identity): SelfSubjectAccessReview.
pub const AUTHORIZATION: &str = "authorization.k8s.io";

/// The API groups served, in discovery order.
const GROUPS: &[&str] = &[RBAC, "apps", AUTHORIZATION, AUTHENTICATION];
/// Served by the sandbox's front too: SelfSubjectReview.
const AUTHENTICATION: &str = "authentication.k8s.io";

fn group_json(name: &str) -> Value {
    json!({"name": name, "versions": [{"groupVersion": format!("{name}/v1"), "version": "v1"}],
           "preferredVersion": {"groupVersion": format!("{name}/v1"), "version": "v1"}})
}

impl Resource {
    fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }
}

/// A response: status code and JSON body.
pub type Reply = (u16, Value);

pub struct Request<'a> {
    pub method: &'a str,
    /// Path segments after `/k8s/<cluster>`, decoded.
    pub segments: &'a [String],
    pub query: &'a [(String, String)],
    pub content_type: &'a str,
    pub body: &'a [u8],
}

impl Request<'_> {
    fn query(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

fn status(code: u16, reason: &str, message: String, details: Value) -> Reply {
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
               "reason": reason, "details": details, "code": code}),
    )
}

fn not_found(r: &Resource, name: &str) -> Reply {
    let group = if r.group.is_empty() { String::new() } else { format!(".{}", r.group) };
    status(
        404,
        "NotFound",
        format!("{}{group} \"{name}\" not found", r.plural),
        json!({"name": name, "group": r.group, "kind": r.plural}),
    )
}

fn bad_request(message: String) -> Reply {
    status(400, "BadRequest", message, json!({}))
}

/// Answers one Kubernetes API request for a cluster.
pub fn answer(world: &mut World, cluster_name: &str, req: &Request<'_>, now: u64) -> Reply {
    let s: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["version"] => {
            (200, json!({"major": "1", "minor": "31", "gitVersion": "v1.31.0-eks-sandbox", "platform": "linux/amd64"}))
        }
        ["api"] => (200, json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})),
        ["apis"] => (
            200,
            json!({"kind": "APIGroupList", "apiVersion": "v1",
                   "groups": GROUPS.iter().map(|g| group_json(g)).collect::<Vec<_>>()}),
        ),
        ["apis", g] if GROUPS.contains(g) => {
            let mut group = group_json(g);
            group["kind"] = json!("APIGroup");
            group["apiVersion"] = json!("v1");
            (200, group)
        }
        ["api", "v1"] => (200, resource_list("v1", "")),
        ["apis", g, "v1"] if *g == AUTHORIZATION => (
            200,
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": format!("{AUTHORIZATION}/v1"),
                   "resources": [{"name": "selfsubjectaccessreviews", "singularName": "selfsubjectaccessreview",
                                  "namespaced": false, "kind": "SelfSubjectAccessReview", "verbs": ["create"]}]}),
        ),
        ["apis", g, "v1"] if *g == AUTHENTICATION => (
            200,
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": format!("{AUTHENTICATION}/v1"),
                   "resources": [{"name": "selfsubjectreviews", "singularName": "selfsubjectreview",
                                  "namespaced": false, "kind": "SelfSubjectReview", "verbs": ["create"]}]}),
        ),
        ["apis", g, "v1"] if GROUPS.contains(g) => (200, resource_list(&format!("{g}/v1"), g)),
        ["api", "v1", rest @ ..] => objects(world, cluster_name, req, "", rest, now),
        ["apis", g, "v1", rest @ ..] => objects(world, cluster_name, req, g, rest, now),
        _ => status(404, "NotFound", "the server could not find the requested resource".into(), json!({})),
    }
}

fn resource_list(group_version: &str, group: &str) -> Value {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group)
        .map(|r| {
            let mut resource = json!({"name": r.plural, "singularName": r.kind.to_lowercase(),
                   "namespaced": r.namespaced, "kind": r.kind, "verbs": ["create", "delete", "get", "list", "patch", "update"]});
            if let Some(short) = short_names(r.plural) {
                resource["shortNames"] = json!(short);
            }
            resource
        })
        .collect();
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources})
}

/// The short names `kubectl get cm` and friends resolve through discovery.
fn short_names(plural: &str) -> Option<&'static [&'static str]> {
    Some(match plural {
        "configmaps" => &["cm"],
        "namespaces" => &["ns"],
        "pods" => &["po"],
        "nodes" => &["no"],
        "services" => &["svc"],
        "deployments" => &["deploy"],
        _ => return None,
    })
}

fn objects(world: &mut World, cluster_name: &str, req: &Request<'_>, group: &str, rest: &[&str], now: u64) -> Reply {
    // rest: [plural] | [plural, name] | ["namespaces", ns, plural] | ["namespaces", ns, plural, name]
    let (namespace, plural, name) = match rest {
        [plural] => (None, *plural, None),
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural, name] => (None, *plural, Some(*name)),
        _ => return status(404, "NotFound", "the server could not find the requested resource".into(), json!({})),
    };
    let Some(resource) = RESOURCES.iter().find(|r| r.group == group && r.plural == plural) else {
        return status(404, "NotFound", "the server could not find the requested resource".into(), json!({}));
    };
    if !resource.namespaced && namespace.is_some() {
        return status(404, "NotFound", "the server could not find the requested resource".into(), json!({}));
    }
    let mut cluster = match world.clusters.remove(cluster_name) {
        Some(c) => c,
        None => return status(404, "NotFound", format!("cluster {cluster_name} not found"), json!({})),
    };
    let reply = serve(world, &mut cluster, resource, namespace, name, req, now);
    world.clusters.insert(cluster_name.to_string(), cluster);
    reply
}

fn serve(
    world: &mut World,
    cluster: &mut ClusterState,
    r: &Resource,
    namespace: Option<&str>,
    name: Option<&str>,
    req: &Request<'_>,
    now: u64,
) -> Reply {
    let ns = namespace.unwrap_or("");
    if r.namespaced
        && !ns.is_empty()
        && !cluster.objects.contains_key(&object_key("namespaces", "", ns))
        && (req.method != "GET" || name.is_some())
    {
        return not_found(&RESOURCES[1], ns);
    }
    match (req.method, name) {
        ("GET", None) => list(world, cluster, r, namespace, req),
        ("GET", Some(name)) => match cluster.objects.get(&object_key(r.plural, ns, name)) {
            Some(obj) => (200, obj.clone()),
            None => not_found(r, name),
        },
        ("POST", None) => {
            let obj = match parse_body(req) {
                Ok(o) => o,
                Err(e) => return e,
            };
            create(world, cluster, r, ns, obj, now)
        }
        ("PUT", Some(name)) => {
            let obj = match parse_body(req) {
                Ok(o) => o,
                Err(e) => return e,
            };
            replace(world, cluster, r, ns, name, obj)
        }
        ("PATCH", Some(name)) => patch(world, cluster, r, ns, name, req, now),
        ("DELETE", Some(name)) => match cluster.objects.remove(&object_key(r.plural, ns, name)) {
            Some(_) => (
                200,
                json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                       "details": {"name": name, "group": r.group, "kind": r.plural}}),
            ),
            None => not_found(r, name),
        },
        _ => {
            status(405, "MethodNotAllowed", format!("the server does not allow this method on {}", r.plural), json!({}))
        }
    }
}

fn parse_body(req: &Request<'_>) -> Result<Value, Reply> {
    let parsed: Result<Value, String> = if req.content_type.contains("yaml") {
        serde_yaml_ng::from_slice(req.body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice(req.body).map_err(|e| e.to_string())
    };
    match parsed {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(bad_request("the body of the request was in an unknown format".into())),
        Err(e) => Err(bad_request(format!("the body of the request could not be decoded: {e}"))),
    }
}

fn list(world: &World, cluster: &ClusterState, r: &Resource, namespace: Option<&str>, req: &Request<'_>) -> Reply {
    let prefix = match namespace {
        Some(ns) => format!("{}/{ns}/", r.plural),
        None => format!("{}/", r.plural),
    };
    let field_name = req.query("fieldSelector").and_then(|f| f.strip_prefix("metadata.name="));
    let all: Vec<&Value> = cluster
        .objects
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| v)
        .filter(|v| field_name.is_none_or(|n| v["metadata"]["name"] == n))
        .filter(|v| req.query("labelSelector").is_none_or(|s| labels_match(s, &v["metadata"]["labels"])))
        .collect();
    let start: usize = req.query("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit: usize = req.query("limit").and_then(|l| l.parse().ok()).filter(|l| *l > 0).unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(all.len());
    let items: Vec<Value> =
        all.get(start.min(all.len())..end).unwrap_or_default().iter().map(|v| (*v).clone()).collect();
    let mut metadata = json!({"resourceVersion": world.resource_version.to_string()});
    if end < all.len() {
        metadata["continue"] = json!(end.to_string());
        metadata["remainingItemCount"] = json!(all.len() - end);
    }
    (
        200,
        json!({"kind": format!("{}List", r.kind), "apiVersion": r.api_version(), "metadata": metadata, "items": items}),
    )
}

/// Equality-based label selectors: `a=b,c==d,e!=f,g` (g: the label exists).
fn labels_match(selector: &str, labels: &Value) -> bool {
    selector.split(',').map(str::trim).filter(|t| !t.is_empty()).all(|term| {
        if let Some((k, v)) = term.split_once("!=") {
            labels[k.trim()].as_str() != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            labels[k.trim()].as_str() == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            labels[k.trim()].is_null()
        } else {
            !labels[term].is_null()
        }
    })
}

/// Checks kind/apiVersion/name/namespace of a written object and fills in server fields.
fn admit(r: &Resource, ns: &str, name_in_path: Option<&str>, obj: &mut Value) -> Result<String, Reply> {
    let kind_ok = obj["kind"].as_str().is_none_or(|k| k == r.kind);
    let version_ok = obj["apiVersion"].as_str().is_none_or(|v| v == r.api_version());
    if !kind_ok || !version_ok {
        return Err(bad_request(format!(
            "the API version in the data ({}) does not match the expected API version ({})",
            obj["apiVersion"].as_str().unwrap_or(""),
            r.api_version()
        )));
    }
    obj["kind"] = json!(r.kind);
    obj["apiVersion"] = json!(r.api_version());
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    let name = obj["metadata"]["name"].as_str().map(str::to_string).or(name_in_path.map(str::to_string));
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return Err(status(
            422,
            "Invalid",
            format!("{} \"\" is invalid: metadata.name: Required value: name is required", r.kind),
            json!({"kind": r.kind}),
        ));
    };
    if let Some(in_path) = name_in_path
        && in_path != name
    {
        return Err(bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({in_path})"
        )));
    }
    obj["metadata"]["name"] = json!(name);
    if r.namespaced {
        if let Some(body_ns) = obj["metadata"]["namespace"].as_str()
            && body_ns != ns
        {
            return Err(bad_request(
                "the namespace of the provided object does not match the namespace sent on the request".to_string(),
            ));
        }
        obj["metadata"]["namespace"] = json!(ns);
    }
    Ok(name)
}

fn create(world: &mut World, cluster: &mut ClusterState, r: &Resource, ns: &str, mut obj: Value, now: u64) -> Reply {
    let name = match admit(r, ns, None, &mut obj) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let key = object_key(r.plural, ns, &name);
    if cluster.objects.contains_key(&key) {
        let group = if r.group.is_empty() { String::new() } else { format!(".{}", r.group) };
        return status(
            409,
            "AlreadyExists",
            format!("{}{group} \"{name}\" already exists", r.plural),
            json!({"name": name, "group": r.group, "kind": r.plural}),
        );
    }
    let rv = world.next_rv();
    let meta = &mut obj["metadata"];
    meta["uid"] = json!(uuid::Uuid::new_v4().to_string());
    meta["resourceVersion"] = json!(rv.to_string());
    meta["creationTimestamp"] = json!(rfc3339(now));
    cluster.objects.insert(key, obj.clone());
    (201, obj)
}

fn conflict(r: &Resource, name: &str) -> Reply {
    let group = if r.group.is_empty() { String::new() } else { format!(".{}", r.group) };
    status(
        409,
        "Conflict",
        format!(
            "Operation cannot be fulfilled on {}{group} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            r.plural
        ),
        json!({"name": name, "group": r.group, "kind": r.plural}),
    )
}

fn replace(world: &mut World, cluster: &mut ClusterState, r: &Resource, ns: &str, name: &str, mut obj: Value) -> Reply {
    if let Err(e) = admit(r, ns, Some(name), &mut obj) {
        return e;
    }
    let key = object_key(r.plural, ns, name);
    let Some(current) = cluster.objects.get(&key) else { return not_found(r, name) };
    if let Some(rv) = obj["metadata"]["resourceVersion"].as_str()
        && !rv.is_empty()
        && current["metadata"]["resourceVersion"] != rv
    {
        return conflict(r, name);
    }
    store(world, cluster, key, obj, current.clone())
}

/// Keeps server-owned metadata from `current`, bumps the resourceVersion, stores.
fn store(world: &mut World, cluster: &mut ClusterState, key: String, mut obj: Value, current: Value) -> Reply {
    for field in ["uid", "creationTimestamp"] {
        obj["metadata"][field] = current["metadata"][field].clone();
    }
    if obj == current {
        return (200, current);
    }
    obj["metadata"]["resourceVersion"] = json!(world.next_rv().to_string());
    cluster.objects.insert(key, obj.clone());
    (200, obj)
}

fn patch(
    world: &mut World,
    cluster: &mut ClusterState,
    r: &Resource,
    ns: &str,
    name: &str,
    req: &Request<'_>,
    now: u64,
) -> Reply {
    let key = object_key(r.plural, ns, name);
    let content_type = req.content_type.split(';').next().unwrap_or("").trim();
    let current = cluster.objects.get(&key).cloned();
    let body: Value = if content_type == "application/apply-patch+yaml" {
        match serde_yaml_ng::from_slice(req.body) {
            Ok(v) => v,
            Err(e) => return bad_request(format!("error decoding YAML: {e}")),
        }
    } else {
        match serde_json::from_slice(req.body) {
            Ok(v) => v,
            Err(e) => return bad_request(format!("the body of the request could not be decoded: {e}")),
        }
    };
    let mut patched = match (content_type, current.clone()) {
        ("application/apply-patch+yaml", None) => {
            if req.query("fieldManager").is_none() {
                return status(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".into(), json!({}));
            }
            let mut obj = body;
            if let Err(e) = admit(r, ns, Some(name), &mut obj) {
                return e;
            }
            return create(world, cluster, r, ns, obj, now);
        }
        (_, None) => return not_found(r, name),
        ("application/json-patch+json", Some(mut cur)) => {
            let ops: json_patch::Patch = match serde_json::from_value(body) {
                Ok(p) => p,
                Err(e) => return bad_request(format!("invalid JSON patch: {e}")),
            };
            if let Err(e) = json_patch::patch(&mut cur, &ops) {
                return status(422, "Invalid", format!("the JSON patch could not be applied: {e}"), json!({}));
            }
            cur
        }
        (
            "application/merge-patch+json" | "application/strategic-merge-patch+json" | "application/apply-patch+yaml",
            Some(mut cur),
        ) => {
            if let Some(rv) = body["metadata"]["resourceVersion"].as_str()
                && cur["metadata"]["resourceVersion"] != rv
            {
                return conflict(r, name);
            }
            json_patch::merge(&mut cur, &body);
            cur
        }
        (other, _) => {
            return status(
                415,
                "UnsupportedMediaType",
                format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {other})"
                ),
                json!({}),
            );
        }
    };
    if let Err(e) = admit(r, ns, Some(name), &mut patched) {
        return e;
    }
    let current = current.unwrap_or(Value::Null);
    store(world, cluster, key, patched, current)
}

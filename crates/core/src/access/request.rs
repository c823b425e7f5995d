//! A request to the Kubernetes API, as the authorizer sees it: verb, API group, resource,
//! subresource, namespace and name — or a non-resource path. [`Request::from_http`] derives it
//! from an HTTP method and path as the API server's `RequestInfoFactory`
//! (`k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`) does.

use std::fmt;

use serde::Serialize;

/// A resource as kubectl words it, `NAME[.VERSION][.GROUP][/SUBRESOURCE]`, and the built-in
/// resource it names, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KubectlResource<'a> {
    /// As written (plural, singular or short).
    pub resource: &'a str,
    /// `None`: no group written.
    pub group: Option<&'a str>,
    pub subresource: Option<&'a str>,
    pub builtin: Option<&'static super::resources::Builtin>,
}

impl<'a> KubectlResource<'a> {
    pub fn parse(target: &'a str) -> KubectlResource<'a> {
        let (name_and_group, subresource) = match target.split_once('/') {
            Some((r, sub)) => (r, Some(sub)),
            None => (target, None),
        };
        // `deployments.v1.apps` is kubectl's RESOURCE.VERSION.GROUP: the version is not part of
        // the request an authorizer sees.
        let (resource, group) = match name_and_group.split_once('.') {
            Some((r, g)) => match g.split_once('.') {
                Some((version, group)) if is_api_version(version) => (r, Some(group)),
                None if is_api_version(g) => (r, Some("")),
                _ => (r, Some(g)),
            },
            None => (name_and_group, None),
        };
        let builtin = super::resources::resolve(resource, group);
        KubectlResource { resource, group, subresource, builtin }
    }
}

/// `v1`, `v2beta3`, `v1alpha1`: an API version, as Kubernetes names them.
fn is_api_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else { return false };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let (major, tail) = rest.split_at(digits);
    if major.is_empty() || major.starts_with('0') {
        return false;
    }
    match tail.strip_prefix("alpha").or_else(|| tail.strip_prefix("beta")) {
        Some(n) => !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && !n.starts_with('0'),
        None => tail.is_empty(),
    }
}

/// Why words do not make a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("`{0}` is not a verb a request carries")]
    Verb(String),
    #[error("`{0}` is not a resource a request names")]
    Resource(String),
}

impl RequestError {
    pub fn help(&self) -> &'static str {
        match self {
            RequestError::Verb(_) => {
                "verbs are lower case, as the API server has them: get, list, watch, create, update, patch, delete"
            }
            RequestError::Resource(_) => {
                "name the resource as kubectl does, lower case and plural: pods, deployments.apps, pods/log; or a \
                 URL: /healthz"
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRequest {
    pub verb: String,
    /// "" for the core group.
    pub group: String,
    pub resource: String,
    pub subresource: Option<String>,
    /// `None`: a cluster-scoped resource, or a request across all namespaces.
    pub namespace: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Request {
    Resource(ResourceRequest),
    NonResource { verb: String, path: String },
}

impl Request {
    /// `resource` may name a subresource as `pods/log`.
    pub fn resource(verb: &str, group: &str, resource: &str, namespace: Option<&str>) -> Request {
        let (resource, subresource) = match resource.split_once('/') {
            Some((r, s)) => (r.to_string(), Some(s.to_string())),
            None => (resource.to_string(), None),
        };
        Request::Resource(ResourceRequest {
            verb: verb.to_string(),
            group: group.to_string(),
            resource,
            subresource,
            namespace: namespace.map(str::to_string),
            name: None,
        })
    }

    /// The same request for one object by name. A namespace object is in its own namespace, as
    /// the API server records the request.
    pub fn named(mut self, name: &str) -> Request {
        if let Request::Resource(r) = &mut self {
            r.name = Some(name.to_string());
            if r.group.is_empty() && r.resource == "namespaces" && r.namespace.is_none() {
                r.namespace = Some(name.to_string());
            }
        }
        self
    }

    pub fn verb(&self) -> &str {
        match self {
            Request::Resource(r) => &r.verb,
            Request::NonResource { verb, .. } => verb,
        }
    }

    pub fn namespace(&self) -> Option<&str> {
        match self {
            Request::Resource(r) => r.namespace.as_deref(),
            Request::NonResource { .. } => None,
        }
    }

    /// A request as kubectl words it: `VERB RESOURCE [-n NS] [--name N]`, where `deployments.apps`
    /// is resource `deployments` of group `apps`, a subresource keeps its slash (`pods/log`), and
    /// a URL (`/healthz`) is a non-resource request. Built-in resources are resolved as kubectl
    /// resolves them ([`super::resources`]): `deploy` and `deployments` are `deployments.apps`,
    /// and the namespace of a cluster-scoped resource (`get nodes -n team`) is dropped. `can-i`, `who-can`, `explain` and the files'
    /// `expect` all read requests here.
    pub fn parse_kubectl(
        verb: &str,
        target: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<Request, RequestError> {
        // Kubernetes compares verbs and resources as written: `GET` or `Pods` would be answered
        // "no" for a request nobody makes.
        let well_formed =
            |word: &str| !word.is_empty() && !word.chars().any(|c| c.is_ascii_uppercase() || c.is_whitespace());
        if !well_formed(verb) {
            return Err(RequestError::Verb(verb.to_string()));
        }
        if !well_formed(target) {
            return Err(RequestError::Resource(target.to_string()));
        }
        if target.starts_with('/') {
            return Ok(Request::NonResource { verb: verb.to_string(), path: target.to_string() });
        }
        // NAME[.VERSION][.GROUP][/SUBRESOURCE], each part a DNS-style word (or `*`).
        let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*');
        let (name_and_group, subresource) = target.split_once('/').unwrap_or((target, "x"));
        if !name_and_group.split('.').all(word) || !word(subresource) {
            return Err(RequestError::Resource(target.to_string()));
        }
        let named = KubectlResource::parse(target);
        // As kubectl: `deploy` is deployments.apps, and a cluster-scoped resource ignores -n.
        let (resource, group, namespace) = match named.builtin {
            Some(b) => (b.plural, b.group, namespace.filter(|_| b.namespaced)),
            None => (named.resource, named.group.unwrap_or(""), namespace),
        };
        let resource = match named.subresource {
            Some(sub) => format!("{resource}/{sub}"),
            None => resource.to_string(),
        };
        let request = Request::resource(verb, group, &resource, namespace);
        Ok(match name {
            Some(n) => request.named(n),
            None => request,
        })
    }

    /// The request an HTTP call makes. `path` is the path without query; `watch` is the
    /// `watch` query parameter.
    pub fn from_http(method: &str, path: &str, watch: bool) -> Request {
        Request::from_http_query(method, path, watch, None)
    }

    /// As [`Request::from_http`], with the `fieldSelector` query parameter: a list or watch
    /// selecting `metadata.name=N` is a request for the object `N`, as the API server records it.
    pub fn from_http_query(method: &str, path: &str, watch: bool, field_selector: Option<&str>) -> Request {
        let lower = method.to_ascii_lowercase();
        let segments: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
        let (group, rest) = match segments.as_slice() {
            ["api", _version, rest @ ..] if !rest.is_empty() => ("", rest),
            ["apis", group, _version, rest @ ..] if !rest.is_empty() => (*group, rest),
            _ => return Request::NonResource { verb: lower, path: path.to_string() },
        };
        // namespaces/<ns>/<resource>/... is namespaced; namespaces/<ns> alone, and with its own
        // subresources (status, finalize), is the namespace object.
        let (namespace, parts): (Option<&str>, &[&str]) = match rest {
            ["namespaces", ns, sub, ..] if !matches!(*sub, "status" | "finalize") => (Some(*ns), &rest[2..]),
            _ => (None, rest),
        };
        let resource = parts[0].to_string();
        let name = parts.get(1).map(|s| s.to_string());
        // As the API server: the subresource is the one segment after the name.
        let subresource = parts.get(2).map(|s| s.to_string());
        // A namespace object is in its own namespace, as the API server records it.
        let namespace = match (namespace, resource.as_str(), &name) {
            (None, "namespaces", Some(n)) => Some(n.clone()),
            (ns, _, _) => ns.map(str::to_string),
        };
        let verb = match (lower.as_str(), name.is_some()) {
            ("get" | "head", false) if watch => "watch",
            ("get" | "head", true) => "get",
            ("get" | "head", false) => "list",
            ("post", _) => "create",
            ("put", _) => "update",
            ("patch", _) => "patch",
            ("delete", true) => "delete",
            ("delete", false) => "deletecollection",
            (other, _) => other,
        };
        let name = match (verb, name, field_selector.and_then(|f| f.strip_prefix("metadata.name="))) {
            ("list" | "watch", None, Some(n)) if !n.is_empty() && !n.contains(',') => Some(n.to_string()),
            (_, name, _) => name,
        };
        Request::Resource(ResourceRequest {
            verb: verb.to_string(),
            group: group.to_string(),
            resource,
            subresource,
            namespace,
            name,
        })
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Resource(r) => {
                write!(f, "{} {}", r.verb, r.resource)?;
                if let Some(s) = &r.subresource {
                    write!(f, "/{s}")?;
                }
                if !r.group.is_empty() {
                    write!(f, ".{}", r.group)?;
                }
                if let Some(n) = &r.name {
                    write!(f, " {n}")?;
                }
                match &r.namespace {
                    Some(ns) => write!(f, " in namespace {ns}"),
                    None => write!(f, " (cluster-wide)"),
                }
            }
            Request::NonResource { verb, path } => write!(f, "{verb} {path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_words_become_the_request_kubectl_sends() {
        let r = |verb: &str, target: &str, ns: Option<&str>| match Request::parse_kubectl(verb, target, ns, None) {
            Ok(Request::Resource(r)) => (r.group, r.resource, r.subresource, r.namespace),
            other => panic!("{other:?}"),
        };
        let s = |x: &str| Some(x.to_string());
        assert_eq!(r("create", "deployments", s("a").as_deref()), ("apps".into(), "deployments".into(), None, s("a")));
        assert_eq!(r("create", "deploy.apps", Some("a")), ("apps".into(), "deployments".into(), None, s("a")));
        assert_eq!(r("get", "po/log", Some("a")), ("".into(), "pods".into(), s("log"), s("a")));
        // kubectl sends no namespace for a cluster-scoped resource, whatever -n says.
        assert_eq!(r("get", "nodes", Some("team")), ("".into(), "nodes".into(), None, None));
        assert_eq!(r("list", "clusterroles.rbac.authorization.k8s.io", Some("team")).3, None);
        // kubectl's RESOURCE.VERSION.GROUP: the version is not part of the request.
        assert_eq!(r("delete", "deployments.v1.apps", Some("a")), ("apps".into(), "deployments".into(), None, s("a")));
        assert_eq!(r("get", "pods.v1", Some("a")), ("".into(), "pods".into(), None, s("a")));
        assert_eq!(r("get", "widgets.v1beta2.example.com", Some("a")).0, "example.com");
        assert_eq!(r("get", "widgets.v1x.example.com", Some("a")).0, "v1x.example.com");
        // Custom resources are taken as written.
        assert_eq!(r("get", "widgets.example.com", Some("a")), ("example.com".into(), "widgets".into(), None, s("a")));
        assert_eq!(r("get", "widgets", None), ("".into(), "widgets".into(), None, None));
        assert_eq!(
            Request::parse_kubectl("get", "/healthz", None, None),
            Ok(Request::NonResource { verb: "get".into(), path: "/healthz".into() })
        );
        assert_eq!(Request::parse_kubectl("GET", "pods", None, None), Err(RequestError::Verb("GET".into())));
        assert_eq!(Request::parse_kubectl("get", "Pods", None, None), Err(RequestError::Resource("Pods".into())));
        for malformed in ["pods/", "pods//log", ".apps", "deployments..apps", "pods|x", "pods/log/x", "a_b"] {
            assert_eq!(
                Request::parse_kubectl("get", malformed, None, None),
                Err(RequestError::Resource(malformed.into())),
                "{malformed}"
            );
        }
    }

    /// Rows from k8s.io/apiserver/pkg/endpoints/request/requestinfo_test.go (TestGetAPIRequestInfo).
    #[test]
    fn http_calls_become_authorizer_attributes() {
        let r = |m: &str, p: &str| match Request::from_http(m, p, false) {
            Request::Resource(r) => (r.verb, r.group, r.resource, r.subresource, r.namespace, r.name),
            other => panic!("{other:?}"),
        };
        let s = |x: &str| Some(x.to_string());
        assert_eq!(r("GET", "/api/v1/namespaces"), ("list".into(), "".into(), "namespaces".into(), None, None, None));
        assert_eq!(
            r("GET", "/api/v1/namespaces/other"),
            ("get".into(), "".into(), "namespaces".into(), None, s("other"), s("other"))
        );
        assert_eq!(
            r("GET", "/api/v1/namespaces/other/pods"),
            ("list".into(), "".into(), "pods".into(), None, s("other"), None)
        );
        assert_eq!(
            r("GET", "/api/v1/namespaces/other/pods/foo/log"),
            ("get".into(), "".into(), "pods".into(), s("log"), s("other"), s("foo"))
        );
        assert_eq!(r("GET", "/api/v1/pods"), ("list".into(), "".into(), "pods".into(), None, None, None));
        assert_eq!(
            r("POST", "/apis/apps/v1/namespaces/other/deployments"),
            ("create".into(), "apps".into(), "deployments".into(), None, s("other"), None)
        );
        assert_eq!(
            r("DELETE", "/api/v1/namespaces/other/pods"),
            ("deletecollection".into(), "".into(), "pods".into(), None, s("other"), None)
        );
        assert_eq!(
            r("PATCH", "/api/v1/nodes/n1/status"),
            ("patch".into(), "".into(), "nodes".into(), s("status"), None, s("n1"))
        );
        assert_eq!(
            Request::from_http("GET", "/healthz", false),
            Request::NonResource { verb: "get".into(), path: "/healthz".into() }
        );
        assert_eq!(
            Request::from_http("GET", "/apis", false),
            Request::NonResource { verb: "get".into(), path: "/apis".into() }
        );
        assert!(matches!(Request::from_http("GET", "/api/v1/pods", true), Request::Resource(r) if r.verb == "watch"));
        assert!(
            matches!(Request::from_http("GET", "/api/v1/namespaces/a/pods/p", true), Request::Resource(r) if r.verb == "get")
        );
        assert_eq!(
            r("PUT", "/api/v1/namespaces/dev-a/status"),
            ("update".into(), "".into(), "namespaces".into(), s("status"), s("dev-a"), s("dev-a"))
        );
        assert_eq!(
            r("GET", "/api/v1/namespaces/a/pods/p/log/extra"),
            ("get".into(), "".into(), "pods".into(), s("log"), s("a"), s("p"))
        );
        assert_eq!(Request::resource("get", "", "namespaces", None).named("dev-a").namespace(), Some("dev-a"));
        let selected = Request::from_http_query(
            "GET",
            "/api/v1/namespaces/kube-system/configmaps",
            false,
            Some("metadata.name=aws-auth"),
        );
        assert!(matches!(selected, Request::Resource(r) if r.verb == "list" && r.name.as_deref() == Some("aws-auth")));
    }
}

//! Kubernetes' built-in resources as kubectl resolves the names people type: plural, singular and
//! short names, the API group a bare name means, and whether the resource lives in a namespace —
//! what kubectl learns from discovery, for the resources every EKS cluster serves. A name not in
//! the table (a custom resource) is taken as written.
//!
//! Source: `kubectl api-resources` of Kubernetes 1.33 (the NAME, SHORTNAMES, APIVERSION and
//! NAMESPACED columns); singular names are the API server's `singularName`.

/// One built-in resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    pub plural: &'static str,
    pub singular: &'static str,
    pub short: &'static [&'static str],
    /// "" for the core group.
    pub group: &'static str,
    pub namespaced: bool,
}

const fn r(
    plural: &'static str,
    singular: &'static str,
    short: &'static [&'static str],
    group: &'static str,
    namespaced: bool,
) -> Builtin {
    Builtin { plural, singular, short, group, namespaced }
}

pub const BUILTINS: &[Builtin] = &[
    r("bindings", "binding", &[], "", true),
    r("componentstatuses", "componentstatus", &["cs"], "", false),
    r("configmaps", "configmap", &["cm"], "", true),
    r("endpoints", "endpoints", &["ep"], "", true),
    r("events", "event", &["ev"], "", true),
    r("limitranges", "limitrange", &["limits"], "", true),
    r("namespaces", "namespace", &["ns"], "", false),
    r("nodes", "node", &["no"], "", false),
    r("persistentvolumeclaims", "persistentvolumeclaim", &["pvc"], "", true),
    r("persistentvolumes", "persistentvolume", &["pv"], "", false),
    r("pods", "pod", &["po"], "", true),
    r("podtemplates", "podtemplate", &[], "", true),
    r("replicationcontrollers", "replicationcontroller", &["rc"], "", true),
    r("resourcequotas", "resourcequota", &["quota"], "", true),
    r("secrets", "secret", &[], "", true),
    r("serviceaccounts", "serviceaccount", &["sa"], "", true),
    r("services", "service", &["svc"], "", true),
    r("mutatingwebhookconfigurations", "mutatingwebhookconfiguration", &[], "admissionregistration.k8s.io", false),
    r("validatingadmissionpolicies", "validatingadmissionpolicy", &[], "admissionregistration.k8s.io", false),
    r(
        "validatingadmissionpolicybindings",
        "validatingadmissionpolicybinding",
        &[],
        "admissionregistration.k8s.io",
        false,
    ),
    r("validatingwebhookconfigurations", "validatingwebhookconfiguration", &[], "admissionregistration.k8s.io", false),
    r("customresourcedefinitions", "customresourcedefinition", &["crd", "crds"], "apiextensions.k8s.io", false),
    r("apiservices", "apiservice", &[], "apiregistration.k8s.io", false),
    r("controllerrevisions", "controllerrevision", &[], "apps", true),
    r("daemonsets", "daemonset", &["ds"], "apps", true),
    r("deployments", "deployment", &["deploy"], "apps", true),
    r("replicasets", "replicaset", &["rs"], "apps", true),
    r("statefulsets", "statefulset", &["sts"], "apps", true),
    r("selfsubjectreviews", "selfsubjectreview", &[], "authentication.k8s.io", false),
    r("tokenreviews", "tokenreview", &[], "authentication.k8s.io", false),
    r("localsubjectaccessreviews", "localsubjectaccessreview", &[], "authorization.k8s.io", true),
    r("selfsubjectaccessreviews", "selfsubjectaccessreview", &[], "authorization.k8s.io", false),
    r("selfsubjectrulesreviews", "selfsubjectrulesreview", &[], "authorization.k8s.io", false),
    r("subjectaccessreviews", "subjectaccessreview", &[], "authorization.k8s.io", false),
    r("horizontalpodautoscalers", "horizontalpodautoscaler", &["hpa"], "autoscaling", true),
    r("cronjobs", "cronjob", &["cj"], "batch", true),
    r("jobs", "job", &[], "batch", true),
    r("certificatesigningrequests", "certificatesigningrequest", &["csr"], "certificates.k8s.io", false),
    r("leases", "lease", &[], "coordination.k8s.io", true),
    r("endpointslices", "endpointslice", &[], "discovery.k8s.io", true),
    r("flowschemas", "flowschema", &[], "flowcontrol.apiserver.k8s.io", false),
    r("prioritylevelconfigurations", "prioritylevelconfiguration", &[], "flowcontrol.apiserver.k8s.io", false),
    r("ingressclasses", "ingressclass", &[], "networking.k8s.io", false),
    r("ingresses", "ingress", &["ing"], "networking.k8s.io", true),
    r("ipaddresses", "ipaddress", &["ip"], "networking.k8s.io", false),
    r("networkpolicies", "networkpolicy", &["netpol"], "networking.k8s.io", true),
    r("servicecidrs", "servicecidr", &[], "networking.k8s.io", false),
    r("runtimeclasses", "runtimeclass", &[], "node.k8s.io", false),
    r("poddisruptionbudgets", "poddisruptionbudget", &["pdb"], "policy", true),
    r("clusterrolebindings", "clusterrolebinding", &[], "rbac.authorization.k8s.io", false),
    r("clusterroles", "clusterrole", &[], "rbac.authorization.k8s.io", false),
    r("rolebindings", "rolebinding", &[], "rbac.authorization.k8s.io", true),
    r("roles", "role", &[], "rbac.authorization.k8s.io", true),
    r("priorityclasses", "priorityclass", &["pc"], "scheduling.k8s.io", false),
    r("csidrivers", "csidriver", &[], "storage.k8s.io", false),
    r("csinodes", "csinode", &[], "storage.k8s.io", false),
    r("csistoragecapacities", "csistoragecapacity", &[], "storage.k8s.io", true),
    r("storageclasses", "storageclass", &["sc"], "storage.k8s.io", false),
    r("volumeattachments", "volumeattachment", &[], "storage.k8s.io", false),
    // Not served, but asked of the authorizer: impersonation's (`impersonate users`), and the
    // signers a CertificateSigningRequest is approved or signed for.
    r("users", "user", &[], "", false),
    r("groups", "group", &[], "", false),
    r("uids", "uid", &[], "", false),
    r("userextras", "userextra", &[], "authentication.k8s.io", false),
    r("signers", "signer", &[], "certificates.k8s.io", false),
];

/// The subresources built-in resources have (`pods/log`, `deployments/scale`, …).
pub const SUBRESOURCES: &[&str] = &[
    "approval",
    "attach",
    "binding",
    "ephemeralcontainers",
    "eviction",
    "exec",
    "finalize",
    "log",
    "portforward",
    "proxy",
    "resize",
    "scale",
    "status",
    "token",
];

/// The built-in resource `name` means in `group` (`None`: no group was written, and kubectl
/// takes the group of the one built-in of that name), by plural, singular or short name.
pub fn resolve(name: &str, group: Option<&str>) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| {
        group.is_none_or(|g| g == b.group) && (b.plural == name || b.singular == name || b.short.contains(&name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_as_kubectl_resolves_them() {
        let of = |name: &str, group: Option<&str>| resolve(name, group).map(|b| (b.plural, b.group, b.namespaced));
        assert_eq!(of("deployments", None), Some(("deployments", "apps", true)));
        assert_eq!(of("deploy", None), Some(("deployments", "apps", true)));
        assert_eq!(of("deployment", Some("apps")), Some(("deployments", "apps", true)));
        assert_eq!(of("po", None), Some(("pods", "", true)));
        assert_eq!(of("no", None), Some(("nodes", "", false)));
        assert_eq!(of("crd", None), Some(("customresourcedefinitions", "apiextensions.k8s.io", false)));
        // A group the built-in is not in is someone's custom resource.
        assert_eq!(of("deployments", Some("example.com")), None);
        assert_eq!(of("widgets", None), None);
    }

    #[test]
    fn every_name_means_one_resource() {
        let mut seen = std::collections::BTreeMap::new();
        for b in BUILTINS {
            for name in [b.plural, b.singular].iter().chain(b.short) {
                if let Some(other) = seen.insert(*name, b.plural) {
                    assert_eq!(other, b.plural, "`{name}` names two resources");
                }
            }
        }
    }
}

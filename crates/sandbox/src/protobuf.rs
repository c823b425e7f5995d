//! Request bodies in Kubernetes' protobuf encoding, which kubectl 1.32 and later send for built-in
//! types: the `k8s\0` envelope (`runtime.Unknown`: type meta, raw object), and the objects the
//! sandbox serves, read field by field into the JSON the rest of the sandbox handles. Field
//! numbers are those of the types' `generated.proto` (k8s.io/api, k8s.io/apimachinery). A kind
//! not listed here is refused with 415, as a server that does not speak protobuf for it does.

use serde_json::{Map, Value, json};

/// How one field of a message is read.
enum Field {
    Str(&'static str),
    Strs(&'static str),
    /// `map<string, string>`.
    Map(&'static str),
    Msg(&'static str, &'static [(u64, Field)]),
    Msgs(&'static str, &'static [(u64, Field)]),
}

use Field::*;

const OBJECT_META: &[(u64, Field)] = &[
    (1, Str("name")),
    (2, Str("generateName")),
    (3, Str("namespace")),
    (5, Str("uid")),
    (6, Str("resourceVersion")),
    (11, Map("labels")),
    (12, Map("annotations")),
];
const POLICY_RULE: &[(u64, Field)] = &[
    (1, Strs("verbs")),
    (2, Strs("apiGroups")),
    (3, Strs("resources")),
    (4, Strs("resourceNames")),
    (5, Strs("nonResourceURLs")),
];
const SUBJECT: &[(u64, Field)] = &[(1, Str("kind")), (2, Str("apiGroup")), (3, Str("name")), (4, Str("namespace"))];
const ROLE_REF: &[(u64, Field)] = &[(1, Str("apiGroup")), (2, Str("kind")), (3, Str("name"))];
const ROLE: &[(u64, Field)] = &[(1, Msg("metadata", OBJECT_META)), (2, Msgs("rules", POLICY_RULE))];
const BINDING: &[(u64, Field)] =
    &[(1, Msg("metadata", OBJECT_META)), (2, Msgs("subjects", SUBJECT)), (3, Msg("roleRef", ROLE_REF))];
const CONFIG_MAP: &[(u64, Field)] = &[(1, Msg("metadata", OBJECT_META)), (2, Map("data"))];
const NAMESPACE: &[(u64, Field)] = &[(1, Msg("metadata", OBJECT_META))];
const RESOURCE_ATTRIBUTES: &[(u64, Field)] = &[
    (1, Str("namespace")),
    (2, Str("verb")),
    (3, Str("group")),
    (4, Str("version")),
    (5, Str("resource")),
    (6, Str("subresource")),
    (7, Str("name")),
];
const NON_RESOURCE_ATTRIBUTES: &[(u64, Field)] = &[(1, Str("path")), (2, Str("verb"))];
const ACCESS_REVIEW_SPEC: &[(u64, Field)] =
    &[(1, Msg("resourceAttributes", RESOURCE_ATTRIBUTES)), (2, Msg("nonResourceAttributes", NON_RESOURCE_ATTRIBUTES))];
const SELF_SUBJECT_ACCESS_REVIEW: &[(u64, Field)] =
    &[(1, Msg("metadata", OBJECT_META)), (2, Msg("spec", ACCESS_REVIEW_SPEC))];

const LABEL_SELECTOR: &[(u64, Field)] = &[(1, Map("matchLabels"))];
const CONTAINER: &[(u64, Field)] = &[(1, Str("name")), (2, Str("image"))];
const POD_SPEC: &[(u64, Field)] = &[(2, Msgs("containers", CONTAINER))];
const POD_TEMPLATE: &[(u64, Field)] = &[(1, Msg("metadata", OBJECT_META)), (2, Msg("spec", POD_SPEC))];
const DEPLOYMENT_SPEC: &[(u64, Field)] = &[(2, Msg("selector", LABEL_SELECTOR)), (3, Msg("template", POD_TEMPLATE))];
const DEPLOYMENT: &[(u64, Field)] = &[(1, Msg("metadata", OBJECT_META)), (2, Msg("spec", DEPLOYMENT_SPEC))];

fn schema(kind: &str) -> Option<&'static [(u64, Field)]> {
    Some(match kind {
        "ConfigMap" => CONFIG_MAP,
        "Namespace" | "SelfSubjectReview" => NAMESPACE,
        "ClusterRole" | "Role" => ROLE,
        "ClusterRoleBinding" | "RoleBinding" => BINDING,
        "SelfSubjectAccessReview" => SELF_SUBJECT_ACCESS_REVIEW,
        // What `kubectl create deployment` writes; the sandbox runs no workloads.
        "Deployment" => DEPLOYMENT,
        _ => return None,
    })
}

/// The JSON object a protobuf request body holds, or why it cannot be read.
pub fn to_json(body: &[u8]) -> Result<Value, String> {
    let unknown = body.strip_prefix(b"k8s\0").ok_or("no k8s protobuf envelope")?;
    let (mut type_meta, mut raw) = (None, None);
    for (number, value) in fields(unknown)? {
        match (number, value) {
            (1, Wire::Bytes(b)) => type_meta = Some(b),
            (2, Wire::Bytes(b)) => raw = Some(b),
            _ => {}
        }
    }
    let type_meta = message(type_meta.ok_or("no type meta")?, &[(1, Str("apiVersion")), (2, Str("kind"))])?;
    let kind = type_meta["kind"].as_str().unwrap_or_default().to_string();
    let schema = schema(&kind).ok_or_else(|| format!("{kind} is not served in protobuf here"))?;
    let mut object = message(raw.unwrap_or_default(), schema)?;
    object["apiVersion"] = type_meta["apiVersion"].clone();
    object["kind"] = json!(kind);
    Ok(object)
}

enum Wire<'a> {
    Varint,
    Bytes(&'a [u8]),
}

fn varint(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at).ok_or("truncated varint")?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint too long".into())
}

fn fields(bytes: &[u8]) -> Result<Vec<(u64, Wire<'_>)>, String> {
    let mut out = vec![];
    let mut at = 0;
    while at < bytes.len() {
        let key = varint(bytes, &mut at)?;
        let value = match key & 7 {
            0 => {
                varint(bytes, &mut at)?;
                Wire::Varint
            }
            1 => {
                at += 8;
                Wire::Varint
            }
            5 => {
                at += 4;
                Wire::Varint
            }
            2 => {
                let len = usize::try_from(varint(bytes, &mut at)?).map_err(|_| "length too large")?;
                let end = at.checked_add(len).filter(|e| *e <= bytes.len()).ok_or("truncated field")?;
                let b = &bytes[at..end];
                at = end;
                Wire::Bytes(b)
            }
            other => return Err(format!("wire type {other} is not used by Kubernetes")),
        };
        if at > bytes.len() {
            return Err("truncated field".into());
        }
        out.push((key >> 3, value));
    }
    Ok(out)
}

fn text(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
}

fn message(bytes: &[u8], schema: &[(u64, Field)]) -> Result<Value, String> {
    let mut out = Map::new();
    for (number, value) in fields(bytes)? {
        let (Some((_, field)), Wire::Bytes(b)) = (schema.iter().find(|(n, _)| *n == number), value) else { continue };
        match field {
            // An empty string is an unset field, as in JSON's `omitempty`.
            Str(name) if !b.is_empty() => {
                out.insert((*name).into(), json!(text(b)?));
            }
            Str(_) => {}
            Strs(name) => {
                let list = out.entry(*name).or_insert_with(|| json!([]));
                list.as_array_mut().ok_or("not a list")?.push(json!(text(b)?));
            }
            Map(name) => {
                let entry = message(b, &[(1, Str("key")), (2, Str("value"))])?;
                let map = out.entry(*name).or_insert_with(|| json!({}));
                let key = entry["key"].as_str().unwrap_or_default().to_string();
                map[key] = entry.get("value").cloned().unwrap_or(json!(""));
            }
            Msg(name, inner) => {
                out.insert((*name).into(), message(b, inner)?);
            }
            Msgs(name, inner) => {
                let item = message(b, inner)?;
                let list = out.entry(*name).or_insert_with(|| json!([]));
                list.as_array_mut().ok_or("not a list")?.push(item);
            }
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3 | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    /// A ClusterRoleBinding as `kubectl create clusterrolebinding` 1.32 encodes it.
    #[test]
    fn reads_a_cluster_role_binding() {
        let meta = field(1, b"viewers");
        let subject = [field(1, b"Group"), field(2, b"rbac.authorization.k8s.io"), field(3, b"devs")].concat();
        let role_ref = [field(1, b"rbac.authorization.k8s.io"), field(2, b"ClusterRole"), field(3, b"view")].concat();
        let raw = [field(1, &meta), field(2, &subject), field(3, &role_ref)].concat();
        let type_meta = [field(1, b"rbac.authorization.k8s.io/v1"), field(2, b"ClusterRoleBinding")].concat();
        let body = [b"k8s\0".to_vec(), field(1, &type_meta), field(2, &raw)].concat();
        let v = to_json(&body).unwrap();
        assert_eq!(v["metadata"]["name"], "viewers");
        assert_eq!(v["subjects"][0]["name"], "devs");
        assert_eq!(v["roleRef"]["name"], "view");
        assert_eq!(v["kind"], "ClusterRoleBinding");
        assert!(to_json(b"k8s\0\x0a\x05").is_err(), "truncated");
        assert!(to_json(b"{}").is_err(), "not protobuf");
    }
}

//! Decoding: a schema-checked KDL document into a syntax tree of strings with spans.
//!
//! Decoding trusts the structural check (`config::schema`) and reports nothing itself: a value of
//! the wrong type was already reported there and is simply absent here. Meaning (is this a valid
//! ARN, a known policy, a declared principal?) is `config::resolve`'s job.
//!
//! Every value the decoder reads is recorded in `Decoder::read` as `parent>node/key`, so a test can
//! prove that each node and property of the schema is understood here (see `tests/schema.rs`).

use std::cell::RefCell;
use std::collections::BTreeSet;

use kdl::{KdlDocument, KdlNode, KdlValue};
use miette::SourceSpan;

use super::schema::DOCUMENT;

#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: SourceSpan,
}

pub type Text = Spanned<String>;

#[derive(Debug, Default)]
pub struct FileAst {
    pub principals: Vec<PrincipalDecl>,
    pub clusters: Vec<ClusterBlock>,
    /// Top-level `expect`s: every cluster's.
    pub expectations: Vec<ExpectAst>,
    pub guardrails: Option<GuardrailsAst>,
}

/// `expect PRINCIPAL can="VERB RESOURCE" [namespace=…] [name=…]` (or `cannot=`).
#[derive(Debug)]
pub struct ExpectAst {
    pub principal: Option<Text>,
    pub can: Option<Text>,
    pub cannot: Option<Text>,
    pub namespace: Option<Text>,
    pub name: Option<Text>,
    pub span: SourceSpan,
}

#[derive(Debug)]
pub struct GuardrailsAst {
    pub span: SourceSpan,
    pub no_system_masters: Option<SourceSpan>,
    /// The node's span and the principals it names.
    pub cluster_admins: Option<(SourceSpan, Vec<Text>)>,
    pub cross_account_entries: Option<(SourceSpan, Vec<Text>)>,
    pub no_wildcard_write_namespaces: Option<SourceSpan>,
}

#[derive(Debug)]
pub struct PrincipalDecl {
    pub name: Text,
    /// Its ARN, or (exactly one of the two) the IAM Identity Center permission set it is.
    pub arn: Option<Text>,
    pub permission_set: Option<Text>,
    /// The whole node, for what is wrong with it as a whole.
    pub span: SourceSpan,
}

#[derive(Debug)]
pub struct ClusterBlock {
    pub name: Option<Text>,
    pub span: SourceSpan,
    pub region: Option<Text>,
    pub account: Option<Text>,
    pub assume_role: Option<AssumeRoleAst>,
    pub kubernetes: Option<KubernetesAst>,
    pub authentication_mode: Option<Text>,
    pub prune: Option<Spanned<bool>>,
    pub owner: Option<Text>,
    pub protect: Vec<Text>,
    pub entries: Vec<EntryAst>,
    pub map_roles: Vec<MappingAst>,
    pub map_users: Vec<MappingAst>,
    pub map_accounts: Vec<Text>,
    pub bindings: Vec<BindingAst>,
    pub roles: Vec<RoleAst>,
    pub expectations: Vec<ExpectAst>,
    pub guardrails: Option<GuardrailsAst>,
}

#[derive(Debug)]
pub struct AssumeRoleAst {
    pub role_arn: Option<Text>,
    pub session_name: Option<Text>,
    pub external_id: Option<Text>,
    pub span: SourceSpan,
}

#[derive(Debug)]
pub struct KubernetesAst {
    pub kubeconfig: Option<Text>,
    pub context: Option<Text>,
    pub span: SourceSpan,
}

#[derive(Debug)]
pub struct EntryAst {
    pub principal: Option<Text>,
    pub span: SourceSpan,
    pub entry_type: Option<Text>,
    pub username: Option<Text>,
    pub groups: Vec<Text>,
    pub tags: Vec<(Text, Text)>,
    pub policies: Vec<PolicyAst>,
}

#[derive(Debug)]
pub struct PolicyAst {
    pub policy: Option<Text>,
    pub span: SourceSpan,
    pub scope: Option<Text>,
    pub namespaces: Vec<Text>,
    /// The `namespaces` node itself, when given.
    pub namespaces_span: Option<SourceSpan>,
}

#[derive(Debug)]
pub struct MappingAst {
    pub principal: Option<Text>,
    pub span: SourceSpan,
    pub username: Option<Text>,
    pub groups: Vec<Text>,
}

#[derive(Debug)]
pub struct BindingAst {
    pub group: Option<Text>,
    pub span: SourceSpan,
    pub cluster_role: Option<Text>,
    pub role: Option<Text>,
    pub namespace: Option<Text>,
}

/// A `cluster-role` (no `namespace`) or a `role`.
#[derive(Debug)]
pub struct RoleAst {
    pub cluster_wide: bool,
    pub name: Option<Text>,
    pub span: SourceSpan,
    pub namespace: Option<Text>,
    pub preset: Option<Text>,
    pub rules: Vec<RuleAst>,
}

#[derive(Debug)]
pub struct RuleAst {
    pub span: SourceSpan,
    pub api_groups: Vec<Text>,
    pub resources: Vec<Text>,
    pub verbs: Vec<Text>,
    pub resource_names: Vec<Text>,
    pub non_resource_urls: Vec<Text>,
}

/// Reads documents into `FileAst`s and remembers what it read.
#[derive(Debug, Default)]
pub struct Decoder {
    pub read: RefCell<BTreeSet<String>>,
}

impl Decoder {
    pub fn decode(&self, doc: &KdlDocument) -> FileAst {
        let mut file = FileAst::default();
        for node in doc.nodes() {
            match node.name().value() {
                "principal" => {
                    let (name, arn) = (self.arg(DOCUMENT, node, 0), self.arg(DOCUMENT, node, 1));
                    let permission_set = self.prop(DOCUMENT, node, "permission-set");
                    if let Some(name) = name {
                        file.principals.push(PrincipalDecl { name, arn, permission_set, span: node.span() });
                    }
                }
                "cluster" => file.clusters.push(self.cluster(node)),
                "expect" => file.expectations.push(self.expect(DOCUMENT, node)),
                "guardrails" => file.guardrails = Some(self.guardrails(DOCUMENT, node)),
                _ => {}
            }
        }
        file
    }

    fn cluster(&self, node: &KdlNode) -> ClusterBlock {
        let mut c = ClusterBlock {
            name: self.arg(DOCUMENT, node, 0),
            span: node.span(),
            region: None,
            account: None,
            assume_role: None,
            kubernetes: None,
            authentication_mode: None,
            prune: None,
            owner: None,
            protect: vec![],
            entries: vec![],
            map_roles: vec![],
            map_users: vec![],
            map_accounts: vec![],
            bindings: vec![],
            roles: vec![],
            expectations: vec![],
            guardrails: None,
        };
        for child in node.iter_children() {
            let p = "cluster";
            match child.name().value() {
                "region" => c.region = self.arg(p, child, 0),
                "account" => c.account = self.arg(p, child, 0),
                "assume-role" => {
                    c.assume_role = Some(AssumeRoleAst {
                        role_arn: self.arg(p, child, 0),
                        session_name: self.prop(p, child, "session-name"),
                        external_id: self.prop(p, child, "external-id"),
                        span: child.span(),
                    })
                }
                "kubernetes" => {
                    c.kubernetes = Some(KubernetesAst {
                        kubeconfig: self.prop(p, child, "kubeconfig"),
                        context: self.prop(p, child, "context"),
                        span: child.span(),
                    })
                }
                "authentication-mode" => c.authentication_mode = self.arg(p, child, 0),
                "prune" => {
                    self.mark(p, child, "#0");
                    if let Some(KdlValue::Bool(b)) = child.get(0) {
                        c.prune = Some(Spanned { value: *b, span: child.span() });
                    }
                }
                "owner" => c.owner = self.arg(p, child, 0),
                "protect" => c.protect.extend(self.arg(p, child, 0)),
                "access-entry" => c.entries.push(self.entry(child)),
                "aws-auth" => self.aws_auth(child, &mut c),
                "cluster-role" | "role" => c.roles.push(self.role(child)),
                "expect" => c.expectations.push(self.expect(p, child)),
                "guardrails" => c.guardrails = Some(self.guardrails(p, child)),
                "group-binding" => c.bindings.push(BindingAst {
                    group: self.arg(p, child, 0),
                    span: child.span(),
                    cluster_role: self.prop(p, child, "cluster-role"),
                    role: self.prop(p, child, "role"),
                    namespace: self.prop(p, child, "namespace"),
                }),
                _ => {}
            }
        }
        c
    }

    fn expect(&self, parent: &str, node: &KdlNode) -> ExpectAst {
        ExpectAst {
            principal: self.arg(parent, node, 0),
            can: self.prop(parent, node, "can"),
            cannot: self.prop(parent, node, "cannot"),
            namespace: self.prop(parent, node, "namespace"),
            name: self.prop(parent, node, "name"),
            span: node.span(),
        }
    }

    fn guardrails(&self, parent: &str, node: &KdlNode) -> GuardrailsAst {
        self.mark(parent, node, "");
        let mut g = GuardrailsAst {
            span: node.span(),
            no_system_masters: None,
            cluster_admins: None,
            cross_account_entries: None,
            no_wildcard_write_namespaces: None,
        };
        for child in node.iter_children() {
            let p = "guardrails";
            match child.name().value() {
                "no-system-masters" => {
                    self.mark(p, child, "");
                    g.no_system_masters = Some(child.span());
                }
                "cluster-admins" => g.cluster_admins = Some((child.span(), self.rest(p, child))),
                "cross-account-entries" => g.cross_account_entries = Some((child.span(), self.rest(p, child))),
                "no-wildcard-write-namespaces" => {
                    self.mark(p, child, "");
                    g.no_wildcard_write_namespaces = Some(child.span());
                }
                _ => {}
            }
        }
        g
    }

    fn entry(&self, node: &KdlNode) -> EntryAst {
        let p = "cluster";
        let mut e = EntryAst {
            principal: self.arg(p, node, 0),
            span: node.span(),
            entry_type: self.prop(p, node, "type"),
            username: self.prop(p, node, "username"),
            groups: vec![],
            tags: vec![],
            policies: vec![],
        };
        for child in node.iter_children() {
            let p = "access-entry";
            match child.name().value() {
                "groups" => e.groups = self.rest(p, child),
                "tags" => {
                    self.mark(p, child, "*");
                    for entry in child.entries() {
                        if let (Some(key), KdlValue::String(value)) = (entry.name(), entry.value()) {
                            let key = Spanned { value: key.value().to_string(), span: key.span() };
                            e.tags.push((key, Spanned { value: value.clone(), span: entry.span() }));
                        }
                    }
                }
                "policy" => e.policies.push(self.policy(child)),
                _ => {}
            }
        }
        e
    }

    fn policy(&self, node: &KdlNode) -> PolicyAst {
        let p = "access-entry";
        let mut policy = PolicyAst {
            policy: self.arg(p, node, 0),
            span: node.span(),
            scope: self.prop(p, node, "scope"),
            namespaces: vec![],
            namespaces_span: None,
        };
        for child in node.iter_children() {
            if child.name().value() == "namespaces" {
                policy.namespaces = self.rest("policy", child);
                policy.namespaces_span = Some(child.span());
            }
        }
        policy
    }

    fn role(&self, node: &KdlNode) -> RoleAst {
        let p = "cluster";
        let cluster_wide = node.name().value() == "cluster-role";
        let mut role = RoleAst {
            cluster_wide,
            name: self.arg(p, node, 0),
            span: node.span(),
            namespace: if cluster_wide { None } else { self.prop(p, node, "namespace") },
            preset: self.prop(p, node, "preset"),
            rules: vec![],
        };
        for child in node.iter_children() {
            if child.name().value() != "rule" {
                continue;
            }
            self.mark(node.name().value(), child, "");
            let mut rule = RuleAst {
                span: child.span(),
                api_groups: vec![],
                resources: vec![],
                verbs: vec![],
                resource_names: vec![],
                non_resource_urls: vec![],
            };
            for part in child.iter_children() {
                let values = self.rest("rule", part);
                match part.name().value() {
                    "api-groups" => rule.api_groups = values,
                    "resources" => rule.resources = values,
                    "verbs" => rule.verbs = values,
                    "resource-names" => rule.resource_names = values,
                    "non-resource-urls" => rule.non_resource_urls = values,
                    _ => {}
                }
            }
            role.rules.push(rule);
        }
        role
    }

    fn aws_auth(&self, node: &KdlNode, c: &mut ClusterBlock) {
        self.mark("cluster", node, "");
        for child in node.iter_children() {
            let p = "aws-auth";
            match child.name().value() {
                "map-role" => c.map_roles.push(self.mapping(child)),
                "map-user" => c.map_users.push(self.mapping(child)),
                "map-account" => c.map_accounts.extend(self.arg(p, child, 0)),
                _ => {}
            }
        }
    }

    fn mapping(&self, node: &KdlNode) -> MappingAst {
        let p = "aws-auth";
        let mut m = MappingAst {
            principal: self.arg(p, node, 0),
            span: node.span(),
            username: self.prop(p, node, "username"),
            groups: vec![],
        };
        for child in node.iter_children() {
            if child.name().value() == "groups" {
                m.groups = self.rest(node.name().value(), child);
            }
        }
        m
    }

    fn mark(&self, parent: &str, node: &KdlNode, key: &str) {
        self.read.borrow_mut().insert(format!("{parent}>{}/{key}", node.name().value()));
    }

    fn arg(&self, parent: &str, node: &KdlNode, index: usize) -> Option<Text> {
        self.mark(parent, node, &format!("#{index}"));
        node.entries().iter().filter(|e| e.name().is_none()).nth(index).and_then(|e| match e.value() {
            KdlValue::String(s) => Some(Spanned { value: s.clone(), span: e.span() }),
            _ => None,
        })
    }

    fn rest(&self, parent: &str, node: &KdlNode) -> Vec<Text> {
        self.mark(parent, node, "#*");
        node.entries()
            .iter()
            .filter(|e| e.name().is_none())
            .filter_map(|e| match e.value() {
                KdlValue::String(s) => Some(Spanned { value: s.clone(), span: e.span() }),
                _ => None,
            })
            .collect()
    }

    fn prop(&self, parent: &str, node: &KdlNode, name: &str) -> Option<Text> {
        self.mark(parent, node, name);
        node.entries().iter().find(|e| e.name().is_some_and(|n| n.value() == name)).and_then(|e| match e.value() {
            KdlValue::String(s) => Some(Spanned { value: s.clone(), span: e.span() }),
            _ => None,
        })
    }
}

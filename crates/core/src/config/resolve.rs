//! Resolution: decoded files → the desired `Configuration`, applying every rule EKS and aws-auth
//! impose (reference §3–4) and reporting every violation with its span and its fix.
//!
//! Clusters may be spread over several files (a team per file): blocks with the same name merge,
//! but each setting (region, mode, …) may be given in one block only, and a principal may have one
//! access entry and one mapping per cluster across all files.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use miette::SourceSpan;

use super::decode::{
    ClusterBlock, EntryAst, ExpectAst, FileAst, GuardrailsAst, MappingAst, PolicyAst, PrincipalDecl, RuleAst, Text,
};
use super::diagnostic::{Code, ConfigDiagnostic, Diagnostics, did_you_mean};
use super::source::SourceFile;
use crate::access::{Request, Rule, presets};
use crate::model::arn::{ArnError, PrincipalArn, PrincipalKind, is_account_id};
use crate::model::permission_set_placeholder;
use crate::model::rules::{EntryType, EntryViolation, check_group, check_username};
use crate::model::{
    AccessEntry, AccessScope, AssumeRole, AuthMode, AwsAuth, BindingTarget, Cluster, Configuration, DeclaredRole,
    Expectation, GroupBinding, Guardrails, KubernetesOverride, Named, Origin, PolicyAssociation, RoleMapping,
    UserMapping, policy,
};
use crate::ownership;

/// A place in one of the files.
#[derive(Debug, Clone, Copy)]
struct At {
    file: usize,
    span: SourceSpan,
}

struct Resolver<'a> {
    files: &'a [SourceFile],
    diagnostics: Diagnostics,
    principals: HashMap<String, (Declared, At)>,
    /// The permission sets the cluster being resolved names, with their placeholders.
    permission_sets: BTreeMap<String, PrincipalArn>,
}

/// What a `principal` declaration names.
#[derive(Debug, Clone)]
enum Declared {
    /// An IAM user or role (`None`: its ARN was invalid, and said so).
    Arn(Option<PrincipalArn>),
    /// An IAM Identity Center permission set: a role in each account, resolved per cluster.
    PermissionSet(String),
}

pub fn resolve(files: &[SourceFile], asts: &[FileAst]) -> (Configuration, Diagnostics) {
    let mut r = Resolver {
        files,
        diagnostics: Diagnostics::default(),
        principals: HashMap::new(),
        permission_sets: BTreeMap::new(),
    };
    for (i, ast) in asts.iter().enumerate() {
        for decl in &ast.principals {
            r.declare_principal(i, decl);
        }
    }
    let mut blocks: BTreeMap<String, Vec<(usize, &ClusterBlock)>> = BTreeMap::new();
    for (i, ast) in asts.iter().enumerate() {
        for block in &ast.clusters {
            if let Some(name) = &block.name {
                blocks.entry(name.value.clone()).or_default().push((i, block));
            }
        }
    }
    // Top-level expectations and guardrails hold on every cluster: their words and names are
    // checked once here, their principals resolved in each cluster (permission sets differ per
    // account).
    let mut shared = Shared::default();
    for (i, ast) in asts.iter().enumerate() {
        for e in &ast.expectations {
            if let Some(words) = r.expectation_words(i, e)
                && r.principal_known(i, e.principal.as_ref())
            {
                shared.expectations.push((i, e, words));
            }
        }
        if let Some(g) = &ast.guardrails {
            let at = At { file: i, span: g.span };
            match shared.guardrails {
                Some((first_file, first)) => {
                    let first = At { file: first_file, span: first.span };
                    r.twice(
                        Code::DuplicateNode,
                        at,
                        first,
                        "`guardrails` is given twice".into(),
                        "keep one `guardrails` block: its rules hold for every cluster of the configuration".into(),
                    );
                }
                None => {
                    let named = g.cluster_admins.iter().chain(&g.cross_account_entries).flat_map(|(_, names)| names);
                    let named: Vec<&Text> = named.collect();
                    for text in named {
                        r.principal_known(i, Some(text));
                    }
                    shared.guardrails = Some((i, g));
                }
            }
        }
    }
    let mut config = Configuration::default();
    for (name, (declared, _)) in &r.principals {
        if let Declared::Arn(Some(arn)) = declared {
            config.principal_names.insert(arn.to_string(), name.clone());
        }
    }
    for (name, parts) in &blocks {
        if let Some(cluster) = r.cluster(name, parts, &shared) {
            config.clusters.push(cluster);
        }
    }
    (config, r.diagnostics)
}

impl<'a> Resolver<'a> {
    fn file(&self, at: At) -> &'a SourceFile {
        &self.files[at.file]
    }

    fn error(&mut self, code: Code, at: At, message: String, label: &str, help: String) {
        let d = ConfigDiagnostic::error(code, self.file(at), message).label(at.span, label).help(help);
        self.diagnostics.push(d);
    }

    fn warning(&mut self, code: Code, at: At, message: String, label: &str, help: String) {
        let d = ConfigDiagnostic::warning(code, self.file(at), message).label(at.span, label).help(help);
        self.diagnostics.push(d);
    }

    /// An error about two places, which may be in different files.
    fn twice(&mut self, code: Code, again: At, first: At, message: String, help: String) {
        let mut d = ConfigDiagnostic::error(code, self.file(again), message).label(again.span, "given again here");
        if first.file == again.file {
            d = d.label(first.span, "first given here");
        } else {
            let first_d = ConfigDiagnostic::note(code, self.file(first), "first given here")
                .label(first.span, "first given here");
            d = d.related(first_d);
        }
        self.diagnostics.push(d.help(help));
    }

    fn account_id(&mut self, file: usize, text: &Text) -> Option<String> {
        if is_account_id(&text.value) {
            return Some(text.value.clone());
        }
        self.error(
            Code::InvalidAccount,
            At { file, span: text.span },
            format!("`{}` is not an AWS account id", text.value),
            "not 12 digits",
            "an AWS account id has exactly 12 digits, written as a string".into(),
        );
        None
    }

    /// Records that `key` was written at `at`. If it was written before, reports both places
    /// and returns false: the caller drops the second one.
    fn first_time<K: std::hash::Hash + Eq>(
        &mut self,
        seen: &mut HashMap<K, At>,
        key: K,
        at: At,
        code: Code,
        message: impl FnOnce() -> String,
        help: &str,
    ) -> bool {
        if let Some(first) = seen.get(&key) {
            let first = *first;
            self.twice(code, at, first, message(), help.to_string());
            return false;
        }
        seen.insert(key, at);
        true
    }

    fn declare_principal(&mut self, file: usize, decl: &PrincipalDecl) {
        let name = decl.name.clone();
        let at = At { file, span: name.span };
        if let Some((_, first)) = self.principals.get(&name.value) {
            let first = *first;
            self.twice(
                Code::DuplicatePrincipalName,
                at,
                first,
                format!("principal `{}` is declared twice", name.value),
                "give each principal one name, declared once".to_string(),
            );
            return;
        }
        if name.value.starts_with("arn:") {
            self.error(
                Code::InvalidValue,
                at,
                "a principal's name cannot be an ARN".to_string(),
                "this is the name",
                "write `principal \"short-name\" \"arn:aws:iam::…\"`".to_string(),
            );
        }
        let declared = match (&decl.arn, &decl.permission_set) {
            (Some(arn), None) => Declared::Arn(self.parse_arn(&arn.value, At { file, span: arn.span })),
            (None, Some(set)) if valid_permission_set(&set.value) => Declared::PermissionSet(set.value.clone()),
            (None, Some(set)) => {
                self.error(
                    Code::InvalidPermissionSet,
                    At { file, span: set.span },
                    format!("`{}` cannot be a permission set's name", set.value),
                    "invalid permission set name",
                    "a permission set's name has 1 to 32 letters, digits and `_+=,.@-`, as IAM Identity Center \
                     allows"
                        .into(),
                );
                Declared::Arn(None)
            }
            (arn, _) => {
                let both = arn.is_some();
                self.error(
                    if both { Code::InvalidValue } else { Code::MissingValue },
                    At { file, span: decl.span },
                    if both {
                        format!("principal `{}` has both an ARN and a permission set", name.value)
                    } else {
                        format!("principal `{}` has no ARN", name.value)
                    },
                    if both { "one or the other" } else { "no ARN" },
                    "write `principal \"name\" \"arn:aws:iam::…\"`, or `principal \"name\" \
                     permission-set=\"AdministratorAccess\"` for an IAM Identity Center permission set"
                        .into(),
                );
                Declared::Arn(None)
            }
        };
        self.principals.insert(name.value, (declared, at));
    }

    fn parse_arn(&mut self, text: &str, at: At) -> Option<PrincipalArn> {
        match PrincipalArn::parse(text) {
            Ok(arn) => Some(arn),
            Err(e) => {
                let (code, help) = match &e {
                    ArnError::AssumedRole { role_arn } => (
                        Code::AssumedRoleArn,
                        format!(
                            "use the IAM role the session came from: \"{role_arn}\" (add the role's path if it has one)"
                        ),
                    ),
                    ArnError::ServiceLinkedRole => (
                        Code::ServiceLinkedRole,
                        "EKS does not accept service-linked roles as principals; grant access to another role".into(),
                    ),
                    ArnError::Account(_) => (Code::InvalidArn, "an AWS account id has exactly 12 digits".into()),
                    ArnError::Partition(_) => (
                        Code::InvalidArn,
                        format!("the partition is one of {}", crate::model::arn::PARTITIONS.join(", ")),
                    ),
                    _ => (
                        Code::InvalidArn,
                        "write an IAM ARN: arn:aws:iam::111122223333:role/NAME or arn:aws:iam::111122223333:user/NAME"
                            .into(),
                    ),
                };
                self.error(code, at, format!("invalid principal ARN: {e}"), "not an IAM user or role ARN", help);
                None
            }
        }
    }

    /// A principal written as an ARN or as a declared name, in the cluster `ctx`. `None` means an
    /// error was reported. A permission set stands as its placeholder in the cluster's account.
    fn principal_ref(&mut self, ctx: &ClusterContext<'_>, file: usize, text: &Text) -> Option<(PrincipalArn, bool)> {
        let at = At { file, span: text.span };
        if text.value.starts_with("arn:") {
            return self.parse_arn(&text.value, at).map(|a| (a, true));
        }
        match self.principals.get(&text.value).cloned() {
            Some((Declared::Arn(arn), _)) => arn.map(|a| (a, false)),
            Some((Declared::PermissionSet(set), _)) => {
                let Some(account) = &ctx.account else {
                    self.error(
                        Code::PermissionSetNeedsAccount,
                        at,
                        format!("`{}` is the permission set {set}, whose role differs in every account", text.value),
                        "needs the cluster's account",
                        format!("add `account \"…\"` to cluster `{}`: the role of {set} is looked up there", ctx.name),
                    );
                    return None;
                };
                let placeholder = permission_set_placeholder(partition_of(ctx.region), account, &set);
                self.permission_sets.insert(set, placeholder.clone());
                Some((placeholder, false))
            }
            None => {
                self.unknown_principal(at, &text.value);
                None
            }
        }
    }

    fn invalid_namespace(&mut self, at: At, namespace: &str) {
        self.error(
            Code::InvalidValue,
            at,
            format!("\"{namespace}\" cannot be a namespace"),
            "not a namespace name",
            "a namespace is 1-63 lower-case letters, digits and `-`, starting and ending with a letter or digit (an \
             access policy's scope may end in `*`)"
                .into(),
        );
    }

    fn unknown_principal(&mut self, at: At, name: &str) {
        let names: Vec<&str> = self.principals.keys().map(String::as_str).collect();
        let help = match did_you_mean(name, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if name.trim().is_empty() => "write a declared principal's name, or an IAM user or role ARN".into(),
            None => format!("declare it with `principal \"{name}\" \"arn:aws:iam::…\"`, or write the ARN here"),
        };
        self.error(Code::UnknownPrincipal, at, format!("no principal is named `{name}`"), "unknown principal", help);
    }

    fn origin(&self, file: usize, span: SourceSpan) -> Origin {
        Origin { file: self.files[file].name.clone(), offset: span.offset(), len: span.len() }
    }

    fn cluster(&mut self, name: &str, parts: &[(usize, &ClusterBlock)], shared: &Shared<'_>) -> Option<Cluster> {
        let (first_file, first) = parts[0];
        let name_at = At { file: first_file, span: first.name.as_ref().map(|n| n.span).unwrap_or(first.span) };
        if !valid_cluster_name(name) {
            self.error(
                Code::InvalidClusterName,
                name_at,
                format!("`{name}` is not a valid EKS cluster name"),
                "invalid name",
                "cluster names are 1-100 letters, digits, `-` and `_`, starting with a letter or digit".into(),
            );
        }
        let region = self.setting(name, parts, "region", |b| b.region.as_ref());
        let account = self.setting(name, parts, "account", |b| b.account.as_ref());
        let mode = self.setting(name, parts, "authentication-mode", |b| b.authentication_mode.as_ref());
        let assume = self.setting_of(name, parts, "assume-role", |b| b.assume_role.as_ref().map(|a| a.span));
        let kube = self.setting_of(name, parts, "kubernetes", |b| b.kubernetes.as_ref().map(|k| k.span));
        let prune = self.setting_of(name, parts, "prune", |b| b.prune.as_ref().map(|p| p.span));
        let owner = self.setting(name, parts, "owner", |b| b.owner.as_ref());

        let region = match region {
            Some((file, r)) => {
                if !valid_region(&r.value) {
                    self.error(
                        Code::InvalidRegion,
                        At { file, span: r.span },
                        format!("`{}` is not an AWS region", r.value),
                        "invalid region",
                        "write a region code such as \"eu-west-1\" or \"us-east-1\"".into(),
                    );
                }
                r.value.clone()
            }
            None => {
                self.error(
                    Code::MissingRegion,
                    name_at,
                    format!("cluster `{name}` has no region"),
                    "no `region` in any block of this cluster",
                    "add `region \"eu-west-1\"` (the cluster's region) inside the block".into(),
                );
                String::new()
            }
        };
        let account = account.and_then(|(file, a)| self.account_id(file, a));
        let mode_at = mode.map(|(file, m)| At { file, span: m.span });
        let authentication_mode = mode.and_then(|(_, m)| AuthMode::parse(&m.value));
        let assume_role = assume.and_then(|(file, b)| {
            let a = b.assume_role.as_ref()?;
            let role_text = a.role_arn.as_ref()?;
            let role_arn = self.parse_arn(&role_text.value, At { file, span: role_text.span })?;
            if role_arn.kind != PrincipalKind::Role {
                self.error(
                    Code::WrongPrincipalKind,
                    At { file, span: role_text.span },
                    "`assume-role` needs a role, not a user".into(),
                    "an IAM user",
                    "give the ARN of the IAM role accessctl should assume for this cluster".into(),
                );
            }
            Some(AssumeRole {
                role_arn,
                session_name: a.session_name.as_ref().map(|s| s.value.clone()),
                external_id: a.external_id.as_ref().map(|s| s.value.clone()),
            })
        });
        let kubernetes = kube.and_then(|(_, b)| b.kubernetes.as_ref()).map(|k| KubernetesOverride {
            kubeconfig: k.kubeconfig.as_ref().map(|t| t.value.clone()),
            context: k.context.as_ref().map(|t| t.value.clone()),
        });
        let prune = prune.and_then(|(_, b)| b.prune.as_ref()).is_some_and(|p| p.value);
        let owner = match owner {
            Some((file, o)) if !ownership::valid_owner(&o.value) => {
                self.error(
                    Code::InvalidOwner,
                    At { file, span: o.span },
                    format!("`{}` cannot be an owner", o.value),
                    "invalid owner",
                    "an owner is 1-63 lower-case letters, digits, `-`, `_` and `.`, starting and ending with a \
                     letter or digit, such as \"payments-team\""
                        .into(),
                );
                String::new()
            }
            Some((_, o)) => o.value.clone(),
            None => ownership::DEFAULT_OWNER.to_string(),
        };

        let ctx =
            ClusterContext { name, region: &region, account: account.clone(), mode: authentication_mode, mode_at };
        self.permission_sets.clear();
        let mut protected = Vec::new();
        for (file, block) in parts {
            for p in &block.protect {
                if let Some((arn, _)) = self.principal_ref(&ctx, *file, p) {
                    protected.push(arn);
                }
            }
        }
        let access_entries = self.entries(&ctx, parts);
        let aws_auth = self.aws_auth(&ctx, parts);
        let group_bindings = self.bindings(parts, &access_entries, &aws_auth, &owner);
        let roles = self.roles(parts);
        let mut expectations = vec![];
        for (file, block) in parts {
            for e in &block.expectations {
                if let Some(words) = self.expectation_words(*file, e)
                    && let Some(expectation) = self.expectation(&ctx, *file, e, words)
                {
                    expectations.push(expectation);
                }
            }
        }
        for (file, e, words) in &shared.expectations {
            expectations.extend(self.expectation(&ctx, *file, e, words.clone()));
        }
        let everywhere = match shared.guardrails {
            Some((file, g)) => self.guardrails(&ctx, file, g, true),
            None => Guardrails::default(),
        };
        let own = self.setting_of(name, parts, "guardrails", |b| b.guardrails.as_ref().map(|g| g.span));
        let guardrails = match own.and_then(|(file, b)| Some((file, b.guardrails.as_ref()?))) {
            Some((file, g)) => {
                let own = self.guardrails(&ctx, file, g, false);
                self.merge_guardrails(everywhere, own, At { file, span: g.span })
            }
            None => everywhere,
        };
        protected.sort();
        protected.dedup();
        Some(Cluster {
            name: name.to_string(),
            region,
            account,
            assume_role,
            kubernetes,
            authentication_mode,
            prune,
            owner,
            protected,
            access_entries,
            aws_auth,
            group_bindings,
            roles,
            permission_sets: std::mem::take(&mut self.permission_sets),
            expectations,
            guardrails,
            origin: self.origin(first_file, first.span),
        })
    }

    /// A setting that may be given in one block of the cluster only.
    fn setting<'b>(
        &mut self,
        cluster: &str,
        parts: &[(usize, &'b ClusterBlock)],
        what: &str,
        get: impl Fn(&'b ClusterBlock) -> Option<&'b Text>,
    ) -> Option<(usize, &'b Text)> {
        let found = self.setting_of(cluster, parts, what, |b| get(b).map(|t| t.span))?;
        get(found.1).map(|t| (found.0, t))
    }

    fn setting_of<'b>(
        &mut self,
        cluster: &str,
        parts: &[(usize, &'b ClusterBlock)],
        what: &str,
        span_of: impl Fn(&'b ClusterBlock) -> Option<SourceSpan>,
    ) -> Option<(usize, &'b ClusterBlock)> {
        let mut first: Option<(usize, &'b ClusterBlock, SourceSpan)> = None;
        for (file, block) in parts {
            let Some(span) = span_of(block) else { continue };
            match first {
                None => first = Some((*file, block, span)),
                Some((f, _, s)) => self.twice(
                    Code::DuplicateClusterSetting,
                    At { file: *file, span },
                    At { file: f, span: s },
                    format!("cluster `{cluster}` is configured twice: `{what}` is set in two blocks"),
                    format!(
                        "set `{what}` in one `cluster \"{cluster}\"` block; other blocks of the same cluster \
                         may only add entries, mappings and bindings"
                    ),
                ),
            }
        }
        first.map(|(f, b, _)| (f, b))
    }

    fn entries(&mut self, ctx: &ClusterContext<'_>, parts: &[(usize, &ClusterBlock)]) -> Vec<AccessEntry> {
        let mut seen: HashMap<String, At> = HashMap::new();
        let mut out = Vec::new();
        let mut config_map_reported = false;
        for (file, block) in parts {
            for e in &block.entries {
                let at = At { file: *file, span: e.principal.as_ref().map_or(e.span, |p| p.span) };
                if ctx.mode == Some(AuthMode::ConfigMap) && !config_map_reported {
                    config_map_reported = true;
                    self.entries_on_config_map(ctx, at);
                }
                let Some(entry) = self.entry(ctx, *file, e) else { continue };
                let message = || format!("{} has two access entries in cluster `{}`", entry.principal, ctx.name);
                let help = "EKS allows one access entry per principal, however its ARN is spelled: merge them into one";
                let key = entry.principal.identity_key();
                if self.first_time(&mut seen, key, at, Code::DuplicatePrincipal, message, help) {
                    out.push(entry);
                }
            }
        }
        out.sort_by(|a, b| a.principal.cmp(&b.principal));
        out
    }

    fn entries_on_config_map(&mut self, ctx: &ClusterContext<'_>, entry_at: At) {
        let mut d = ConfigDiagnostic::error(
            Code::EntriesOnConfigMapCluster,
            self.file(entry_at),
            format!("cluster `{}` wants authentication mode CONFIG_MAP, which has no access entries", ctx.name),
        )
        .label(entry_at.span, "EKS refuses access entries on a CONFIG_MAP cluster");
        if let Some(mode_at) = ctx.mode_at
            && mode_at.file == entry_at.file
        {
            d = d.label(mode_at.span, "wanted mode");
        }
        let d = d.help(
            "set `authentication-mode \"API_AND_CONFIG_MAP\"` (keeps aws-auth working), or move these principals \
             into an `aws-auth` block as map-role/map-user",
        );
        self.diagnostics.push(d);
    }

    fn entry(&mut self, ctx: &ClusterContext<'_>, file: usize, e: &EntryAst) -> Option<AccessEntry> {
        let principal_text = e.principal.as_ref()?;
        let (principal, _) = self.principal_ref(ctx, file, principal_text)?;
        let principal_at = At { file, span: principal_text.span };
        let entry_type = e.entry_type.as_ref().and_then(|t| EntryType::parse(&t.value)).unwrap_or_default();
        let type_note = |t: EntryType| format!("`type=\"{}\"`", t.as_str());

        if entry_type != EntryType::Standard {
            if principal.kind != PrincipalKind::Role {
                self.error(
                    Code::WrongPrincipalKind,
                    principal_at,
                    format!("{} entries are for IAM roles, and this is a user", entry_type.as_str()),
                    "an IAM user",
                    "node and Fargate entries take the role the nodes or pods run as".into(),
                );
            }
            if let Some(account) = &ctx.account
                && &principal.account != account
            {
                self.error(
                    Code::CrossAccountNode,
                    principal_at,
                    format!(
                        "{} entries must be in the cluster's account {account}, this role is in {}",
                        entry_type.as_str(),
                        principal.account
                    ),
                    "another account",
                    "only STANDARD entries may name principals of other accounts".into(),
                );
            }
        }

        let username = e.username.as_ref().map(|u| {
            let at = At { file, span: u.span };
            if entry_type != EntryType::Standard {
                self.not_standard(at, entry_type, "a username", "EKS sets the node username itself: remove it");
            } else if let Some(v) = check_username(&u.value) {
                self.username_violation(at, &u.value, v);
            }
            u.value.clone()
        });

        let mut groups = BTreeSet::new();
        for g in &e.groups {
            let at = At { file, span: g.span };
            if entry_type != EntryType::Standard {
                self.not_standard(
                    at,
                    entry_type,
                    "Kubernetes groups",
                    &format!("{} puts nodes in their groups itself: remove `groups`", type_note(entry_type)),
                );
                break;
            }
            if let Some(EntryViolation::ReservedGroup { group }) = check_group(&g.value) {
                let help = match group.as_str() {
                    "system:masters" => "access entries cannot use system:masters: remove it and add \
                                         `policy \"AmazonEKSClusterAdminPolicy\"` for the same access"
                        .to_string(),
                    "system:nodes" | "system:bootstrappers" => {
                        "for nodes, remove the group and set `type=\"EC2_LINUX\"` (or EC2_WINDOWS)".to_string()
                    }
                    _ => "use a group without the `system:` prefix, bound with `group-binding`".to_string(),
                };
                self.error(
                    Code::ReservedGroup,
                    at,
                    format!("access entries cannot use the group `{group}`"),
                    "groups starting with `system:` are reserved",
                    help,
                );
                continue;
            }
            groups.insert(g.value.clone());
        }

        let tags = self.tags(file, e);
        let mut policies: Vec<PolicyAssociation> = Vec::new();
        let mut seen_policies: HashMap<String, At> = HashMap::new();
        for p in &e.policies {
            let Some(assoc) = self.policy(file, entry_type, p) else { continue };
            let at = At { file, span: p.span };
            let name = assoc.policy.clone();
            let message = || format!("`{name}` is associated twice with this entry");
            let help = "a policy is associated once per entry: list every namespace in one `namespaces`";
            if self.first_time(&mut seen_policies, assoc.policy.clone(), at, Code::DuplicatePolicy, message, help) {
                policies.push(assoc);
            }
        }
        policies.sort_by(|a, b| a.policy.cmp(&b.policy));

        Some(AccessEntry {
            principal,
            entry_type,
            username,
            groups: groups.into_iter().collect(),
            tags,
            policies,
            origin: self.origin(file, e.span),
        })
    }

    fn not_standard(&mut self, at: At, t: EntryType, what: &str, help: &str) {
        self.error(
            Code::NotStandardEntry,
            at,
            format!("{} entries cannot have {what}", t.as_str()),
            "only STANDARD entries take this",
            help.to_string(),
        );
    }

    fn username_violation(&mut self, at: At, username: &str, v: EntryViolation) {
        match v {
            EntryViolation::ReservedUsername { prefix } => self.error(
                Code::ReservedUsername,
                at,
                format!("the username `{username}` begins with the reserved prefix `{prefix}`"),
                "reserved by EKS",
                format!(
                    "choose a username that does not begin with {}",
                    crate::model::rules::RESERVED_USERNAME_PREFIXES.join(", ")
                ),
            ),
            EntryViolation::SessionNameWithoutColon => self.error(
                Code::SessionNameWithoutColon,
                at,
                "a username with {{SessionName}} needs a colon before it".into(),
                "no `:` before the template",
                format!(
                    "put a colon before the template, e.g. \"{}\"",
                    username.replacen("{{", ":{{", 1).trim_start_matches(':')
                ),
            ),
            _ => {}
        }
    }

    fn policy(&mut self, file: usize, entry_type: EntryType, p: &PolicyAst) -> Option<PolicyAssociation> {
        let text = p.policy.as_ref()?;
        let at = At { file, span: text.span };
        let name = if text.value.starts_with("arn:") {
            match policy::policy_name_from_arn(&text.value) {
                Some(n) => n.to_string(),
                None => {
                    self.error(
                        Code::UnknownPolicy,
                        at,
                        format!("`{}` is not an access-policy ARN", text.value),
                        "not arn:aws:eks::aws:cluster-access-policy/…",
                        "write the policy's short name, e.g. \"AmazonEKSViewPolicy\"".into(),
                    );
                    return None;
                }
            }
        } else {
            text.value.clone()
        };
        if !policy::is_known_policy(&name) {
            let help = match did_you_mean(&name, policy::ACCESS_POLICIES.iter().copied()) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => "the core policies are AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy, \
                         AmazonEKSEditPolicy, AmazonEKSViewPolicy and AmazonEKSAdminViewPolicy"
                    .into(),
            };
            self.error(Code::UnknownPolicy, at, format!("unknown access policy `{name}`"), "unknown policy", help);
            return None;
        }
        if !entry_type.allows_policy(&name) {
            let help = if entry_type == EntryType::Ec2 {
                format!("EC2 (Auto Mode) node entries take only {}", policy::AUTO_NODE)
            } else {
                "remove the policy: EKS gives node and Fargate entries their permissions itself".into()
            };
            self.error(
                Code::NotStandardEntry,
                At { file, span: p.span },
                format!("{} entries cannot have the access policy {name}", entry_type.as_str()),
                "only STANDARD entries take access policies",
                help,
            );
            return None;
        }
        if let Some(bad) = p.namespaces.iter().find(|n| !crate::model::rules::valid_namespace_pattern(&n.value)) {
            self.invalid_namespace(At { file, span: bad.span }, &bad.value);
            return None;
        }
        let mut namespaces: Vec<String> = p.namespaces.iter().map(|n| n.value.clone()).collect();
        namespaces.sort();
        namespaces.dedup();
        let scope = match p.scope.as_ref().map(|s| s.value.as_str()) {
            Some("namespace") if namespaces.is_empty() => {
                self.error(
                    Code::ScopeWithoutNamespaces,
                    At { file, span: p.span },
                    format!("`{name}` is scoped to namespaces, but lists none"),
                    "scope=\"namespace\" without namespaces",
                    format!(
                        "add the namespaces: `policy \"{name}\" scope=\"namespace\" {{ namespaces \"dev-*\" }}`, \
                         or remove scope= for the whole cluster"
                    ),
                );
                return None;
            }
            Some("cluster") if !namespaces.is_empty() => {
                let span = p.namespaces_span.unwrap_or(p.span);
                self.error(
                    Code::NamespacesWithClusterScope,
                    At { file, span },
                    format!("`{name}` is scoped to the cluster, but lists namespaces"),
                    "namespaces of a cluster-scoped policy",
                    "remove `scope=\"cluster\"` to scope the policy to these namespaces, or remove the namespaces"
                        .into(),
                );
                return None;
            }
            _ if namespaces.is_empty() => AccessScope::Cluster,
            _ => AccessScope::Namespace(namespaces),
        };
        Some(PolicyAssociation { policy: name, scope })
    }

    fn tags(&mut self, file: usize, e: &EntryAst) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        for (key, value) in &e.tags {
            let at = At { file, span: key.span };
            let problem = if key.value.is_empty() || key.value.chars().count() > 128 {
                Some("tag keys are 1 to 128 characters")
            } else if key.value.to_ascii_lowercase().starts_with("aws:") {
                Some("the `aws:` prefix is reserved for AWS's own tags")
            } else if value.value.chars().count() > 256 {
                Some("tag values are at most 256 characters")
            } else {
                None
            };
            match problem {
                Some(why) => self.error(
                    Code::InvalidTag,
                    at,
                    format!("invalid tag `{}`", key.value),
                    why,
                    "change the tag so AWS accepts it".into(),
                ),
                None => {
                    tags.insert(key.value.clone(), value.value.clone());
                }
            }
        }
        if tags.len() > 50 {
            let at = At { file, span: e.span };
            self.error(
                Code::InvalidTag,
                at,
                format!("{} tags on one entry; AWS allows 50", tags.len()),
                "too many tags",
                "keep at most 50 tags".into(),
            );
        }
        tags
    }

    fn aws_auth(&mut self, ctx: &ClusterContext<'_>, parts: &[(usize, &ClusterBlock)]) -> AwsAuth {
        let mut auth = AwsAuth::default();
        let mut seen: HashMap<String, At> = HashMap::new();
        let mut api_reported = false;
        for (file, block) in parts {
            let file = *file;
            let all = block
                .map_roles
                .iter()
                .map(|m| (PrincipalKind::Role, m))
                .chain(block.map_users.iter().map(|m| (PrincipalKind::User, m)));
            for (kind, m) in all {
                let at = At { file, span: m.principal.as_ref().map_or(m.span, |p| p.span) };
                if ctx.mode == Some(AuthMode::Api) && !api_reported {
                    api_reported = true;
                    self.warning(
                        Code::MappingsIgnoredInApiMode,
                        at,
                        format!("cluster `{}` wants authentication mode API, which ignores aws-auth", ctx.name),
                        "this mapping will grant nothing",
                        "replace the mappings with access entries (`accessctl migrate` does this), or keep \
                         the mode at API_AND_CONFIG_MAP"
                            .into(),
                    );
                }
                let Some(arn) = self.mapping_principal(ctx, file, kind, m) else { continue };
                let message = || format!("{arn} is mapped twice in aws-auth of cluster `{}`", ctx.name);
                let help = "aws-auth uses only one of them (the last role wins, users are unpredictable): keep one";
                if !self.first_time(&mut seen, arn.aws_auth_key(), at, Code::DuplicatePrincipal, message, help) {
                    continue;
                }
                let mut groups: Vec<String> = m.groups.iter().map(|g| g.value.clone()).collect();
                groups.sort();
                groups.dedup();
                let username = m.username.as_ref().map(|u| u.value.clone());
                let origin = self.origin(file, m.span);
                match kind {
                    PrincipalKind::Role => auth.roles.push(RoleMapping { rolearn: arn, username, groups, origin }),
                    PrincipalKind::User => auth.users.push(UserMapping { userarn: arn, username, groups, origin }),
                }
            }
            for a in &block.map_accounts {
                auth.accounts.extend(self.account_id(file, a));
            }
        }
        auth.roles.sort_by(|a, b| a.rolearn.cmp(&b.rolearn));
        auth.users.sort_by(|a, b| a.userarn.cmp(&b.userarn));
        auth.accounts.sort();
        auth.accounts.dedup();
        auth
    }

    /// The ARN a mapping writes into aws-auth. A role's path is never matched by aws-auth: an ARN
    /// written inline with a path is refused (the user may have meant either); a declared
    /// principal is written without its path, which is what aws-auth matches. A user keeps its
    /// path: the authenticator compares a user's ARN as STS reports it, path included.
    fn mapping_principal(
        &mut self,
        ctx: &ClusterContext<'_>,
        file: usize,
        kind: PrincipalKind,
        m: &MappingAst,
    ) -> Option<PrincipalArn> {
        let text = m.principal.as_ref()?;
        let at = At { file, span: text.span };
        let (arn, inline) = self.principal_ref(ctx, file, text)?;
        if arn.kind != kind {
            let (node, other) = match kind {
                PrincipalKind::Role => ("map-role", "map-user"),
                PrincipalKind::User => ("map-user", "map-role"),
            };
            self.error(
                Code::WrongPrincipalKind,
                at,
                format!("`{node}` needs an IAM {}, and this is a {}", kind.as_str(), arn.kind.as_str()),
                "wrong kind of principal",
                format!("use `{other}` for it"),
            );
            return None;
        }
        if kind == PrincipalKind::User {
            return Some(arn);
        }
        if arn.has_path() && inline {
            let stripped = arn.without_path();
            let why = if arn.is_sso_role() {
                "callers of an IAM Identity Center (SSO) role are matched by the role's name alone, \
                 without aws-reserved/sso.amazonaws.com/…"
            } else {
                "callers are matched by the role's name alone, without its path"
            };
            self.error(
                Code::RolePathInAwsAuth,
                at,
                "a role ARN with a path never matches in aws-auth".into(),
                "this path makes the mapping match no one",
                format!("{why}: write \"{stripped}\""),
            );
            return None;
        }
        Some(arn.without_path())
    }

    /// The declared ClusterRoles and Roles: each with rules or a preset (not both), every rule
    /// complete, no name twice, none of the roles Kubernetes itself keeps.
    fn roles(&mut self, parts: &[(usize, &ClusterBlock)]) -> Vec<DeclaredRole> {
        let mut out: Vec<DeclaredRole> = Vec::new();
        let mut seen: HashMap<(Option<String>, String), At> = HashMap::new();
        for (file, block) in parts {
            for r in &block.roles {
                let at = At { file: *file, span: r.span };
                let Some(name) = &r.name else { continue };
                let what = if r.cluster_wide { "ClusterRole" } else { "Role" };
                if name.value.is_empty() || name.value.contains(['/', '%']) || matches!(name.value.as_str(), "." | "..")
                {
                    self.error(
                        Code::InvalidRole,
                        At { file: *file, span: name.span },
                        format!("`{}` cannot name a {what}", name.value),
                        "invalid name",
                        "RBAC names may not be empty, `.` or `..`, nor contain `/` or `%`".into(),
                    );
                    continue;
                }
                let system = name.value.starts_with("system:") || name.value.starts_with("eks:");
                if system || (r.cluster_wide && presets::kubernetes_keeps(&name.value)) {
                    self.error(
                        Code::InvalidRole,
                        At { file: *file, span: name.span },
                        format!("the {what} `{}` is Kubernetes' own", name.value),
                        "kept by the API server",
                        "the API server (or EKS, for `eks:` roles) keeps its own roles; bind to it with `group-binding`, or declare a role of another name".into(),
                    );
                    continue;
                }
                let namespace = match (&r.namespace, r.cluster_wide) {
                    (Some(ns), false) if !crate::model::rules::valid_namespace(&ns.value) => {
                        self.invalid_namespace(At { file: *file, span: ns.span }, &ns.value);
                        continue;
                    }
                    (Some(ns), false) => Some(ns.value.clone()),
                    (None, false) => {
                        self.error(
                            Code::InvalidRole,
                            at,
                            format!("the Role `{}` has no namespace", name.value),
                            "no namespace",
                            "add `namespace=\"…\"`, or declare a `cluster-role`".into(),
                        );
                        continue;
                    }
                    _ => None,
                };
                let key = (namespace.clone(), name.value.clone());
                if let Some(first) = seen.get(&key).copied() {
                    self.twice(
                        Code::DuplicateRole,
                        At { file: *file, span: name.span },
                        first,
                        format!("the {what} `{}` is declared twice", name.value),
                        "declare each role once; a role's rules are all in one block".into(),
                    );
                    continue;
                }
                seen.insert(key, At { file: *file, span: name.span });
                let rules = match (&r.preset, r.rules.is_empty()) {
                    (Some(p), true) => match presets::rules(&p.value) {
                        Some(rules) => rules,
                        None => continue, // the schema's enum has reported it
                    },
                    (Some(p), false) => {
                        self.error(
                            Code::InvalidRole,
                            At { file: *file, span: p.span },
                            format!("the {what} `{}` has a preset and rules of its own", name.value),
                            "preset here",
                            "keep the preset (its rules are AWS's), or write every rule yourself".into(),
                        );
                        continue;
                    }
                    (None, true) => {
                        self.error(
                            Code::InvalidRole,
                            at,
                            format!("the {what} `{}` has no rules: it would grant nothing", name.value),
                            "no `rule`",
                            "add `rule { api-groups \"\"; resources \"pods\"; verbs \"get\" \"list\" }`, or `preset=\"eks-console-full-access\"`".into(),
                        );
                        continue;
                    }
                    (None, false) => {
                        let rules: Vec<Rule> =
                            r.rules.iter().filter_map(|rule| self.rule(*file, rule, r.cluster_wide)).collect();
                        if rules.len() < r.rules.len() {
                            continue;
                        }
                        rules
                    }
                };
                out.push(DeclaredRole {
                    name: name.value.clone(),
                    namespace,
                    rules,
                    preset: r.preset.as_ref().map(|p| p.value.clone()),
                    origin: self.origin(*file, r.span),
                });
            }
        }
        out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        out
    }

    /// One rule: verbs always; resources with their api-groups, or (ClusterRoles only)
    /// non-resource URLs — as the API server validates a PolicyRule.
    fn rule(&mut self, file: usize, r: &RuleAst, cluster_wide: bool) -> Option<Rule> {
        let at = At { file, span: r.span };
        let values = |v: &[Text]| v.iter().map(|t| t.value.clone()).collect::<Vec<_>>();
        let problem = if r.verbs.is_empty() {
            Some(("a rule needs `verbs`", "add `verbs \"get\" \"list\" \"watch\"` (or \"*\")"))
        } else if !r.non_resource_urls.is_empty() && !cluster_wide {
            Some(("non-resource URLs are for ClusterRoles", "move the rule into a `cluster-role`"))
        } else if !r.non_resource_urls.is_empty() && (!r.resources.is_empty() || !r.api_groups.is_empty()) {
            Some(("a rule is about resources or non-resource URLs, not both", "split it into two rules"))
        } else if r.non_resource_urls.is_empty() && (r.resources.is_empty() || r.api_groups.is_empty()) {
            Some((
                "a resource rule needs `api-groups` and `resources`",
                "add `api-groups \"\"` (the core group) and `resources \"pods\"`, for example",
            ))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            self.error(Code::InvalidRole, at, message.into(), "this rule", help.into());
            return None;
        }
        Some(Rule {
            api_groups: values(&r.api_groups),
            resources: values(&r.resources),
            verbs: values(&r.verbs),
            resource_names: values(&r.resource_names),
            non_resource_urls: values(&r.non_resource_urls),
        })
    }

    fn bindings(
        &mut self,
        parts: &[(usize, &ClusterBlock)],
        entries: &[AccessEntry],
        auth: &AwsAuth,
        owner: &str,
    ) -> Vec<GroupBinding> {
        // The RBAC object each binding becomes: `:` is allowed in group and role names, so two
        // bindings could make one name, and the second would silently replace the first.
        let mut names: HashMap<(String, Option<String>), (At, String)> = HashMap::new();
        let used: BTreeSet<&str> = entries
            .iter()
            .flat_map(|e| e.groups.iter())
            .chain(auth.roles.iter().flat_map(|m| m.groups.iter()))
            .chain(auth.users.iter().flat_map(|m| m.groups.iter()))
            .map(String::as_str)
            .collect();
        let mut out = Vec::new();
        for (file, block) in parts {
            for b in &block.bindings {
                let at = At { file: *file, span: b.span };
                let Some(group) = &b.group else { continue };
                let target = match (&b.cluster_role, &b.role, &b.namespace) {
                    (Some(cr), None, None) => BindingTarget::ClusterRole { name: cr.value.clone() },
                    (Some(cr), None, Some(ns)) => {
                        BindingTarget::ClusterRoleInNamespace { name: cr.value.clone(), namespace: ns.value.clone() }
                    }
                    (None, Some(r), Some(ns)) => {
                        BindingTarget::Role { name: r.value.clone(), namespace: ns.value.clone() }
                    }
                    (None, Some(_), None) => {
                        self.error(
                            Code::InvalidBinding,
                            at,
                            "a Role lives in a namespace".into(),
                            "no namespace",
                            "add `namespace=\"…\"`, or use `cluster-role=` for a ClusterRole".into(),
                        );
                        continue;
                    }
                    (Some(_), Some(_), _) => {
                        self.error(
                            Code::InvalidBinding,
                            at,
                            "a group binding names either a cluster-role or a role, not both".into(),
                            "both given",
                            "keep one: `cluster-role=` for a ClusterRole, `role=` with `namespace=` for a Role".into(),
                        );
                        continue;
                    }
                    (None, None, _) => {
                        self.error(
                            Code::InvalidBinding,
                            at,
                            format!("the binding of `{}` names no role", group.value),
                            "nothing to bind to",
                            "add `cluster-role=\"view\"`, or `role=\"…\" namespace=\"…\"`".into(),
                        );
                        continue;
                    }
                };
                if let Some(ns) = b.namespace.as_ref().filter(|ns| !crate::model::rules::valid_namespace(&ns.value)) {
                    self.invalid_namespace(At { file: *file, span: ns.span }, &ns.value);
                    continue;
                }
                let what = format!("{} → {}", group.value, describe_target(&target));
                let object = crate::access::desired::binding_name(owner, &group.value, &target);
                match names.get(&object) {
                    Some((first, other)) if *other != what => {
                        let (first, other) = (*first, other.clone());
                        self.twice(
                            Code::InvalidBinding,
                            at,
                            first,
                            format!("the bindings {other} and {what} would be one RBAC binding, `{}`", object.0),
                            "rename a group or a role: a `:` in their names makes the two names one".into(),
                        );
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        names.insert(object, (at, what));
                    }
                }
                if !used.contains(group.value.as_str()) {
                    self.warning(
                        Code::UnusedGroupBinding,
                        At { file: *file, span: group.span },
                        format!("no access entry or mapping puts anyone in the group `{}`", group.value),
                        "unused group",
                        format!(
                            "add `groups \"{}\"` to an access entry or mapping, or remove this binding",
                            group.value
                        ),
                    );
                }
                out.push(GroupBinding { group: group.value.clone(), target });
            }
        }
        out
    }
}

/// What the top level of the files says of every cluster.
#[derive(Default)]
struct Shared<'a> {
    expectations: Vec<(usize, &'a ExpectAst, Words)>,
    guardrails: Option<(usize, &'a GuardrailsAst)>,
}

/// An expectation's request as written: `can` (true) or `cannot`, the verb and the resource.
#[derive(Debug, Clone)]
struct Words {
    allowed: bool,
    verb: String,
    resource: String,
}

impl<'a> Resolver<'a> {
    /// Whether `text` names a principal: an ARN (checked) or a declared name. Reports what it
    /// is not, once, for what every cluster shares.
    fn principal_known(&mut self, file: usize, text: Option<&Text>) -> bool {
        let Some(text) = text else { return false };
        let at = At { file, span: text.span };
        if text.value.starts_with("arn:") {
            return self.parse_arn(&text.value, at).is_some();
        }
        if self.principals.contains_key(&text.value) {
            return true;
        }
        self.unknown_principal(at, &text.value);
        false
    }

    /// `can="VERB RESOURCE"` or `cannot=…`: one of the two, two words that make a request.
    fn expectation_words(&mut self, file: usize, e: &ExpectAst) -> Option<Words> {
        let at = At { file, span: e.span };
        let (allowed, text) = match (&e.can, &e.cannot) {
            (Some(can), None) => (true, can),
            (None, Some(cannot)) => (false, cannot),
            (Some(_), Some(_)) => {
                self.error(
                    Code::InvalidExpectation,
                    at,
                    "an `expect` says both can= and cannot=".into(),
                    "one request per expectation",
                    "write two `expect` lines, one with can=, one with cannot=".into(),
                );
                return None;
            }
            (None, None) => {
                self.error(
                    Code::InvalidExpectation,
                    at,
                    "an `expect` needs can=\"VERB RESOURCE\" or cannot=\"VERB RESOURCE\"".into(),
                    "what may or may not the principal do?",
                    "e.g. `expect \"ci\" can=\"create deployments.apps\" namespace=\"payments\"`".into(),
                );
                return None;
            }
        };
        let words: Vec<&str> = text.value.split_whitespace().collect();
        let [verb, resource] = words.as_slice() else {
            self.error(
                Code::InvalidExpectation,
                At { file, span: text.span },
                format!("\"{}\" is not a verb and a resource", text.value),
                "two words: VERB RESOURCE",
                "write it as kubectl words it: \"get pods\", \"create deployments.apps\", \"get pods/log\", \"get /healthz\"; \
                 the namespace goes in namespace=, an object's name in name="
                    .into(),
            );
            return None;
        };
        if let Some(ns) = &e.namespace
            && !crate::model::rules::valid_namespace(&ns.value)
        {
            self.invalid_namespace(At { file, span: ns.span }, &ns.value);
            return None;
        }
        // The API server refuses these as object names (they are path segments).
        let bad_name = |n: &str| n.is_empty() || n == "." || n == ".." || n.contains(['/', '%']);
        if let Some(name) = e.name.as_ref().filter(|n| bad_name(&n.value)) {
            self.error(
                Code::InvalidExpectation,
                At { file, span: name.span },
                format!("\"{}\" cannot be an object's name", name.value),
                "not an object name",
                "give the object's name, or leave name= out for a request about any object".into(),
            );
            return None;
        }
        let namespace = e.namespace.as_ref().map(|n| n.value.as_str());
        let name = e.name.as_ref().map(|n| n.value.as_str());
        if let Err(err) = Request::parse_kubectl(verb, resource, namespace, name) {
            self.error(
                Code::InvalidExpectation,
                At { file, span: text.span },
                err.to_string(),
                "not a request",
                err.help().into(),
            );
            return None;
        }
        if resource.starts_with('/') && (namespace.is_some() || name.is_some()) {
            self.error(
                Code::InvalidExpectation,
                at,
                format!("`{resource}` is a URL: it has no namespace and no object name"),
                "a non-resource request",
                "remove namespace= and name=".into(),
            );
            return None;
        }
        self.unusual_request(At { file, span: text.span }, verb, resource, namespace.is_some());
        Some(Words { allowed, verb: verb.to_string(), resource: resource.to_string() })
    }

    /// A request nobody makes answers "no" to everyone: a `cannot=` with a misspelt verb or
    /// resource would pass for ever. Warned, not refused: RBAC allows verbs and resources of its
    /// own (custom resources, `use`, `approve`).
    fn unusual_request(&mut self, at: At, verb: &str, resource: &str, namespaced: bool) {
        const VERBS: [&str; 15] = [
            "get",
            "list",
            "watch",
            "create",
            "update",
            "patch",
            "delete",
            "deletecollection",
            "use",
            "bind",
            "escalate",
            "impersonate",
            "approve",
            "sign",
            "*",
        ];
        // A URL's verb is the HTTP method's.
        const URL_VERBS: [&str; 8] = ["get", "post", "put", "patch", "delete", "head", "options", "*"];
        if resource.starts_with('/') {
            if !URL_VERBS.contains(&verb) {
                let help = format!("a request for a URL carries its HTTP method: {}", URL_VERBS[..7].join(", "));
                let message = format!("no request for `{resource}` carries `{verb}`");
                self.warning(Code::UnusualRequest, at, message, "unusual verb", help);
            }
            return;
        }
        if !VERBS.contains(&verb) {
            let help = match did_you_mean(verb, VERBS) {
                Some(v) => format!("did you mean `{v}`? (a verb no request carries is refused to everyone)"),
                None => format!("the API server's verbs are {}", VERBS[..8].join(", ")),
            };
            self.warning(
                Code::UnusualRequest,
                at,
                format!("`{verb}` is not a verb of the Kubernetes API"),
                "unusual verb",
                help,
            );
        }
        if resource == "*" {
            return;
        }
        let named = crate::access::request::KubectlResource::parse(resource);
        if let Some(sub) = named.subresource
            && named.builtin.is_some()
            && !crate::access::resources::SUBRESOURCES.contains(&sub)
        {
            let help = match did_you_mean(sub, crate::access::resources::SUBRESOURCES.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("built-in subresources: {}", crate::access::resources::SUBRESOURCES.join(", ")),
            };
            let message = format!("`{sub}` is not a subresource Kubernetes has");
            self.warning(Code::UnusualRequest, at, message, "unknown subresource", help);
        }
        if named.builtin.is_some() {
            return;
        }
        let (plural, name) = (named.resource, resource.split('/').next().unwrap_or(resource));
        let names = crate::access::resources::BUILTINS.iter().map(|b| b.plural);
        match (named.group, did_you_mean(plural, names)) {
            (None, suggestion) => {
                let help = match suggestion {
                    Some(r) => format!("did you mean `{r}`? A custom resource is named with its group: `widgets.example.com`"),
                    None => "a custom resource is named with its group: `widgets.example.com`".into(),
                };
                self.warning(
                    Code::UnusualRequest,
                    at,
                    format!("`{plural}` is not a resource every cluster serves"),
                    "unknown resource",
                    help,
                );
            }
            (Some(_), _) if namespaced => self.warning(
                Code::UnusualRequest,
                at,
                format!("whether `{name}` lives in a namespace is not known to accessctl: it is asked in the namespace given"),
                "a custom resource",
                "if it is cluster-scoped (kubectl would ignore -n), remove namespace=".into(),
            ),
            (Some(_), _) => {}
        }
    }

    fn expectation(
        &mut self,
        ctx: &ClusterContext<'_>,
        file: usize,
        e: &ExpectAst,
        words: Words,
    ) -> Option<Expectation> {
        let text = e.principal.as_ref()?;
        let (principal, _) = self.principal_ref(ctx, file, text)?;
        Some(Expectation {
            principal,
            written: text.value.clone(),
            allowed: words.allowed,
            verb: words.verb,
            resource: words.resource,
            namespace: e.namespace.as_ref().map(|n| n.value.clone()),
            name: e.name.as_ref().map(|n| n.value.clone()),
            origin: self.origin(file, e.span),
        })
    }

    /// The top-level guardrails with the cluster's own. A rule is written in one place: a cluster
    /// that repeats one of every cluster's rules is told so.
    fn merge_guardrails(&mut self, everywhere: Guardrails, own: Guardrails, at: At) -> Guardrails {
        fn pick<T>(a: Option<T>, b: Option<T>, rule: &str, twice: &mut Vec<String>) -> Option<T> {
            if a.is_some() && b.is_some() {
                twice.push(format!("`{rule}`"));
            }
            a.or(b)
        }
        let mut twice = vec![];
        let merged = Guardrails {
            no_system_masters: pick(
                everywhere.no_system_masters,
                own.no_system_masters,
                "no-system-masters",
                &mut twice,
            ),
            cluster_admins: pick(everywhere.cluster_admins, own.cluster_admins, "cluster-admins", &mut twice),
            cross_account_entries: pick(
                everywhere.cross_account_entries,
                own.cross_account_entries,
                "cross-account-entries",
                &mut twice,
            ),
            no_wildcard_write_namespaces: pick(
                everywhere.no_wildcard_write_namespaces,
                own.no_wildcard_write_namespaces,
                "no-wildcard-write-namespaces",
                &mut twice,
            ),
        };
        if !twice.is_empty() {
            self.error(
                Code::DuplicateNode,
                at,
                format!("{} is given at the top level and again in this cluster", twice.join(", ")),
                "given again here",
                "a top-level guardrail holds on every cluster: keep it in one place".into(),
            );
        }
        merged
    }

    /// The guardrails in this cluster: their named principals resolved in its account. The
    /// top-level ones (`shared`) had their names checked once: an unknown name is not reported
    /// again for every cluster.
    fn guardrails(&mut self, ctx: &ClusterContext<'_>, file: usize, g: &GuardrailsAst, shared: bool) -> Guardrails {
        let mut named = |list: &Option<(SourceSpan, Vec<Text>)>| {
            list.as_ref().map(|(span, names)| Named {
                principals: names
                    .iter()
                    .filter(|n| {
                        !shared || self.principals.contains_key(&n.value) || PrincipalArn::parse(&n.value).is_ok()
                    })
                    .collect::<Vec<_>>()
                    .into_iter()
                    .filter_map(|n| self.principal_ref(ctx, file, n).map(|(arn, _)| arn))
                    .collect(),
                origin: self.origin(file, *span),
            })
        };
        let cluster_admins = named(&g.cluster_admins);
        let cross_account_entries = named(&g.cross_account_entries);
        Guardrails {
            no_system_masters: g.no_system_masters.map(|span| self.origin(file, span)),
            cluster_admins,
            cross_account_entries,
            no_wildcard_write_namespaces: g.no_wildcard_write_namespaces.map(|span| self.origin(file, span)),
        }
    }
}

struct ClusterContext<'c> {
    name: &'c str,
    region: &'c str,
    account: Option<String>,
    mode: Option<AuthMode>,
    mode_at: Option<At>,
}

/// A binding's target as the files say it.
fn describe_target(target: &BindingTarget) -> String {
    match target {
        BindingTarget::ClusterRole { name } => format!("ClusterRole {name}"),
        BindingTarget::ClusterRoleInNamespace { name, namespace } => format!("ClusterRole {name} in {namespace}"),
        BindingTarget::Role { name, namespace } => format!("Role {name} in {namespace}"),
    }
}

/// IAM Identity Center's rule for a permission set's name.
fn valid_permission_set(name: &str) -> bool {
    (1..=32).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

/// The partition a region belongs to (China and GovCloud have their own).
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

fn valid_cluster_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() <= 100
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Region codes: `eu-west-1`, `us-gov-west-1`, `ap-southeast-7`, `eusc-de-east-1`.
fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names_and_regions() {
        assert!(valid_cluster_name("payments-prod_2"));
        assert!(!valid_cluster_name("-x"));
        assert!(!valid_cluster_name("a.b"));
        assert!(valid_region("eu-west-1"));
        assert!(valid_region("us-gov-west-1"));
        assert!(!valid_region("europe"));
        assert!(!valid_region("eu-west-"));
    }
}

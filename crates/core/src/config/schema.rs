//! The language's schema (`schema/access.schema.kdl`, embedded) and the structural check it drives.
//!
//! The structural check answers "is this node allowed here, with these arguments and properties of
//! these types?" for every node of every file, and reports every violation. It knows nothing of
//! ARNs, policies or EKS: those rules live in `config::rules`. Decoding into typed values happens
//! afterwards, in `config::decode`, which can then trust the shapes it reads.

use std::collections::HashMap;
use std::sync::OnceLock;

use kdl::{KdlDocument, KdlNode, KdlValue};

use super::diagnostic::{Code, ConfigDiagnostic, did_you_mean};
use super::source::SourceFile;

/// The schema's own text, as shipped in `schema/`.
pub const SCHEMA_TEXT: &str = include_str!("../../../../schema/access.schema.kdl");

/// The parent name used for top-level nodes.
pub const DOCUMENT: &str = "document";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    String,
    Bool,
    Integer,
}

impl ValueType {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "string" => Some(ValueType::String),
            "bool" => Some(ValueType::Bool),
            "integer" => Some(ValueType::Integer),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "a string",
            ValueType::Bool => "a boolean (#true or #false)",
            ValueType::Integer => "an integer",
        }
    }

    fn accepts(self, value: &KdlValue) -> bool {
        matches!(
            (self, value),
            (ValueType::String, KdlValue::String(_))
                | (ValueType::Bool, KdlValue::Bool(_))
                | (ValueType::Integer, KdlValue::Integer(_))
        )
    }

    pub fn example(self) -> &'static str {
        match self {
            ValueType::String => "\"…\"",
            ValueType::Bool => "#true",
            ValueType::Integer => "1",
        }
    }
}

/// A positional argument or a property.
#[derive(Debug, Clone)]
pub struct ValueSpec {
    pub name: String,
    pub ty: ValueType,
    pub required: bool,
    pub allowed: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NodeSpec {
    pub name: String,
    pub parents: Vec<String>,
    pub repeat: bool,
    pub children: bool,
    pub summary: String,
    pub args: Vec<ValueSpec>,
    /// Any number of further positional arguments of one type, with a minimum count.
    pub rest: Option<(ValueSpec, usize)>,
    pub props: Vec<ValueSpec>,
    pub any_props: Option<ValueType>,
}

impl NodeSpec {
    pub fn prop(&self, name: &str) -> Option<&ValueSpec> {
        self.props.iter().find(|p| p.name == name)
    }

    /// How the node is written, for help texts: `access-entry <principal> [type=…]`.
    pub fn usage(&self) -> String {
        let mut out = self.name.clone();
        for arg in &self.args {
            out.push_str(&format!(" <{}>", arg.name));
        }
        if let Some((rest, min)) = &self.rest {
            out.push_str(&format!(" <{}>{}", rest.name, if *min > 0 { "…" } else { "*" }));
        }
        for prop in &self.props {
            out.push_str(&format!(" [{}=…]", prop.name));
        }
        if self.children {
            out.push_str(" { … }");
        }
        out
    }
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub nodes: Vec<NodeSpec>,
    by_parent: HashMap<String, Vec<usize>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the embedded schema is malformed: {0}")]
pub struct SchemaError(String);

impl Schema {
    /// The schema shipped with this build, parsed once.
    pub fn embedded() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        // The embedded text is part of the build and covered by tests; failing here is a bug.
        SCHEMA.get_or_init(|| Schema::parse(SCHEMA_TEXT).expect("embedded schema parses"))
    }

    pub fn parse(text: &str) -> Result<Schema, SchemaError> {
        let doc: KdlDocument = text.parse().map_err(|e: kdl::KdlError| SchemaError(format!("{e:?}")))?;
        let mut nodes = Vec::new();
        for node in doc.nodes() {
            if node.name().value() != "node" {
                return Err(SchemaError(format!("unexpected top-level `{}`", node.name().value())));
            }
            nodes.push(parse_node_spec(node)?);
        }
        let mut by_parent: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, spec) in nodes.iter().enumerate() {
            for parent in &spec.parents {
                by_parent.entry(parent.clone()).or_default().push(i);
            }
        }
        Ok(Schema { nodes, by_parent })
    }

    /// The nodes allowed directly under `parent`.
    pub fn children_of(&self, parent: &str) -> impl Iterator<Item = &NodeSpec> {
        self.by_parent.get(parent).into_iter().flatten().map(|&i| &self.nodes[i])
    }

    pub fn lookup(&self, parent: &str, name: &str) -> Option<&NodeSpec> {
        self.children_of(parent).find(|s| s.name == name)
    }

    /// Checks every node of `doc` against the schema and returns every violation.
    pub fn check(&self, file: &SourceFile, doc: &KdlDocument) -> Vec<ConfigDiagnostic> {
        let mut out = Vec::new();
        self.check_children(file, DOCUMENT, doc, &mut out);
        out
    }

    fn check_children(&self, file: &SourceFile, parent: &str, doc: &KdlDocument, out: &mut Vec<ConfigDiagnostic>) {
        let mut seen: HashMap<&str, &KdlNode> = HashMap::new();
        for node in doc.nodes() {
            let name = node.name().value();
            let Some(spec) = self.lookup(parent, name) else {
                out.push(self.unknown_node(file, parent, node));
                continue;
            };
            if !spec.repeat {
                if let Some(first) = seen.get(name) {
                    out.push(
                        ConfigDiagnostic::error(Code::DuplicateNode, file, format!("`{name}` is given twice"))
                            .label(node.name().span(), "given again here")
                            .label(first.name().span(), "first given here")
                            .help(format!("keep one `{name}`: it can appear only once in `{parent}`")),
                    );
                    continue;
                }
                seen.insert(name, node);
            }
            check_entries(file, spec, node, out);
            match (node.children(), spec.children) {
                (Some(children), true) => self.check_children(file, name, children, out),
                (Some(children), false) => out.push(
                    ConfigDiagnostic::error(Code::UnexpectedChildren, file, format!("`{name}` takes no block"))
                        .label(children.span(), "this block is not allowed")
                        .help(format!("write it as `{}`", spec.usage())),
                ),
                (None, _) => {}
            }
        }
    }

    fn unknown_node(&self, file: &SourceFile, parent: &str, node: &KdlNode) -> ConfigDiagnostic {
        let name = node.name().value();
        let allowed: Vec<&str> = self.children_of(parent).map(|s| s.name.as_str()).collect();
        let where_ = if parent == DOCUMENT { "at the top level".to_string() } else { format!("inside `{parent}`") };
        let mut d = ConfigDiagnostic::error(Code::UnknownNode, file, format!("unknown node `{name}` {where_}"))
            .label(node.name().span(), "not part of the access.kdl language here");
        // A node that exists elsewhere in the language is more likely misplaced than misspelt.
        let elsewhere: Vec<&str> =
            self.nodes.iter().filter(|s| s.name == name).flat_map(|s| s.parents.iter().map(String::as_str)).collect();
        d = if let Some(suggestion) = did_you_mean(name, allowed.iter().copied()) {
            d.help(format!("did you mean `{suggestion}`?"))
        } else if !elsewhere.is_empty() {
            d.help(format!("`{name}` belongs inside {}", quote_list(&elsewhere)))
        } else {
            d.help(format!("allowed {where_}: {}", quote_list(&allowed)))
        };
        d
    }
}

fn check_entries(file: &SourceFile, spec: &NodeSpec, node: &KdlNode, out: &mut Vec<ConfigDiagnostic>) {
    let mut position = 0usize;
    let mut seen_props: HashMap<&str, &kdl::KdlEntry> = HashMap::new();
    for entry in node.entries() {
        match entry.name() {
            None => {
                let arg_spec = spec.args.get(position).or(spec.rest.as_ref().map(|(r, _)| r));
                position += 1;
                match arg_spec {
                    Some(arg) => check_value(file, spec, arg, entry, out),
                    None => out.push(
                        ConfigDiagnostic::error(
                            Code::TooManyArguments,
                            file,
                            format!("`{}` takes {} argument(s)", spec.name, spec.args.len()),
                        )
                        .label(entry.span(), "extra argument")
                        .help(format!("write it as `{}`", spec.usage())),
                    ),
                }
            }
            Some(key) => {
                let key_name = key.value();
                if let Some(first) = seen_props.insert(key_name, entry) {
                    out.push(
                        ConfigDiagnostic::error(
                            Code::DuplicateProperty,
                            file,
                            format!("property `{key_name}` is given twice"),
                        )
                        .label(entry.span(), "given again here")
                        .label(first.span(), "first given here")
                        .help("keep one of them"),
                    );
                    continue;
                }
                if let Some(prop) = spec.prop(key_name) {
                    check_value(file, spec, prop, entry, out);
                } else if let Some(ty) = spec.any_props {
                    let any = ValueSpec { name: key_name.to_string(), ty, required: false, allowed: vec![] };
                    check_value(file, spec, &any, entry, out);
                } else {
                    let names: Vec<&str> = spec.props.iter().map(|p| p.name.as_str()).collect();
                    let help = match did_you_mean(key_name, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if names.is_empty() => format!("`{}` takes no properties", spec.name),
                        None => format!("`{}` takes {}", spec.name, quote_list(&names)),
                    };
                    out.push(
                        ConfigDiagnostic::error(
                            Code::UnknownProperty,
                            file,
                            format!("unknown property `{key_name}` on `{}`", spec.name),
                        )
                        .label(key.span(), "unknown property")
                        .help(help),
                    );
                }
            }
        }
    }
    let missing = spec.args.iter().skip(position).filter(|a| a.required);
    for arg in missing {
        out.push(
            ConfigDiagnostic::error(
                Code::MissingValue,
                file,
                format!("`{}` needs its `{}` argument", spec.name, arg.name),
            )
            .label(node.name().span(), format!("missing <{}>", arg.name))
            .help(format!("write it as `{}`", spec.usage())),
        );
    }
    if let Some((rest, min)) = &spec.rest {
        let given = position.saturating_sub(spec.args.len());
        if given < *min {
            out.push(
                ConfigDiagnostic::error(
                    Code::MissingValue,
                    file,
                    format!("`{}` needs at least {min} `{}` value(s)", spec.name, rest.name),
                )
                .label(node.name().span(), "nothing given")
                .help(format!("write it as `{}`, or remove it", spec.usage())),
            );
        }
    }
}

fn check_value(
    file: &SourceFile,
    node: &NodeSpec,
    spec: &ValueSpec,
    entry: &kdl::KdlEntry,
    out: &mut Vec<ConfigDiagnostic>,
) {
    let value = entry.value();
    if !spec.ty.accepts(value) {
        let mut help = format!("`{}` takes {}", spec.name, spec.ty.name());
        if spec.ty == ValueType::Bool && matches!(value, KdlValue::String(s) if s == "true" || s == "false") {
            help = "KDL v2 writes booleans as #true and #false".to_string();
        } else if spec.ty == ValueType::String && matches!(value, KdlValue::Integer(_)) {
            help = format!("quote it: \"{value}\" (account ids and similar are strings)");
        }
        out.push(
            ConfigDiagnostic::error(
                Code::WrongType,
                file,
                if spec.name == node.name {
                    format!("`{}` must be {}", spec.name, spec.ty.name())
                } else {
                    format!("`{}` of `{}` must be {}", spec.name, node.name, spec.ty.name())
                },
            )
            .label(entry.span(), format!("this is {}", describe(value)))
            .help(help),
        );
        return;
    }
    // Values are printed in plans, reviews and logs: a newline or an escape sequence in one could
    // forge a line of the plan a reviewer reads.
    if let KdlValue::String(s) = value
        && let Some(c) = s.chars().find(|c| unseen(*c))
    {
        out.push(
            ConfigDiagnostic::error(
                Code::InvalidValue,
                file,
                format!(
                    "`{}` of `{}` contains the character {:?}, which a reader does not see",
                    spec.name, node.name, c
                ),
            )
            .label(entry.span(), "an unseen character")
            .help("write it without control characters (newlines, tabs, escapes) or invisible and bidirectional ones"),
        );
        return;
    }
    if let KdlValue::String(s) = value
        && !spec.allowed.is_empty()
        && !spec.allowed.iter().any(|a| a == s)
    {
        let allowed: Vec<&str> = spec.allowed.iter().map(String::as_str).collect();
        let help = match did_you_mean(s, allowed.iter().copied()) {
            Some(sugg) => format!("did you mean \"{sugg}\"? (allowed: {})", quote_list(&allowed)),
            None => format!("allowed: {}", quote_list(&allowed)),
        };
        out.push(
            ConfigDiagnostic::error(
                Code::InvalidValue,
                file,
                format!("\"{s}\" is not a valid `{}` of `{}`", spec.name, node.name),
            )
            .label(entry.span(), "not an allowed value")
            .help(help),
        );
    }
}

/// A character a reader of a plan or a review does not see as itself: control characters, and
/// the invisible and bidirectional formatting ones (`g1\u{200b}` looks like `g1`; U+202E turns
/// text around).
fn unseen(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}')
        || matches!(c, '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn describe(value: &KdlValue) -> &'static str {
    match value {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a number",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "#null",
    }
}

pub fn quote_list(items: &[&str]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

fn parse_node_spec(node: &KdlNode) -> Result<NodeSpec, SchemaError> {
    let name = string_arg(node, 0)?;
    let parents = match node.get("in") {
        Some(KdlValue::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => return Err(SchemaError(format!("node `{name}` has no in=\"…\""))),
    };
    let mut spec = NodeSpec {
        name,
        parents,
        repeat: matches!(node.get("repeat"), Some(KdlValue::Bool(true))),
        children: matches!(node.get("children"), Some(KdlValue::Bool(true))),
        summary: String::new(),
        args: vec![],
        rest: None,
        props: vec![],
        any_props: None,
    };
    for child in node.iter_children() {
        match child.name().value() {
            "summary" => spec.summary = string_arg(child, 0)?,
            "arg" => spec.args.push(parse_value_spec(child)?),
            "args" => {
                let min = match child.get("min") {
                    Some(KdlValue::Integer(n)) => usize::try_from(*n).unwrap_or(0),
                    _ => 0,
                };
                spec.rest = Some((parse_value_spec(child)?, min));
            }
            "prop" => spec.props.push(parse_value_spec(child)?),
            "any-props" => spec.any_props = Some(parse_type(child)?),
            other => return Err(SchemaError(format!("unexpected `{other}` in node `{}`", spec.name))),
        }
    }
    Ok(spec)
}

fn parse_value_spec(node: &KdlNode) -> Result<ValueSpec, SchemaError> {
    let allowed = node
        .children()
        .and_then(|c| c.get("enum"))
        .map(|e| e.entries().iter().filter_map(|v| v.value().as_string().map(str::to_string)).collect())
        .unwrap_or_default();
    Ok(ValueSpec {
        name: string_arg(node, 0)?,
        ty: parse_type(node)?,
        required: matches!(node.get("required"), Some(KdlValue::Bool(true))),
        allowed,
    })
}

fn parse_type(node: &KdlNode) -> Result<ValueType, SchemaError> {
    node.get("type")
        .and_then(KdlValue::as_string)
        .and_then(ValueType::parse)
        .ok_or_else(|| SchemaError(format!("`{}` has no valid type=", node.name().value())))
}

fn string_arg(node: &KdlNode, index: usize) -> Result<String, SchemaError> {
    node.get(index)
        .and_then(KdlValue::as_string)
        .map(str::to_string)
        .ok_or_else(|| SchemaError(format!("`{}` needs a string argument", node.name().value())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Vec<ConfigDiagnostic> {
        let file = SourceFile::new("t.kdl", text);
        let doc: KdlDocument = text.parse().unwrap();
        Schema::embedded().check(&file, &doc)
    }

    fn codes(text: &str) -> Vec<Code> {
        check(text).into_iter().map(|d| d.code).collect()
    }

    #[test]
    fn embedded_schema_parses_and_lists_top_level_nodes() {
        let top: Vec<_> = Schema::embedded().children_of(DOCUMENT).map(|s| s.name.clone()).collect();
        assert_eq!(top, ["principal", "cluster", "expect", "guardrails"]);
    }

    #[test]
    fn accepts_a_valid_cluster() {
        assert!(codes("cluster \"a\" { region \"eu-west-1\"; access-entry \"x\" type=\"EC2_LINUX\" }").is_empty());
    }

    #[test]
    fn reports_unknown_nodes_properties_types_and_enums() {
        let found = codes(
            r#"cluster "a" {
                regoin "x"
                access-entry "x" kind="STANDARD"
                authentication-mode "APY"
                prune "yes"
            }"#,
        );
        assert_eq!(found, [Code::UnknownNode, Code::UnknownProperty, Code::InvalidValue, Code::WrongType]);
    }

    #[test]
    fn reports_missing_and_extra_arguments_and_duplicates() {
        let found = codes("cluster { region \"a\" \"b\"; region \"c\" }\nprincipal");
        assert_eq!(found, [Code::MissingValue, Code::TooManyArguments, Code::DuplicateNode, Code::MissingValue]);
    }

    #[test]
    fn control_characters_are_refused_wherever_they_are() {
        let found = check(
            "principal \"bob\\u{1b}[31m\" \"arn:aws:iam::111122223333:user/bob\"\ncluster \"a\" { region \"x\\ny\" }",
        );
        assert_eq!(found.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::InvalidValue, Code::InvalidValue]);
        assert!(found[0].message.contains("character '\\u{1b}'"), "{}", found[0].message);
        for unseen in ["g1\\u{200b}", "\\u{202e}gnp", "\\u{feff}x"] {
            let found = check(&format!("cluster \"a\" {{ region \"{unseen}\" }}"));
            assert_eq!(found.len(), 1, "{unseen}");
        }
    }

    #[test]
    fn suggests_the_misspelt_node() {
        let d = check("cluster \"a\" { acess-entry \"x\" }");
        assert_eq!(d[0].help.as_deref(), Some("did you mean `access-entry`?"));
    }
}

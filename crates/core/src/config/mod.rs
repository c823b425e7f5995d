//! The access.kdl language: from file text to a validated `model::Configuration`.
//!
//! Stages, each its own module: `source` (files) → KDL parse (kdl crate, spans kept) →
//! `schema` (structural check) → `decode` (syntax tree) → `resolve` (EKS rules, merged model).
//! Every stage reports all its problems; a file with errors never yields a configuration, so
//! nothing invalid reaches the network. `fmt` is the canonical layout.

pub mod checks;
pub mod decode;
pub mod diagnostic;
pub mod fmt;
pub mod markdown;
pub mod resolve;
pub mod sarif;
pub mod schema;
pub mod source;

use kdl::KdlDocument;

pub use diagnostic::{Code, ConfigDiagnostic, Diagnostics};
pub use source::SourceFile;

use crate::model::Configuration;

/// The outcome of loading: the configuration when there were no errors, and every diagnostic.
#[derive(Debug)]
pub struct Loaded {
    pub config: Option<Configuration>,
    pub diagnostics: Diagnostics,
}

/// Parses, checks and resolves a set of files that together make one configuration.
pub fn load(files: &[SourceFile]) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    if files.is_empty() {
        diagnostics.push(
            ConfigDiagnostic::global(Code::NoFiles, "no configuration files were given")
                .help("name .kdl files or directories that hold them, e.g. `-f access.kdl`"),
        );
        return Loaded { config: None, diagnostics };
    }
    let schema = schema::Schema::embedded();
    let decoder = decode::Decoder::default();
    let mut asts = Vec::with_capacity(files.len());
    for file in files {
        match parse(file) {
            Ok(doc) => {
                diagnostics.extend(schema.check(file, &doc));
                asts.push(decoder.decode(&doc));
            }
            Err(syntax) => {
                diagnostics.extend(syntax);
                asts.push(decode::FileAst::default());
            }
        }
    }
    let syntax_ok = !diagnostics.has_errors();
    let (config, resolved) = resolve::resolve(files, &asts);
    diagnostics.extend(resolved.into_vec());
    diagnostics.sort();
    let config = (syntax_ok && !diagnostics.has_errors()).then_some(config);
    Loaded { config, diagnostics }
}

/// How deep blocks may nest. access.kdl needs four levels; the KDL parser recurses per level, so
/// a hostile file nested thousands deep would overflow the stack instead of getting an answer.
pub const MAX_DEPTH: usize = 64;

/// Where blocks first nest deeper than `max`, if they do: braces outside strings and comments.
pub fn too_deep(text: &str, max: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // A quoted string: skip to its unescaped closing quote.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' if bytes.get(i + 1).is_some_and(|b| *b == b'"' || *b == b'#') => {
                // A raw string `#"…"#` (any number of #): skip to the same number of # after a quote.
                let hashes = bytes[i..].iter().take_while(|b| **b == b'#').count();
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                i += hashes;
                match bytes[i + 1..].windows(close.len()).position(|w| w == close.as_slice()) {
                    Some(at) => i += at + close.len(),
                    None => return None,
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut nested = 0usize;
                while i + 1 < bytes.len() {
                    if bytes[i] == b'/' && bytes[i + 1] == b'*' {
                        nested += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
                        nested -= 1;
                        i += 2;
                        if nested == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parses one file as KDL v2, turning kdl's own diagnostics into ours (with the file name).
pub fn parse(file: &SourceFile) -> Result<KdlDocument, Vec<ConfigDiagnostic>> {
    if let Some(at) = too_deep(&file.text, MAX_DEPTH) {
        return Err(vec![
            ConfigDiagnostic::error(Code::Syntax, file, format!("blocks nested more than {MAX_DEPTH} deep"))
                .label(miette::SourceSpan::from((at, 1)), "this block is too deep")
                .help("an access.kdl is at most a few blocks deep: cluster → access-entry → policy"),
        ]);
    }
    file.text.parse::<KdlDocument>().map_err(|err| {
        err.diagnostics
            .into_iter()
            .map(|d| {
                let message = d.message.unwrap_or_else(|| "invalid KDL".to_string());
                let mut out = ConfigDiagnostic::error(Code::Syntax, file, message)
                    .label(d.span, d.label.unwrap_or_else(|| "here".to_string()));
                out = match d.help {
                    Some(help) => out.help(help),
                    None => out.help("access.kdl files are KDL v2: strings in quotes, booleans as #true/#false"),
                };
                out
            })
            .collect()
    })
}

//! The access.kdl language: from file text to a validated `model::Configuration`.
//!
//! Stages, each its own module: `source` (files) → KDL parse (kdl crate, spans kept) →
//! `schema` (structural check) → `decode` (syntax tree) → `resolve` (EKS rules, merged model).
//! Every stage reports all its problems; a file with errors never yields a configuration, so
//! nothing invalid reaches the network. `fmt` is the canonical layout.

pub mod decode;
pub mod diagnostic;
pub mod fmt;
pub mod resolve;
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

/// Parses one file as KDL v2, turning kdl's own diagnostics into ours (with the file name).
pub fn parse(file: &SourceFile) -> Result<KdlDocument, Vec<ConfigDiagnostic>> {
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

//! Diagnostics as SARIF 2.1.0, the format code-scanning services read (GitHub's among them): one
//! result per diagnostic, located in the files by line and column, with its code as the rule.

use std::collections::BTreeMap;

use miette::Severity;
use serde_json::{Value, json};

use super::diagnostic::ConfigDiagnostic;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One SARIF log with one run of accessctl.
pub fn sarif<'a>(diagnostics: impl IntoIterator<Item = &'a ConfigDiagnostic>, version: &str) -> Value {
    let mut rules: BTreeMap<&str, Value> = BTreeMap::new();
    let mut results = vec![];
    for d in diagnostics {
        let code = d.code.as_str();
        rules.entry(code).or_insert_with(|| {
            json!({
                "id": code,
                "name": code.rsplit("::").next().unwrap_or(code),
                "shortDescription": { "text": code.replace("::", " ").replace('_', " ") },
                "help": { "text": d.help.clone().unwrap_or_default() },
            })
        });
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "note",
        };
        let mut text = d.message.clone();
        if let Some(help) = &d.help {
            text.push_str(&format!(" (fix: {help})"));
        }
        let regions = d.regions();
        let location = |r: &super::diagnostic::Region, file: &str| {
            let mut l = json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(file) },
                    "region": {
                        "startLine": r.start_line,
                        "startColumn": r.start_column,
                        "endLine": r.end_line,
                        "endColumn": r.end_column,
                    }
                }
            });
            if let Some(label) = &r.label {
                l["message"] = json!({ "text": label });
            }
            l
        };
        let mut result = json!({
            "ruleId": code,
            "level": level,
            "message": { "text": text },
        });
        if let Some(first) = regions.first() {
            result["locations"] = json!([location(first, d.file_name())]);
        }
        let mut related: Vec<Value> = regions.iter().skip(1).map(|r| location(r, d.file_name())).collect();
        for other in &d.related {
            related.extend(other.regions().iter().map(|r| location(r, other.file_name())));
        }
        if !related.is_empty() {
            for (i, r) in related.iter_mut().enumerate() {
                r["id"] = json!(i + 1);
            }
            result["relatedLocations"] = Value::Array(related);
        }
        results.push(result);
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "accessctl",
                    "version": version,
                    "rules": rules.into_values().collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A file's path as a relative URI reference (RFC 3986): every byte but the unreserved ones and
/// `/` percent-encoded, so `my file#1.kdl` is `my%20file%231.kdl`.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_are_uri_references() {
        assert_eq!(super::uri("dir/my file#1%.kdl"), "dir/my%20file%231%25.kdl");
        assert_eq!(super::uri("ü.kdl"), "%C3%BC.kdl");
    }

    use super::*;
    use crate::config::{SourceFile, load};

    #[test]
    fn every_diagnostic_is_a_result_located_by_line_and_column() {
        let text = "cluster \"c\" {\n    region \"eu-west-1\"\n    regoin \"x\"\n}\n";
        let loaded = load(&[SourceFile::new("dir/access.kdl", text)]);
        let log = sarif(loaded.diagnostics.iter(), "1.2.3");
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "accessctl");
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "accessctl::config::unknown_node");
        let result = &run["results"][0];
        assert_eq!(result["level"], "error");
        assert_eq!(result["ruleId"], "accessctl::config::unknown_node");
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "dir/access.kdl");
        assert_eq!(location["region"]["startLine"], 3);
        assert_eq!(location["region"]["startColumn"], 5);
        assert_eq!(location["region"]["endColumn"], 11);
        assert!(result["message"]["text"].as_str().unwrap().contains("did you mean `region`?"));
    }
}

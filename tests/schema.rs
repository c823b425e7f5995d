//! The schema file and the decoder must accept the same nodes and properties. The structural
//! check is driven by the schema; this test proves the decoder reads every node, argument and
//! property the schema lists, by decoding a document that uses all of them.

use std::collections::BTreeSet;

use accessctl::config::SourceFile;
use accessctl::config::decode::Decoder;
use accessctl::config::schema::{DOCUMENT, Schema, ValueType};

fn sample(ty: ValueType, allowed: &[String]) -> String {
    match (ty, allowed.first()) {
        (_, Some(first)) => format!("\"{first}\""),
        (ValueType::String, None) => "\"x\"".into(),
        (ValueType::Bool, None) => "#true".into(),
        (ValueType::Integer, None) => "1".into(),
    }
}

/// A document holding every node the schema allows, in every place it allows it, with every
/// argument and property; and the keys the decoder should record while reading it.
fn everything(schema: &Schema, parent: &str, depth: usize, keys: &mut BTreeSet<String>) -> String {
    let mut out = String::new();
    for spec in schema.children_of(parent) {
        let key = |k: &str| format!("{parent}>{}/{k}", spec.name);
        let mut line = spec.name.clone();
        for (i, arg) in spec.args.iter().enumerate() {
            line += &format!(" {}", sample(arg.ty, &arg.allowed));
            keys.insert(key(&format!("#{i}")));
        }
        if let Some((rest, _)) = &spec.rest {
            line += &format!(" {}", sample(rest.ty, &rest.allowed));
            keys.insert(key("#*"));
        }
        for prop in &spec.props {
            line += &format!(" {}={}", prop.name, sample(prop.ty, &prop.allowed));
            keys.insert(key(&prop.name));
        }
        if let Some(ty) = spec.any_props {
            line += &format!(" anything={}", sample(ty, &[]));
            keys.insert(key("*"));
        }
        if spec.args.is_empty() && spec.rest.is_none() && spec.props.is_empty() && spec.any_props.is_none() {
            keys.insert(key(""));
        }
        if spec.children {
            line += &format!(" {{\n{}}}", everything(schema, &spec.name, depth + 1, keys));
        }
        out += &format!("{}{line}\n", "    ".repeat(depth));
    }
    out
}

#[test]
fn decoder_reads_every_node_and_property_of_the_schema() {
    let schema = Schema::embedded();
    let mut expected = BTreeSet::new();
    let text = everything(schema, DOCUMENT, 0, &mut expected);
    let file = SourceFile::new("everything.kdl", text.clone());
    let doc = accessctl::config::parse(&file).expect("the generated document parses");
    let problems = schema.check(&file, &doc);
    assert!(problems.is_empty(), "the schema rejects its own nodes:\n{text}\n{problems:?}");

    let decoder = Decoder::default();
    decoder.decode(&doc);
    let read = decoder.read.borrow().clone();
    let unread: Vec<_> = expected.difference(&read).collect();
    let unlisted: Vec<_> = read.difference(&expected).collect();
    assert!(unread.is_empty(), "in the schema but never read by the decoder: {unread:?}");
    assert!(unlisted.is_empty(), "read by the decoder but not in the schema: {unlisted:?}");
}

#[test]
fn the_shipped_schema_file_is_the_embedded_one() {
    let on_disk = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/access.schema.kdl")).unwrap();
    assert_eq!(on_disk, accessctl::config::schema::SCHEMA_TEXT);
    assert!(!Schema::embedded().nodes.is_empty());
}

#[test]
fn every_node_has_a_summary() {
    for node in &Schema::embedded().nodes {
        assert!(!node.summary.is_empty(), "`{}` has no summary", node.name);
    }
}

//! Loading never panics, whatever the input: arbitrary text, and the examples with random bytes
//! inserted, deleted or replaced (which keeps inputs close to the language, where the deep code
//! paths are).

use accessctl::config::{self, SourceFile};
use proptest::prelude::*;

const EXAMPLES: &[&str] = &[
    include_str!("../examples/quick-start.kdl"),
    include_str!("../examples/config-map-to-api.kdl"),
    include_str!("../examples/namespaced-developers.kdl"),
    include_str!("../examples/nodes-and-fargate.kdl"),
    include_str!("../examples/multi-account/staging.kdl"),
    include_str!("../tests/bad/structure.kdl"),
    include_str!("../tests/bad/entry-rules.kdl"),
];

fn load(text: &str) {
    let files = [SourceFile::new("fuzz.kdl", text)];
    let loaded = config::load(&files);
    // Rendering walks every span: a span outside the text would panic here.
    for d in loaded.diagnostics.iter() {
        let _ = accessctl::render::diagnostic(d, accessctl::render::Style::Plain);
    }
    let _ = config::fmt::format(&files[0]);
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len().max(1);
        match *edit {
            Edit::Insert(at, c) => chars.insert(at % (chars.len() + 1), c),
            Edit::Delete(at) if !chars.is_empty() => {
                chars.remove(at % len);
            }
            Edit::Replace(at, c) if !chars.is_empty() => chars[at % len] = c,
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec!['{', '}', '"', '=', '#', '/', '*', ';', '\\', '\n', ' ', ':', '-', 'é', '\u{feff}']),
        any::<char>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), interesting_char()).prop_map(|(a, c)| Edit::Insert(a, c)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), interesting_char()).prop_map(|(a, c)| Edit::Replace(a, c)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(text in ".{0,400}") {
        load(&text);
    }

    #[test]
    fn mutated_examples(which in 0..EXAMPLES.len(), edits in prop::collection::vec(edit(), 1..8)) {
        load(&apply(EXAMPLES[which], &edits));
    }
}

/// Blocks nested thousands deep get a diagnostic, not a stack overflow; braces inside strings and
/// comments do not count.
#[test]
fn hostile_nesting_is_a_diagnostic() {
    let deep = format!("cluster \"c\" {{{}{}}}\n", " a {".repeat(5_000), " }".repeat(5_000));
    let loaded = config::load(&[SourceFile::new("deep.kdl", deep.as_str())]);
    assert!(loaded.diagnostics.iter().any(|d| d.message.contains("nested more than")), "{:?}", loaded.diagnostics);
    assert!(config::fmt::format(&SourceFile::new("deep.kdl", deep.as_str())).is_err());
    let braces = "{".repeat(100);
    let text = format!(
        "// {braces}\n/* {braces} */\nprincipal \"x\" \"arn:aws:iam::111122223333:user/x\"\ncluster \"c\" {{\n    region \"eu-west-1\"\n    access-entry \"x\" username=\"{braces}\" tags=#\"{braces}\"#\n}}\n"
    );
    assert_eq!(config::too_deep(&text, config::MAX_DEPTH), None);
}

/// A folder with a link to itself is read once, each file once; a file too large for an
/// access.kdl is refused before it is read.
#[cfg(unix)]
#[test]
fn link_loops_and_huge_files_end_with_an_answer() {
    use accessctl::config::source;
    let dir = std::env::temp_dir().join(format!("accessctl-loop-{}-{}", std::process::id(), fastrand::u32(..)));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.kdl"), "cluster \"c\" {\n    region \"eu-west-1\"\n}\n").unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("again")).unwrap();
    std::os::unix::fs::symlink(dir.join("a.kdl"), dir.join("b.kdl")).unwrap();
    let files = source::expand_paths(std::slice::from_ref(&dir)).unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    let huge = dir.join("huge.kdl");
    std::fs::File::create(&huge).unwrap().set_len(source::MAX_FILE_BYTES + 1).unwrap();
    assert!(matches!(source::read_files(&[huge]), Err(source::SourceError::TooLarge { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

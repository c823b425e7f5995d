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

//! How long `validate` takes on a large configuration: one cluster with 3,000 access entries (the
//! EKS quota) of two policy associations each, plus aws-auth mappings. Prints the time of the full
//! load (parse + schema check + decode + EKS rules) and its ratio to a bare KDL parse of the same
//! text, measured in the same process; then the same cluster with 1,000 access tests (`expect`),
//! each asked of the access model (`validate`'s offline check), and that check's ratio to the
//! load. Run with `cargo bench --bench validate`.

use std::time::{Duration, Instant};

use accessctl::config::{self, SourceFile};

fn generate(entries: usize) -> String {
    let mut out = String::from("cluster \"big\" {\n    region \"eu-west-1\"\n    account \"111122223333\"\n");
    out.push_str("    authentication-mode \"API_AND_CONFIG_MAP\"\n");
    for i in 0..entries {
        out.push_str(&format!(
            "    access-entry \"arn:aws:iam::111122223333:role/team-{t}/dev-{i}\" username=\"dev-{i}:{{{{SessionName}}}}\" {{\n        groups \"team-{t}\"\n        policy \"AmazonEKSViewPolicy\"\n        policy \"AmazonEKSEditPolicy\" {{\n            namespaces \"team-{t}-*\" \"shared\"\n        }}\n        tags team=\"team-{t}\"\n    }}\n",
            t = i % 40
        ));
    }
    out.push_str("    aws-auth {\n");
    for i in 0..200 {
        out.push_str(&format!(
            "        map-role \"arn:aws:iam::111122223333:role/legacy-{i}\" username=\"legacy-{i}\" {{\n            groups \"team-{}\"\n        }}\n",
            i % 40
        ));
    }
    out.push_str("    }\n");
    for t in 0..40 {
        out.push_str(&format!("    group-binding \"team-{t}\" cluster-role=\"view\"\n"));
    }
    out.push_str("}\n");
    out
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(iterations: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm up
    median(
        (0..iterations)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let text = generate(3000);
    let file = [SourceFile::new("big.kdl", text.clone())];
    let loaded = config::load(&file);
    assert!(loaded.config.is_some(), "the generated configuration must be valid");
    assert_eq!(loaded.config.as_ref().unwrap().clusters[0].access_entries.len(), 3000);

    let iterations = 15;
    let parse = time(iterations, || {
        let _: kdl::KdlDocument = text.parse().unwrap();
    });
    let load = time(iterations, || {
        let loaded = config::load(&file);
        assert!(loaded.config.is_some());
    });
    println!("validate: 3,000 access entries × 2 policies + 200 aws-auth mappings ({} KiB)", text.len() / 1024);
    println!("  KDL parse alone (baseline): {:>8.1} ms", parse.as_secs_f64() * 1e3);
    println!("  full validate             : {:>8.1} ms", load.as_secs_f64() * 1e3);
    println!("  ratio validate / parse    : {:>8.2}×", load.as_secs_f64() / parse.as_secs_f64());

    // Access tests: a third can, two thirds cannot, spread over the entries and namespaces.
    let mut tested = text.trim_end().trim_end_matches('}').to_string();
    for i in 0..1000 {
        let (principal, t) = (i * 3, i * 3 % 40);
        let words =
            if i % 3 == 0 { "can=\"get pods\"" } else { "cannot=\"create clusterroles.rbac.authorization.k8s.io\"" };
        tested.push_str(&format!(
            "    expect \"arn:aws:iam::111122223333:role/team-{t}/dev-{principal}\" {words} namespace=\"team-{t}-a\"\n"
        ));
    }
    tested.push_str("}\n");
    let files = [SourceFile::new("tested.kdl", tested)];
    let config = config::load(&files).config.expect("the access tests are valid");
    let checks = time(5, || {
        let found = config::checks::check_offline(&config, &files);
        assert!(found.is_empty(), "every generated expectation holds");
    });
    println!("access tests: 1,000 expectations on the same cluster");
    println!(
        "  asked of the model        : {:>8.1} ms ({:.0} µs each)",
        checks.as_secs_f64() * 1e3,
        checks.as_secs_f64() * 1e3
    );
    println!("  ratio tests / validate    : {:>8.2}×", checks.as_secs_f64() / load.as_secs_f64());
}

//! The fault-and-lockout suite: what an attacker of accessctl tries, run against the sandbox with
//! the real binary, counted. Every access claim is a request: each principal signs its own EKS
//! token (an STS session of its role) and lists pods; "locked out" means the sandbox's Kubernetes
//! API refused it. Every scenario asserts 0 lockouts, 0 lost mappings and convergence on re-run,
//! and writes its counts to `target/tmp/fault-and-lockout-*.txt` (`.ci/run` prints them).
//!
//! Randomness comes from one seed per test, printed with the counts and in every failure;
//! `ACCESSCTL_FAULT_SEED` replays one, `ACCESSCTL_FAULT_TRIALS` scales the trials up.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::{Child, Command};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, ListParams, PostParams};

const ROLE: &str = "arn:aws:iam::111122223333:role";

/// aws-auth as a team made it by hand: nodes and an operator with system:masters. accessctl owns
/// neither, and must never lose them.
const SEED: &str = "clusters:
  - name: c
    authenticationMode: API_AND_CONFIG_MAP
    awsAuth:
      mapRoles: |
        - rolearn: arn:aws:iam::111122223333:role/nodes
          username: system:node:{{EC2PrivateDNSName}}
          groups: [system:bootstrappers, system:nodes]
        - rolearn: arn:aws:iam::111122223333:role/ops
          username: ops
          groups: [system:masters]
";

/// Roles in aws-auth that no configuration manages.
const UNMANAGED: [&str; 2] = ["nodes", "ops"];

fn seed() -> u64 {
    std::env::var("ACCESSCTL_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| fastrand::u64(..))
}

fn trials(default: usize) -> usize {
    std::env::var("ACCESSCTL_FAULT_TRIALS").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// One configuration: an owner, whether it prunes, the roles it maps in aws-auth (group
/// `team-<owner>`, bound to `view`) and those it gives an access entry with the view policy.
#[derive(Debug, Clone)]
struct Declared {
    owner: String,
    prune: bool,
    mapped: BTreeSet<String>,
    entries: BTreeSet<String>,
}

impl Declared {
    fn kdl(&self) -> String {
        let mut t = format!("cluster \"c\" {{\n    region \"eu-west-1\"\n    owner \"{}\"\n", self.owner);
        if self.prune {
            t += "    prune #true\n";
        }
        t += "    aws-auth {\n";
        for m in &self.mapped {
            // A role two owners share is mapped identically by both, into a group of its own.
            let group = if m == "shared" { "shared".to_string() } else { format!("team-{}", self.owner) };
            t += &format!(
                "        map-role \"{ROLE}/{m}\" username=\"{m}\" {{\n            groups \"{group}\"\n        }}\n"
            );
        }
        t += "    }\n";
        let groups: BTreeSet<String> = self
            .mapped
            .iter()
            .map(|m| if m == "shared" { "shared".to_string() } else { format!("team-{}", self.owner) })
            .collect();
        for g in groups {
            t += &format!("    group-binding \"{g}\" cluster-role=\"view\"\n");
        }
        for e in &self.entries {
            t += &format!("    access-entry \"{ROLE}/{e}\" {{\n        policy \"AmazonEKSViewPolicy\"\n    }}\n");
        }
        t + "}\n"
    }

    fn file(&self, name: &str) -> String {
        temp_file(name, &self.kdl())
    }

    fn principals(&self) -> BTreeSet<String> {
        self.mapped.union(&self.entries).cloned().collect()
    }
}

/// A random subset of `pool` with between `min` and `max` members.
fn pick(rng: &mut fastrand::Rng, pool: &[String], min: usize, max: usize) -> BTreeSet<String> {
    let mut all = pool.to_vec();
    rng.shuffle(&mut all);
    all.into_iter().take(rng.usize(min..=max)).collect()
}

fn pool(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// The cluster's Kubernetes endpoint and CA, from DescribeCluster.
async fn endpoint(sb: &Sandbox) -> (String, String) {
    let described = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    let c = described.cluster().unwrap();
    (c.endpoint().unwrap().to_string(), c.certificate_authority().unwrap().data().unwrap().to_string())
}

/// Whether `role` (a session of it, with its own EKS token) may list pods.
async fn can_list_pods(sb: &Sandbox, at: &(String, String), role: &str) -> bool {
    let (key, secret, token) = assume(sb, &format!("{ROLE}/{role}"), "probe").await;
    let creds = aws_credential_types::Credentials::new(key, secret, Some(token), None, "probe");
    let bearer = accessctl::live::token::mint_with(creds, "eu-west-1", "c", SystemTime::now()).unwrap();
    let client = accessctl::live::kubernetes::connect(&at.0, Some(&at.1), bearer).unwrap();
    match Api::<Pod>::namespaced(client, "default").list(&ListParams::default()).await {
        Ok(_) => true,
        Err(kube::Error::Api(s)) if s.code == 401 || s.code == 403 => false,
        Err(e) => panic!("the probe of {role} failed: {e}"),
    }
}

/// The roles who may not list pods among `roles`.
async fn locked_out(sb: &Sandbox, roles: impl IntoIterator<Item = &String>) -> Vec<String> {
    let at = endpoint(sb).await;
    let mut out = vec![];
    for r in roles {
        if !can_list_pods(sb, &at, r).await {
            out.push(r.clone());
        }
    }
    out
}

/// The role names mapped in aws-auth and those with an access entry.
async fn live(sb: &Sandbox) -> (BTreeSet<String>, BTreeSet<String>) {
    let data = aws_auth_of(sb, "c").await.and_then(|c| c.data).unwrap_or_default();
    let data = accessctl::aws_auth::AwsAuthData::parse(&data).unwrap();
    let name = |arn: &str| arn.rsplit('/').next().unwrap().to_string();
    let mapped = data.mappings.iter().map(|m| name(&m.arn)).collect();
    let listed = eks(&sb.url()).list_access_entries().cluster_name("c").send().await.unwrap();
    let entries = listed.access_entries().iter().filter(|a| a.contains(":role/")).map(|a| name(a)).collect();
    (mapped, entries)
}

fn unmanaged() -> BTreeSet<String> {
    UNMANAGED.iter().map(|s| s.to_string()).collect()
}

fn spawn(sb: &Sandbox, args: &[&str]) -> Child {
    Accessctl::new().sandbox(sb).args(args).spawn()
}

async fn finish(child: Child) -> Run {
    tokio::task::spawn_blocking(move || Run::from(child.wait_with_output().unwrap())).await.unwrap()
}

/// `apply`, which may fail under injected faults: the test checks what it left.
fn apply(sb: &Sandbox, file: &str) -> Run {
    Accessctl::new().sandbox(sb).args(&["apply", "--auto-approve", "-f", file]).status_in(&[0, 1]).run()
}

/// `plan --detailed-exitcode`, which may fail under injected faults.
fn plan(sb: &Sandbox, file: &str) -> Run {
    Accessctl::new().sandbox(sb).args(&["plan", "--detailed-exitcode", "-f", file]).status_in(&[0, 1, 2]).run()
}

/// Applies until the plan is empty (at most `passes` applies); whether it converged.
fn converge(sb: &Sandbox, file: &str, passes: usize) -> bool {
    for _ in 0..passes {
        let planned = plan(sb, file);
        if planned.code == 0 {
            return true;
        }
        apply(sb, file);
    }
    plan(sb, file).code == 0
}

/// Counts of one scenario, written where `.ci/run` prints them.
struct Counts {
    scenario: &'static str,
    seed: u64,
    started: Instant,
    values: Vec<(&'static str, usize)>,
}

impl Counts {
    fn new(scenario: &'static str, seed: u64) -> Counts {
        Counts { scenario, seed, started: Instant::now(), values: vec![] }
    }

    fn add(&mut self, name: &'static str, n: usize) {
        match self.values.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) => *v += n,
            None => self.values.push((name, n)),
        }
    }

    fn get(&self, name: &str) -> usize {
        self.values.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).unwrap_or(0)
    }

    fn write(&self) -> String {
        let mut line =
            format!("{:<44} seed {:>20}  {:>5.1} s ", self.scenario, self.seed, self.started.elapsed().as_secs_f64());
        for (k, v) in &self.values {
            let _ = write!(line, " {k}={v}");
        }
        let path =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fault-and-lockout-{}.txt", self.scenario));
        std::fs::write(path, format!("{line}\n")).unwrap();
        eprintln!("{line}");
        line
    }
}

/// SIGKILL or SIGINT at a random moment of an apply that creates, changes and prunes: whoever
/// keeps access in both the old and the new configuration, and the unmanaged mappings, keep it at
/// the moment of the kill; the next apply converges and then every declared principal gets in.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_applies_converge_and_lock_nobody_out() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut counts = Counts::new("killed-applies", seed);
    let sb = sandbox(SEED, Faults { latency_ms: 15, consistency_delay_ms: 40, ..Faults::default() }).await;
    let (mapped_pool, entry_pool) = (pool("m", 8), pool("e", 6));
    let mut before = Declared {
        owner: "a".into(),
        prune: true,
        mapped: pick(&mut rng, &mapped_pool, 3, 5),
        entries: pick(&mut rng, &entry_pool, 2, 4),
    };
    // How long a whole apply takes here, to kill within it.
    let started = Instant::now();
    assert_eq!(apply(&sb, &before.file("kill-0")).code, 0);
    let whole = started.elapsed();
    for trial in 0..trials(10) {
        let after = Declared {
            mapped: pick(&mut rng, &mapped_pool, 2, 5),
            entries: pick(&mut rng, &entry_pool, 1, 4),
            ..before.clone()
        };
        let file = after.file(&format!("kill-{trial}"));
        let mut child = spawn(&sb, &["apply", "--auto-approve", "-f", &file]);
        let delay = Duration::from_millis(rng.u64(0..=whole.as_millis() as u64 * 6 / 5));
        tokio::time::sleep(delay).await;
        let sigint = trial % 2 == 1;
        if sigint {
            let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
        } else {
            let _ = child.kill();
        }
        let _ = finish(child).await;
        counts.add(if sigint { "sigint" } else { "sigkill" }, 1);
        check_mid_way(&sb, &before, &after, &mut counts, seed, trial).await;
        converge_and_check(&sb, &after, &file, &mut counts, seed, trial).await;
        before = after;
    }
    counts.write();
    assert_eq!(counts.get("lockouts"), 0);
    assert_eq!(counts.get("lost"), 0);
}

/// Right after a kill: nobody who is in both configurations, nor an unmanaged mapping, lost access.
async fn check_mid_way(
    sb: &Sandbox,
    before: &Declared,
    after: &Declared,
    counts: &mut Counts,
    seed: u64,
    trial: usize,
) {
    let (mapped, _) = live(sb).await;
    let lost: Vec<String> = unmanaged().into_iter().filter(|u| !mapped.contains(u)).collect();
    counts.add("lost", lost.len());
    assert!(lost.is_empty(), "seed {seed}, trial {trial}: unmanaged mappings lost: {lost:?}");
    let mut keep: BTreeSet<String> = before.principals().intersection(&after.principals()).cloned().collect();
    keep.insert("ops".into());
    let out = locked_out(sb, &keep).await;
    counts.add("probes", keep.len());
    counts.add("lockouts", out.len());
    assert!(out.is_empty(), "seed {seed}, trial {trial}: locked out mid-apply: {out:?}");
}

/// The next apply converges, and then exactly the declared principals (plus the unmanaged ones)
/// are there, and every one of them gets in.
async fn converge_and_check(
    sb: &Sandbox,
    declared: &Declared,
    file: &str,
    counts: &mut Counts,
    seed: u64,
    trial: usize,
) {
    let rerun = apply(sb, file);
    assert_eq!(rerun.code, 0, "seed {seed}, trial {trial}: the re-run failed:\n{}\n{}", rerun.stdout, rerun.stderr);
    let planned = plan(sb, file);
    if planned.code != 0 {
        counts.add("unconverged", 1);
    }
    assert_eq!(planned.code, 0, "seed {seed}, trial {trial}: not converged after one re-run:\n{}", planned.stdout);
    let (mapped, entries) = live(sb).await;
    let want_mapped: BTreeSet<String> = declared.mapped.union(&unmanaged()).cloned().collect();
    assert_eq!(mapped, want_mapped, "seed {seed}, trial {trial}");
    assert_eq!(entries, declared.entries, "seed {seed}, trial {trial}");
    let mut everyone = declared.principals();
    everyone.insert("ops".into());
    let out = locked_out(sb, &everyone).await;
    counts.add("probes", everyone.len());
    counts.add("lockouts", out.len());
    counts.add("converged", 1);
    assert!(out.is_empty(), "seed {seed}, trial {trial}: locked out after convergence: {out:?}");
}

/// Three owners apply at the same moment, round after round, each changing what it declares (two
/// prune, one does not; a mapping they may all declare): every apply succeeds, nothing one owner
/// declares is lost to another's write or prune, and each converges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_owners_with_and_without_prune_lose_nothing() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut counts = Counts::new("concurrent-owners", seed);
    let sb = sandbox(SEED, Faults { latency_ms: 5, ..Faults::default() }).await;
    let owners = ["a", "b", "c"];
    let mut kept_by_c: BTreeSet<String> = BTreeSet::new();
    for round in 0..trials(4) {
        let mut configs = vec![];
        for (i, owner) in owners.iter().enumerate() {
            let mut mapped = pick(&mut rng, &pool(&format!("{owner}m"), 5), 1, 4);
            if rng.bool() {
                mapped.insert("shared".into());
            }
            let d = Declared {
                owner: owner.to_string(),
                prune: i < 2,
                mapped,
                entries: pick(&mut rng, &pool(&format!("{owner}e"), 3), 1, 3),
            };
            configs.push(d);
        }
        let files: Vec<String> = configs.iter().map(|d| d.file(&format!("owner-{}-{round}", d.owner))).collect();
        let children: Vec<Child> = files.iter().map(|f| spawn(&sb, &["apply", "--auto-approve", "-f", f])).collect();
        for (child, d) in children.into_iter().zip(&configs) {
            let run = finish(child).await;
            counts.add("applies", 1);
            assert_eq!(run.code, 0, "seed {seed}, round {round}, owner {}:\n{}\n{}", d.owner, run.stdout, run.stderr);
        }
        // Right after the concurrent round, before any re-run: nothing declared or unmanaged is lost.
        let (mapped, entries) = live(&sb).await;
        kept_by_c.extend(configs[2].mapped.iter().cloned());
        let mut want: BTreeSet<String> = unmanaged();
        for d in &configs {
            want.extend(d.mapped.iter().cloned());
        }
        want.extend(kept_by_c.iter().cloned());
        let lost: Vec<&String> = want.difference(&mapped).collect();
        counts.add("lost", lost.len());
        assert!(lost.is_empty(), "seed {seed}, round {round}: mappings lost: {lost:?}");
        for d in &configs {
            let missing: Vec<&String> = d.entries.difference(&entries).collect();
            counts.add("lost", missing.len());
            assert!(missing.is_empty(), "seed {seed}, round {round}: entries of {} lost: {missing:?}", d.owner);
        }
        for f in &files {
            let ok = converge(&sb, f, 2);
            counts.add(if ok { "converged" } else { "unconverged" }, 1);
            assert!(ok, "seed {seed}, round {round}: {f} does not converge");
        }
        let mut everyone: BTreeSet<String> = configs.iter().flat_map(Declared::principals).collect();
        everyone.insert("ops".into());
        let out = locked_out(&sb, &everyone).await;
        counts.add("probes", everyone.len());
        counts.add("lockouts", out.len());
        assert!(out.is_empty(), "seed {seed}, round {round}: locked out: {out:?}");
    }
    counts.write();
}

/// Another writer (a node group's bootstrap, a hand edit done right) adds mappings to aws-auth
/// with its resourceVersion while two owners apply: every one of its mappings survives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_writer_racing_on_aws_auth_loses_nothing() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut counts = Counts::new("external-writer", seed);
    let sb = sandbox(SEED, Faults { latency_ms: 3, ..Faults::default() }).await;
    let client = kube_of(&sb, "c").await;
    let writes = trials(10) * 3;
    let writer = tokio::spawn(async move {
        let api: Api<ConfigMap> = Api::namespaced(client, "kube-system");
        let mut conflicts = 0;
        for i in 0..writes {
            loop {
                let mut cm = api.get("aws-auth").await.unwrap();
                let data = cm.data.get_or_insert_with(Default::default);
                let roles = data.entry("mapRoles".to_string()).or_default();
                roles.push_str(&format!("- rolearn: {ROLE}/ext{i}\n  username: ext{i}\n  groups: [system:masters]\n"));
                match api.replace("aws-auth", &PostParams::default(), &cm).await {
                    Ok(_) => break,
                    Err(kube::Error::Api(s)) if s.code == 409 => conflicts += 1,
                    Err(e) => panic!("the external write failed: {e}"),
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        conflicts
    });
    let mut rounds = 0;
    while !writer.is_finished() || rounds < 2 {
        let configs: Vec<Declared> = ["a", "b"]
            .iter()
            .map(|o| Declared {
                owner: o.to_string(),
                prune: true,
                mapped: pick(&mut rng, &pool(&format!("{o}m"), 5), 1, 4),
                entries: BTreeSet::new(),
            })
            .collect();
        let children: Vec<Child> = configs
            .iter()
            .map(|d| spawn(&sb, &["apply", "--auto-approve", "-f", &d.file(&format!("ext-{}-{rounds}", d.owner))]))
            .collect();
        for child in children {
            let run = finish(child).await;
            counts.add("applies", 1);
            assert_eq!(run.code, 0, "seed {seed}:\n{}\n{}", run.stdout, run.stderr);
        }
        rounds += 1;
    }
    counts.add("external-conflicts", writer.await.unwrap());
    let (mapped, _) = live(&sb).await;
    let mut want = unmanaged();
    want.extend((0..writes).map(|i| format!("ext{i}")));
    let lost: Vec<&String> = want.difference(&mapped).collect();
    counts.add("external-writes", writes);
    counts.add("lost", lost.len());
    let out = locked_out(&sb, &["ops".to_string(), "ext0".to_string(), format!("ext{}", writes - 1)]).await;
    counts.add("lockouts", out.len());
    counts.write();
    assert!(lost.is_empty(), "seed {seed}: the external writer's mappings were lost: {lost:?}");
    assert!(out.is_empty(), "seed {seed}: locked out: {out:?}");
}

/// With the Kubernetes API failing 5–100 % of calls, a plan that moves to API (which would lock
/// out the operator mapped in aws-auth) either fails or shows the api-lockout guard; an apply
/// with only `--allow one-way-mode` never takes the step. A plain apply retried under errors
/// converges without losing a mapping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_errors_never_hide_a_lockout() {
    let seed = seed();
    let mut counts = Counts::new("kubernetes-errors", seed);
    let to_api = temp_file(
        "errors-api",
        &format!(
            "cluster \"c\" {{\n    region \"eu-west-1\"\n    authentication-mode \"API\"\n    access-entry \"{ROLE}/admin\" {{\n        policy \"AmazonEKSClusterAdminPolicy\"\n    }}\n}}\n"
        ),
    );
    let mappings = Declared {
        owner: "a".into(),
        prune: true,
        mapped: pool("m", 3).into_iter().collect(),
        entries: BTreeSet::new(),
    };
    let mappings_file = mappings.file("errors-mappings");
    for rate in [0.05, 0.1, 0.25, 0.5, 1.0] {
        let sb = sandbox(SEED, Faults { kube_error_rate: rate, update_duration_ms: 0, ..Faults::default() }).await;
        for _ in 0..trials(6) {
            let planned = Accessctl::new().sandbox(&sb).args(&["plan", "-f", &to_api]).status_in(&[0, 1]).run();
            let guarded =
                planned.stdout.contains("! guard api-lockout") && planned.stdout.contains(&format!("{ROLE}/ops"));
            match (planned.code, guarded) {
                (1, _) => counts.add("plans-failed", 1),
                (_, true) => counts.add("plans-guarded", 1),
                _ => counts.add("plans-unguarded", 1),
            }
            assert!(
                planned.code == 1 || guarded,
                "seed {seed}, rate {rate}: a plan without its guard:\n{}",
                planned.stdout
            );
        }
        for _ in 0..trials(3) {
            Accessctl::new()
                .sandbox(&sb)
                .args(&["apply", "--auto-approve", "--allow", "one-way-mode", "-f", &to_api])
                .status_in(&[0, 1])
                .run();
            counts.add("guarded-applies", 1);
        }
        let mode = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
        let mode = mode.cluster().unwrap().access_config().unwrap().authentication_mode().unwrap().as_str().to_string();
        if mode == "API" {
            counts.add("lockouts", 1);
        }
        assert_eq!(mode, "API_AND_CONFIG_MAP", "seed {seed}, rate {rate}: the step to API was taken");
        // Plain work under errors: retried until it goes through (at 100 % it never does, and
        // nothing is written).
        let mut applied = false;
        for _ in 0..if rate < 1.0 { 10 } else { 2 } {
            if apply(&sb, &mappings_file).code == 0 {
                applied = true;
                break;
            }
            counts.add("applies-failed", 1);
        }
        sb.set_faults(Faults::default());
        let (mapped, _) = live(&sb).await;
        let lost: Vec<String> = unmanaged().into_iter().filter(|u| !mapped.contains(u)).collect();
        counts.add("lost", lost.len());
        assert!(lost.is_empty(), "seed {seed}, rate {rate}: lost {lost:?}");
        if applied {
            assert!(converge(&sb, &mappings_file, 1), "seed {seed}, rate {rate}");
            counts.add("converged", 1);
            let everyone: BTreeSet<String> = mappings.mapped.iter().cloned().chain(["ops".to_string()]).collect();
            let out = locked_out(&sb, &everyone).await;
            counts.add("lockouts", out.len());
            assert!(out.is_empty(), "seed {seed}, rate {rate}: locked out {out:?}");
        } else {
            assert_eq!(rate, 1.0, "seed {seed}: at {rate} an apply never went through in 10 tries");
            assert_eq!(mapped, unmanaged(), "nothing was written at 100 %");
        }
    }
    counts.write();
}

/// Saved plans tampered with, or not plans at all: each is refused with an error (never a crash),
/// and the cluster is exactly as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_plan_files_are_refused() {
    let mut counts = Counts::new("hostile-plan-files", 0);
    let sb = sandbox(SEED, updates_take(0)).await;
    let declared = Declared {
        owner: "a".into(),
        prune: true,
        mapped: pool("m", 2).into_iter().collect(),
        entries: pool("e", 1).into_iter().collect(),
    };
    let file = declared.file("hostile");
    let saved = format!("{file}.plan.json");
    Accessctl::new().sandbox(&sb).args(&["plan", "-f", &file, "--out", &saved]).run();
    let good: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let before = aws_auth_of(&sb, "c").await.unwrap().metadata.resource_version;
    let tamper = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        assert_ne!(v, good, "a tampering that changes nothing tests nothing");
        serde_json::to_vec(&v).unwrap()
    };
    let variants: Vec<(&str, Vec<u8>)> = vec![
        (
            "guards emptied, mode step to API added",
            tamper(&|v| {
                v["clusters"][0]["guards"] = serde_json::json!([]);
                v["clusters"][0]["changes"] = serde_json::json!([{
                    "id": {"kind": "auth-mode", "to": "API"},
                    "action": "update",
                    "target": {"kind": "auth-mode", "from": "API_AND_CONFIG_MAP", "to": "API"},
                    "depends_on": []
                }]);
            }),
        ),
        (
            "aws-auth change rewritten to delete ops",
            tamper(&|v| {
                if let Some(changes) = v["clusters"][0]["changes"].as_array_mut() {
                    for c in changes {
                        if c["id"] == serde_json::json!({"kind": "aws-auth"}) {
                            c["target"]["delete"] = serde_json::json!([format!("role:{ROLE}/ops")]);
                        }
                    }
                }
            }),
        ),
        ("changes dropped", tamper(&|v| v["clusters"][0]["changes"] = serde_json::json!([]))),
        ("another cluster", tamper(&|v| v["clusters"][0]["cluster"] = serde_json::json!("prod"))),
        ("future format", tamper(&|v| v["format_version"] = serde_json::json!(999))),
        ("truncated", serde_json::to_vec(&good).unwrap()[..200].to_vec()),
        ("not JSON", (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect()),
        ("deeply nested", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
        ("20 MB of spaces", vec![b' '; 20 << 20]),
    ];
    for (what, bytes) in variants {
        std::fs::write(&saved, bytes).unwrap();
        eprintln!("hostile plan file: {what}");
        // Refused, never a panic.
        Accessctl::new()
            .sandbox(&sb)
            .args(&["apply", &saved, "--auto-approve", "--allow", "one-way-mode", "-f", &file])
            .status(1)
            .stderr_lacks("panicked")
            .run();
        counts.add("files", 1);
        counts.add("refused", 1);
    }
    let after = aws_auth_of(&sb, "c").await.unwrap().metadata.resource_version;
    let (_, entries) = live(&sb).await;
    let mode = eks(&sb.url()).describe_cluster().name("c").send().await.unwrap();
    let mode = mode.cluster().unwrap().access_config().unwrap().authentication_mode().unwrap().as_str().to_string();
    let untouched = before == after && entries.is_empty() && mode == "API_AND_CONFIG_MAP";
    counts.add("cluster-changed", usize::from(!untouched));
    counts.write();
    assert!(untouched, "the cluster changed: aws-auth {before:?} → {after:?}, entries {entries:?}, mode {mode}");
    let out = locked_out(&sb, &["ops".to_string()]).await;
    assert!(out.is_empty());
}

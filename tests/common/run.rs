//! The one way the integration tests run the accessctl binary: a builder that states what the run
//! must do (exit status, exact output or the lines it must and must not contain) and checks it,
//! printing the whole transcript when it does not hold (just's `tests/test.rs` is the model).
//!
//! Every run starts from the same clean environment: no colour, none of the caller's AWS
//! profiles, endpoints, credentials or kubeconfig, a home of its own. `sandbox` points it at an
//! in-process sandbox as its administrator; `endpoint` and `credentials` at anything else.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use accessctl_sandbox::Sandbox;

/// What a run of the accessctl binary left: exit code and output.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The sandbox's default identity (`sandbox-admin`), as (access key, secret, session token).
pub const ADMIN: (&str, &str, Option<&str>) = ("sandbox", "sandbox", None);

/// One expectation on stdout or stderr.
#[derive(Debug)]
enum Text {
    Is(String),
    Has(String),
    Lacks(String),
}

/// A run of the real binary, and what it must do. Nothing runs until [`Accessctl::run`].
#[must_use = "nothing runs until .run()"]
pub struct Accessctl {
    args: Vec<OsString>,
    /// Appended after the command's own arguments (`--endpoint-url`).
    trailing: Vec<OsString>,
    env: Vec<(OsString, Option<OsString>)>,
    dir: PathBuf,
    stdin: Option<String>,
    status: Vec<i32>,
    stdout: Vec<Text>,
    stderr: Vec<Text>,
}

impl Default for Accessctl {
    fn default() -> Self {
        Accessctl::new()
    }
}

impl Accessctl {
    /// The binary in the repository's root, in a clean environment, expected to exit 0.
    pub fn new() -> Accessctl {
        let home = scratch("home");
        let mut env: Vec<(OsString, Option<OsString>)> = vec![];
        for var in [
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_EKS",
            "AWS_ENDPOINT_URL_STS",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_MAX_ATTEMPTS",
            "AWS_RETRY_MODE",
            "KUBECONFIG",
        ] {
            env.push((var.into(), None));
        }
        env.push(("NO_COLOR".into(), Some("1".into())));
        env.push(("HOME".into(), Some(home.clone().into())));
        env.push(("AWS_CONFIG_FILE".into(), Some(home.join("no-aws-config").into())));
        env.push(("AWS_SHARED_CREDENTIALS_FILE".into(), Some(home.join("no-aws-credentials").into())));
        env.push(("AWS_EC2_METADATA_DISABLED".into(), Some("true".into())));
        Accessctl {
            args: vec![],
            trailing: vec![],
            env,
            dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            stdin: None,
            status: vec![0],
            stdout: vec![],
            stderr: vec![],
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(OsString::from));
        self
    }

    /// Against `sandbox`, as its administrator, with a `~/.kube/config` that has a context per
    /// sandbox cluster (for files that reach Kubernetes through a kubeconfig context).
    pub fn sandbox(self, sandbox: &Sandbox) -> Self {
        let kubeconfig = accessctl::cli::sandbox::kubeconfig(sandbox, &sandbox.cluster_names());
        let home = self.home();
        std::fs::create_dir_all(home.join(".kube")).expect("a home for the run");
        std::fs::write(home.join(".kube/config"), kubeconfig).expect("the run's kubeconfig");
        self.endpoint(&sandbox.url()).credentials(ADMIN)
    }

    /// EKS and STS calls go to `url` (`--endpoint-url`, after the command's arguments).
    pub fn endpoint(mut self, url: &str) -> Self {
        self.trailing = vec!["--endpoint-url".into(), url.into()];
        self
    }

    /// These AWS credentials: (access key, secret, session token).
    pub fn credentials<K: AsRef<OsStr>, S: AsRef<OsStr>, T: AsRef<OsStr>>(self, keys: (K, S, Option<T>)) -> Self {
        let token = keys.2.map(|t| t.as_ref().to_owned());
        self.env("AWS_ACCESS_KEY_ID", keys.0).env("AWS_SECRET_ACCESS_KEY", keys.1).env_opt("AWS_SESSION_TOKEN", token)
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.set(key.as_ref(), Some(value.as_ref().to_owned()));
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.set(key.as_ref(), None);
        self
    }

    fn env_opt(mut self, key: &str, value: Option<OsString>) -> Self {
        self.set(OsStr::new(key), value);
        self
    }

    fn set(&mut self, key: &OsStr, value: Option<OsString>) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value));
    }

    /// The run's home directory (its own, fresh).
    pub fn home(&self) -> PathBuf {
        let home = self.env.iter().find(|(k, _)| k == "HOME").and_then(|(_, v)| v.clone()).expect("a home");
        PathBuf::from(home)
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = dir.as_ref().to_owned();
        self
    }

    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_string());
        self
    }

    /// The exit status it must end with (0 unless said).
    pub fn status(mut self, code: i32) -> Self {
        self.status = vec![code];
        self
    }

    /// Any of these exit statuses (a run whose outcome the test itself decides from the output).
    pub fn status_in(mut self, codes: &[i32]) -> Self {
        self.status = codes.to_vec();
        self
    }

    /// Stdout must be exactly `text`.
    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout.push(Text::Is(text.to_string()));
        self
    }

    /// Stderr must be exactly `text`.
    pub fn stderr(mut self, text: &str) -> Self {
        self.stderr.push(Text::Is(text.to_string()));
        self
    }

    /// Stdout must contain `text`.
    pub fn stdout_has(mut self, text: &str) -> Self {
        self.stdout.push(Text::Has(text.to_string()));
        self
    }

    /// Stderr must contain `text`.
    pub fn stderr_has(mut self, text: &str) -> Self {
        self.stderr.push(Text::Has(text.to_string()));
        self
    }

    /// Stdout must not contain `text`.
    pub fn stdout_lacks(mut self, text: &str) -> Self {
        self.stdout.push(Text::Lacks(text.to_string()));
        self
    }

    /// Stderr must not contain `text`.
    pub fn stderr_lacks(mut self, text: &str) -> Self {
        self.stderr.push(Text::Lacks(text.to_string()));
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_accessctl"));
        cmd.args(&self.args).args(&self.trailing).current_dir(&self.dir);
        for (key, value) in &self.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        cmd
    }

    /// The command line, for messages.
    fn line(&self) -> String {
        let words: Vec<String> =
            self.args.iter().chain(&self.trailing).map(|a| a.to_string_lossy().into_owned()).collect();
        format!("accessctl {}", words.join(" "))
    }

    /// Runs it to the end and checks every expectation; panics with the transcript if one fails.
    #[track_caller]
    pub fn run(self) -> Run {
        let mut cmd = self.command();
        cmd.stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("accessctl starts");
        if let Some(text) = &self.stdin {
            let mut stdin = child.stdin.take().expect("piped stdin");
            stdin.write_all(text.as_bytes()).expect("stdin written");
        }
        let run = Run::from(child.wait_with_output().expect("accessctl runs"));
        let mut wrong = vec![];
        if !self.status.contains(&run.code) {
            wrong.push(format!("exit status {} (expected {:?})", run.code, self.status));
        }
        for (stream, expected, actual) in [("stdout", &self.stdout, &run.stdout), ("stderr", &self.stderr, &run.stderr)]
        {
            for e in expected {
                match e {
                    Text::Is(text) if actual != text => {
                        wrong.push(format!("{stream} is not exactly:\n{text}"));
                    }
                    Text::Has(text) if !actual.contains(text.as_str()) => {
                        wrong.push(format!("{stream} lacks: {text}"));
                    }
                    Text::Lacks(text) if actual.contains(text.as_str()) => {
                        wrong.push(format!("{stream} has: {text}"));
                    }
                    _ => {}
                }
            }
        }
        if !wrong.is_empty() {
            panic!(
                "{}\n--- {}\n--- stdout:\n{}\n--- stderr:\n{}",
                wrong.join("\n"),
                self.line(),
                run.stdout,
                run.stderr
            );
        }
        run
    }

    /// Starts it and returns the process (stdout and stderr piped), for tests that signal or
    /// read it while it runs; the test checks what it did.
    pub fn spawn(self) -> Child {
        let mut cmd = self.command();
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.spawn().expect("accessctl starts")
    }
}

/// `accessctl sandbox`, started by [`Accessctl::serve`], serving at `url`; stopped when dropped.
pub struct Served {
    pub child: Child,
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Accessctl {
    /// Starts a long-running command (`accessctl sandbox …`) and returns once it serves: its
    /// first line of output ends with the URL it listens on, written after it listens. Its
    /// output is drained from then on (stderr to the test's), so it never blocks on a full pipe.
    pub fn serve(self) -> Served {
        use std::io::{BufRead, BufReader};
        let line = self.line();
        let mut child = self.spawn();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut stderr = child.stderr.take().expect("piped stderr");
        let mut first = String::new();
        stdout.read_line(&mut first).expect("the first line");
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::stderr()));
        let url = first.trim().rsplit(' ').next().unwrap_or_default().to_string();
        let served = Served { child, url };
        assert!(served.url.starts_with("http://127.0.0.1:"), "{line}: unexpected first line: {first}");
        served
    }
}

/// A fresh, empty directory under the system's temporary folder.
pub fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("accessctl-{what}-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// `import` of `clusters` from `sandbox`, then the round trip every imported file must survive:
/// it validates, it is already in `fmt`'s layout, and planning it changes nothing. Returns the
/// file's text.
pub fn import_round_trip(sandbox: &Sandbox, region: &str, clusters: &[&str]) -> String {
    let file = scratch("import").join("access.kdl");
    let mut import = Accessctl::new().sandbox(sandbox).args(&["import", "--region", region, "--out"]).arg(&file);
    for c in clusters {
        import = import.args(&["--cluster", c]);
    }
    import.run();
    let text = std::fs::read_to_string(&file).expect("import wrote the file");
    Accessctl::new().arg("validate").arg(&file).run();
    Accessctl::new().args(&["fmt", "--check"]).arg(&file).run();
    Accessctl::new()
        .sandbox(sandbox)
        .args(&["plan", "--detailed-exitcode", "-f"])
        .arg(&file)
        .stdout_has("No changes. Live access matches the configuration.")
        .run();
    text
}

/// miette's report as one line of words: its frame and its line wrapping taken out (a line it
/// broke after `-` or `/` joins the next without a space), so a test can look for a sentence.
pub fn unwrapped(report: &str) -> String {
    let mut out = String::new();
    for line in report.lines() {
        let words = line.trim_start().trim_start_matches(['│', '·', '×', '╭', '╰', '├', '─', '┬', '▶']).trim();
        if words.is_empty() {
            continue;
        }
        if !out.is_empty() && !out.ends_with(['-', '/']) {
            out.push(' ');
        }
        out.push_str(words);
    }
    out
}

//! Which parts of the test bed this build's tests can reach. A test that needs a part it cannot
//! reach is compiled as ignored, with the reason (`cargo test` prints it; `-- --ignored` runs it
//! anyway), as cargo's own test suite does. When `CI` is set every part is required: such a test
//! runs and fails instead of passing by skipping.

fn main() {
    for var in ["CI", "ACCESSCTL_KUBE_APISERVER", "ACCESSCTL_FAKECLOUD_URL", "PATH"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    let env = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty());
    let on_path = |tool: &str| {
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
    };
    for (cfg, reachable) in [
        ("testbed_kube_apiserver", env("ACCESSCTL_KUBE_APISERVER")),
        ("testbed_fakecloud", env("ACCESSCTL_FAKECLOUD_URL")),
        ("tool_aws", on_path("aws")),
        ("tool_kubectl", on_path("kubectl")),
        // Debian's package: the browser the HTML report is tested in.
        ("tool_chromium", on_path("chromium")),
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if ci || reachable {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}

//! `report --format html` in a real browser: Debian's headless Chromium renders the page the
//! binary wrote from the embedded sandbox's live state, with name resolution switched off (a page
//! that needed the network would not render whole), takes a screenshot that must be a real,
//! non-blank PNG of the window's size showing the table's colours, and dumps the DOM, whose
//! rights table must hold exactly what the same review's JSON holds — and a name that is
//! markup must be text there, its script never run.
//!
//! Compiled as ignored where `chromium` is not on PATH (see build.rs); under CI it must run.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use scraper::{Html, Selector};
use serde_json::Value;

/// A name that would run a script if the page did not escape it.
const SCRIPT_NAME: &str = "<script>document.title='pwned'</script>";

/// The quick start against the sandbox, with a cluster it does not have and a principal whose
/// name is markup.
fn review_files() -> String {
    let quick_start = std::fs::read_to_string("examples/quick-start.kdl").unwrap();
    temp_file(
        "report-browser",
        &format!(
            "principal \"{}\" \"arn:aws:iam::111122223333:user/bob\"\n{quick_start}cluster \"ghost\" {{\n    region \"eu-west-1\"\n}}\n",
            SCRIPT_NAME.replace('"', "\\\"")
        ),
    )
}

/// Headless Chromium with a fresh profile, nothing in the background, and every host name
/// unresolvable; returns stdout. Fails the test if it does not finish in a minute.
fn chromium(extra: &[&str], page: &Path) -> String {
    let profile = scratch("chromium-profile");
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts (Debian's chromium package: .ci/run installs it)");
    let started = Instant::now();
    while child.try_wait().expect("waiting for chromium").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("chromium's output");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn text(element: scraper::ElementRef<'_>) -> String {
    element.text().collect::<String>().trim().to_string()
}

/// The rights of a JSON cell in the page's words.
fn summary(rights: &Value) -> String {
    let word = |l: &Value| match l {
        Value::String(s) => s.clone(),
        Value::Object(o) => format!("unknown ({})", o["unknown"].as_str().unwrap()),
        other => panic!("{other}"),
    };
    let namespaces = rights["namespaces"].as_array().unwrap();
    let mut parts = vec![];
    if rights["cluster"] != "none" || namespaces.is_empty() {
        parts.push(word(&rights["cluster"]));
    }
    parts.extend(namespaces.iter().map(|ns| format!("{} in {}", word(&ns[1]), ns[0].as_str().unwrap())));
    parts.join("; ")
}

#[test]
#[cfg_attr(not(tool_chromium), ignore = "needs Chromium on PATH: apt-get install chromium (.ci/run does)")]
fn the_page_renders_in_chromium_with_the_sandbox_s_rights_in_its_table() {
    let files = review_files();
    let dir = scratch("report-browser-page");
    let page = dir.join("review.html");
    // The ghost cluster cannot be read: exit 5, and the page is written all the same.
    Accessctl::new()
        .args(&["report", "--sandbox", "--format", "html", "-f"])
        .arg(&files)
        .arg("-o")
        .arg(&page)
        .status(5)
        .run();
    let review: Value = serde_json::from_str(
        &Accessctl::new().args(&["report", "--sandbox", "--format", "json", "-f"]).arg(&files).status(5).run().stdout,
    )
    .unwrap();

    // The screenshot: a PNG of the window's size, not blank, showing the header's and the
    // cluster-admin cell's colours (the stylesheet is inline, so it must have applied).
    let shot = dir.join("review.png");
    chromium(&[&format!("--screenshot={}", shot.display()), "--window-size=1280,900"], &page);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).expect("a screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let frame = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((frame.width, frame.height), (1280, 900));
    let channels = frame.color_type.samples();
    assert!(channels >= 3, "{:?}", frame.color_type);
    let mut colours: BTreeMap<(u8, u8, u8), usize> = BTreeMap::new();
    for px in pixels[..frame.buffer_size()].chunks(channels) {
        *colours.entry((px[0], px[1], px[2])).or_default() += 1;
    }
    assert!(colours.len() > 50, "a blank or near-blank screenshot: {} colours", colours.len());
    let count = |rgb: (u8, u8, u8)| colours.get(&rgb).copied().unwrap_or(0);
    assert!(count((0x1f, 0x2a, 0x44)) > 10_000, "the header's colour is missing");
    assert!(count((0xfd, 0xe2, 0xe1)) > 1_000, "no cluster-admin cell is painted");

    // The DOM, as the browser built it.
    let dom = Html::parse_document(&chromium(&["--dump-dom"], &page));
    let select = |css: &str| Selector::parse(css).unwrap();
    assert_eq!(dom.select(&select("title")).map(text).next().as_deref(), Some("Access review"), "no script ran");
    assert_eq!(dom.select(&select("script, img, iframe, link, object, embed, [src], [href]")).count(), 0);
    let header: Vec<String> = dom.select(&select("table#rights thead th")).map(text).collect();
    assert_eq!(header, ["Principal", "Name", "demo", "ghost"]);
    // principal → (name, cluster → rights)
    let mut table: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
    for row in dom.select(&select("table#rights tbody tr")) {
        let principal = row.select(&select("th.principal")).map(text).next().expect("a principal");
        assert_eq!(row.value().attr("data-principal"), Some(principal.as_str()));
        let name = row.select(&select("td.name")).map(text).next().expect("a name cell");
        let cells = row
            .select(&select("td.cell"))
            .map(|c| {
                let rights = c.select(&select(".rights")).map(text).next().expect("rights");
                (c.value().attr("data-cluster").expect("its cluster").to_string(), rights)
            })
            .collect();
        table.insert(principal, (name, cells));
    }
    // What the sandbox's state must give.
    let of = |arn: &str| table.get(arn).unwrap_or_else(|| panic!("no row for {arn} in {table:#?}"));
    let admin = of("arn:aws:iam::111122223333:user/sandbox-admin");
    assert_eq!(admin.1["demo"], "cluster-admin");
    assert!(admin.1["ghost"].starts_with("unknown (the cluster cannot be read: cluster `ghost`"), "{admin:?}");
    let bob = of("arn:aws:iam::111122223333:user/bob");
    assert_eq!((bob.0.as_str(), bob.1["demo"].as_str()), (SCRIPT_NAME, "none"), "the name is text, shown as written");
    let nodes = of("arn:aws:iam::111122223333:role/demo-ng-general");
    assert_eq!((nodes.0.as_str(), nodes.1["demo"].as_str()), ("ng-general", "node"));
    assert_eq!(of("arn:aws:iam::111122223333:role/platform-admin").1["demo"], "none");
    // And every row and cell is the review's own (the JSON of the same state).
    let rows = review["rows"].as_array().unwrap();
    assert_eq!(table.len(), rows.len());
    for row in rows {
        let (name, cells) = of(row["principal"].as_str().unwrap());
        assert_eq!(name, row["name"].as_str().unwrap_or(""));
        for c in row["cells"].as_array().unwrap() {
            assert_eq!(cells[c["cluster"].as_str().unwrap()], summary(&c["rights"]), "{}", row["principal"]);
        }
    }
    // The unmanaged way in is marked where the reader looks.
    let unmanaged = dom
        .select(&select(
            "tr[data-principal='arn:aws:iam::111122223333:user/sandbox-admin'] td.cell.unmanaged .via .badge.unmanaged",
        ))
        .count();
    assert_eq!(unmanaged, 1);
}

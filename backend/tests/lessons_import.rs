//! `muelle lessons import killercoda SRC`: scenarios written here in Killercoda's format
//! (tests/fixtures/killercoda: index.json, intro/steps/finish texts, verify, background and
//! foreground scripts, `{{exec}}`/`{{copy}}` annotations, assets for two hosts) become lessons
//! that parse and lint clean, and the report names what could not be converted.
//! (Playing the imported lessons on real nodes is in tests/e2e/lessons.rs.)

use std::path::{Path, PathBuf};
use std::sync::Arc;

use backend::images::Catalog;
use backend::lessons::dir::check_file;
use backend::lessons::import::killercoda::{convert, import, Options};
use backend::lessons::import::Unconverted;
use backend::lessons::model::{Block, Part};
use backend::lessons::parser::parse;
use backend::lessons::{lint::lint, Action, ParsedLesson};
use backend::lessons_cli::run_words;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/killercoda").join(name)
}

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::load(repo("images/catalog.yaml")).unwrap())
}

fn opts() -> Options {
    Options { catalog: Some(catalog()), ..Options::default() }
}

/// Converts a fixture; returns the parsed lesson, its lint problems and the report.
fn converted(name: &str) -> (ParsedLesson, Vec<String>, Vec<Unconverted>) {
    let c = convert(&fixture(name), &opts()).unwrap();
    let label = format!("en/01-{}.md", c.id);
    let (lesson, problems) = parse(&label, &c.markdown);
    assert!(problems.is_empty(), "{name} does not parse: {problems:#?}\n{}", c.markdown);
    let lesson = lesson.unwrap();
    assert_eq!(c.steps, lesson.steps.len());
    let lint: Vec<String> = lint(&lesson, catalog().as_ref()).into_iter().map(|p| p.to_string()).collect();
    (lesson, lint, c.unconverted)
}

fn blocks(l: &ParsedLesson, step: usize, action: Action) -> Vec<&Block> {
    l.steps[step].blocks_of(action).collect()
}

fn codes(b: &[&Block]) -> Vec<String> {
    b.iter().map(|b| b.code.trim_end().to_string()).collect()
}

/// Each expected note (source, part of the message) is in the report, and nothing else is.
fn assert_notes(notes: &[Unconverted], expected: &[(&str, &str)]) {
    for (source, what) in expected {
        assert!(
            notes.iter().any(|n| n.source == *source && n.what.contains(what)),
            "missing note {source}: …{what}… in {notes:#?}"
        );
    }
    assert_eq!(notes.len(), expected.len(), "{notes:#?}");
}

#[test]
fn single_host_scenario_converts_every_feature() {
    let (l, lint, notes) = converted("docker-basics");
    assert!(lint.is_empty(), "{lint:#?}");
    let f = &l.front;
    assert_eq!((f.id.as_str(), f.title.as_str(), f.lang.as_str()), ("docker-basics", "Docker basics: containers and files", "en"));
    assert_eq!(f.summary, "Run a container, use uploaded files and clean up.");
    assert_eq!((f.duration_minutes, f.node_count), (20, 1));
    assert_eq!(f.images.iter().map(|(i, _)| i.as_str()).collect::<Vec<_>>(), vec!["busybox:latest"]);
    // The `##` headings of the intro and of step 1 became `###`: they did not start steps.
    let titles: Vec<&str> = l.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Prepare the environment", "Run a container", "Use the uploaded script", "Read the configuration", "Finish"]);
    let intro = format!("{:?}", l.intro);
    assert!(intro.contains("### Welcome") && intro.contains("### What you need") && !intro.contains("<br>"), "{intro}");

    // The intro's background script is the lesson's `background:` and its foreground script
    // (which waits for the background's marker) its `setup:`, on node1, bash scripts under bash.
    let scripts = |list: &[backend::lessons::model::NodeScript]| -> Vec<(String, String)> {
        list.iter().map(|s| (s.node.clone(), s.code.clone())).collect()
    };
    assert_eq!(scripts(&f.background), [(
        "node1".to_string(),
        "bash <<'END_OF_SCRIPT'\nsleep 1\necho ready > /tmp/intro-background-done\nEND_OF_SCRIPT\n".to_string(),
    )]);
    assert_eq!(f.setup.len(), 1);
    assert_eq!(f.setup[0].node, "node1");
    assert!(f.setup[0].code.starts_with("bash <<'END_OF_SCRIPT'\necho \"waiting for the environment\"\n"), "{:?}", f.setup);
    assert!(f.setup[0].code.contains("[ -f /tmp/intro-background-done ] && break") && f.setup[0].code.ends_with("\nEND_OF_SCRIPT\n"));

    // Preparation: assets (glob expanded below its fixed directory, chmod applied).
    let files: Vec<(&str, &str)> = blocks(&l, 0, Action::File).iter().map(|b| (b.path.as_deref().unwrap(), b.code.as_str())).collect();
    assert_eq!(files, [
        ("/root/hello.sh", "#!/bin/sh\necho \"hello from an asset\" > /root/hello.out\n"),
        ("/etc/demo/a.yaml", "name: alpha\n"),
        ("/etc/demo/b.yaml", "name: beta\n"),
    ]);
    assert_eq!(codes(&blocks(&l, 0, Action::Run)), ["chmod +x /root/hello.sh"]);
    assert!(l.steps[0].check().is_none());

    // Step 1: fenced {{exec}} and inline {{execute}} run; {{copy}} is a plain block; {{}} stays
    // inline; the bash verify runs under bash.
    assert_eq!(codes(&blocks(&l, 1, Action::Run)), ["docker run --name hello busybox echo \"hello from busybox\"", "docker ps -a"]);
    let plain = blocks(&l, 1, Action::Plain);
    assert_eq!((plain.len(), plain[0].lang.as_str()), (1, "bash"));
    assert_eq!(plain[0].code, "docker ps -a --format '{{.Names}}'\n");
    let check = l.steps[1].check().unwrap();
    assert_eq!(check.code, "bash <<'END_OF_VERIFY'\n[[ \"$(docker inspect -f '{{.State.Status}}' hello)\" == \"exited\" ]]\nEND_OF_VERIFY\n");
    let text: String = l.steps[1]
        .parts
        .iter()
        .filter_map(|p| match p {
            backend::lessons::model::Part::Markdown(m) => Some(m.as_str()),
            _ => None,
        })
        .collect();
    assert!(text.contains("`this snippet` is plain code") && text.contains("### Why it exited") && !text.contains("{{"), "{text}");

    // Step 2: its background script first, then the inline exec; a verify without a bash
    // shebang is kept as it is.
    assert_eq!(codes(&blocks(&l, 2, Action::Run)), [
        "nohup bash /root/.killercoda/step2-background.sh >/root/.killercoda/step2-background.log 2>&1 </dev/null &",
        "/root/hello.sh",
    ]);
    assert_eq!(blocks(&l, 2, Action::Plain)[0].code, "cat /root/hello.out\n");
    assert_eq!(l.steps[2].check().unwrap().code, "grep -q \"hello from an asset\" /root/hello.out\n");

    // Step 3: {{exec interrupt}} inside a <details> solution.
    let run = blocks(&l, 3, Action::Run);
    assert_eq!((codes(&run)[0].as_str(), run[0].interrupt), ("cat /etc/demo/*.yaml > /root/all.yaml", true));
    assert_eq!(l.steps[3].check().unwrap().code, "grep -q alpha /root/all.yaml && grep -q beta /root/all.yaml\n");
    // …folded under its summary as in Killercoda, the run block inside the fold.
    let parts = &l.steps[3].parts;
    let fold = parts.iter().position(|p| matches!(p, Part::Details { summary, open: false, .. } if summary == "Solution"));
    let (fold, end) = (fold.expect("a Solution fold"), parts.iter().position(|p| *p == Part::EndDetails).expect("closed"));
    assert!(parts[fold..end].iter().any(|p| matches!(p, Part::Block(b) if b.action == Action::Run)), "{parts:?}");

    // Finish: its foreground script, then its text.
    assert_eq!(codes(&blocks(&l, 4, Action::Run)), ["bash /root/.killercoda/finish-foreground.sh"]);
    assert!(format!("{:?}", l.steps[4].parts).contains("### Well done"));

    assert_notes(&notes, &[
        ("index.json", "environment `ubuntu`"),
        ("step2 \"Use the uploaded script\"", "background/foreground scripts do not start by themselves"),
        ("finish \"Finish\"", "background/foreground scripts do not start by themselves"),
    ]);
}

#[test]
fn two_host_scenario_targets_its_nodes() {
    let (l, lint, notes) = converted("two-hosts");
    assert!(lint.is_empty(), "{lint:#?}");
    assert_eq!((l.front.node_count, l.front.nodes.clone()), (2, vec!["node1".to_string(), "node2".to_string()]));
    let files: Vec<(&str, Option<&str>)> = blocks(&l, 0, Action::File).iter().map(|b| (b.path.as_deref().unwrap(), b.node.as_deref())).collect();
    assert_eq!(files, [("/root/one.txt", None), ("/root/two.txt", Some("node2"))]);
    let runs = blocks(&l, 1, Action::Run);
    assert_eq!(runs.iter().map(|b| b.node.as_deref()).collect::<Vec<_>>(), [Some("node2"), Some("node2")]);
    assert_eq!(codes(&runs), ["test ! -e /root/one.txt && cat /root/two.txt", "test \"$(hostname)\" = node2 && hostname > /root/where.txt"]);
    // A line that only held the annotated code is replaced by its block.
    assert!(!format!("{:?}", l.steps[1].parts).contains("Markdown(\"`test"), "{:?}", l.steps[1].parts);
    let runs = blocks(&l, 2, Action::Run);
    assert_eq!((runs.len(), runs[0].node.as_deref()), (1, None));
    assert_notes(&notes, &[("index.json", "environment `kubernetes-kubeadm-2nodes`")]);
}

#[test]
fn what_cannot_be_converted_is_reported() {
    let (l, lint, notes) = converted("unsupported");
    assert_notes(&notes, &[
        ("index.json", "`interface` is not converted"),
        ("index.json", "environment `ubuntu`"),
        ("assets/logo.png", "binary file: not copied to /root/logo.png"),
        ("assets.host01[1]", "`nothing-*.txt` matches no file under assets/"),
        ("index.json", "host 7: a lesson has at most 5 nodes"),
        ("intro.md:1", "`{{open}}` is not converted"),
        ("index.json", "`hint` of step1 is not converted"),
        ("step1/text.md:3", "terminal `t2`"),
        ("step1/text.md:3", "image `nginx:alpine` is not in the image catalog"),
        ("step1/text.md:5", "placeholder `{{TRAFFIC_HOST1_80}}` is not converted"),
        ("step1/text.md:7", "raw HTML is shown as text: `<pre class=\"file\""),
        ("step1/text.md:9", "image `./page.png`: the scenario's files are not served"),
        ("step2 \"Create a file\"", "add a `solve` block"),
        ("index.json", "`missing.md` (step3) cannot be read"),
        ("index.json", "`../outside.md` (step4) is outside the scenario"),
    ]);
    // What lint still reports, nothing else: the image a run block names, and the step without
    // a way to finish.
    assert_eq!(lint.len(), 2, "{lint:#?}");
    assert!(lint[0].contains("image `nginx:alpine` is not in the image catalog"), "{lint:?}");
    assert!(lint[1].contains("step `Create a file` has a check but no way to finish"), "{lint:?}");
    assert_eq!(l.front.node_count, 1);
    assert!(l.front.images.is_empty());
    assert_eq!(l.steps[2].title, "Step 3");
}

#[test]
fn import_writes_the_next_number_and_refuses_a_taken_id() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("lessons");
    std::fs::create_dir_all(dest.join("es")).unwrap();
    std::fs::write(dest.join("es/04-algo.md"), "---\nid: algo\n---\n").unwrap();
    let r = import(&fixture("docker-basics"), &dest, &opts()).unwrap();
    assert_eq!(r.lesson, dest.join("en/05-docker-basics.md"));
    assert_eq!((r.steps, r.nodes, r.unconverted.len()), (5, 1, 3));
    assert!(check_file(&r.lesson, catalog().as_ref()).problems.is_empty());
    let err = import(&fixture("docker-basics"), &dest, &opts()).unwrap_err().to_string();
    assert!(err.contains("a lesson with id `docker-basics` already exists"), "{err}");
    let es = Options { lang: "es".into(), id: Some("basicos".into()), ..opts() };
    let r = import(&fixture("docker-basics"), &dest, &es).unwrap();
    assert_eq!(r.lesson, dest.join("es/06-basicos.md"));
    let text = std::fs::read_to_string(&r.lesson).unwrap();
    assert!(text.contains("## Preparar el entorno") && text.contains("lang: es"), "{text}");
    let problems = check_file(&r.lesson, catalog().as_ref()).problems;
    assert!(problems.is_empty(), "{problems:?}");
    let bad = Options { id: Some("Bad Id".into()), ..opts() };
    assert!(import(&fixture("two-hosts"), &dest, &bad).unwrap_err().to_string().contains("did you mean `bad-id`"));
}

#[test]
fn not_a_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let err = convert(tmp.path(), &opts()).unwrap_err().to_string();
    assert!(err.contains("is not a Killercoda scenario"), "{err}");
    std::fs::write(tmp.path().join("index.json"), "{\"title\": \"x\",}").unwrap();
    let err = format!("{:#}", convert(tmp.path(), &opts()).unwrap_err());
    assert!(err.contains("is not valid JSON") && err.contains("line 1"), "{err}");
    std::fs::write(tmp.path().join("index.json"), "[1]").unwrap();
    assert!(convert(tmp.path(), &opts()).unwrap_err().to_string().contains("JSON object"));
}

#[test]
fn cli_prints_the_report_and_lints_the_result() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("lessons");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::create_dir_all(tmp.path().join("images")).unwrap();
    std::fs::copy(repo("images/catalog.yaml"), tmp.path().join("images/catalog.yaml")).unwrap();
    let d = dest.to_str().unwrap();
    let src = fixture("two-hosts");
    assert_eq!(run_words(&["import", "killercoda", src.to_str().unwrap(), "--dest", d]).unwrap(), 0);
    assert!(dest.join("en/01-two-hosts.md").is_file());
    // Written, but lint still has a problem (a check with no way to finish): exit 1.
    let src = fixture("unsupported");
    assert_eq!(run_words(&["import", "killercoda", src.to_str().unwrap(), "--dest", d]).unwrap(), 1);
    assert!(dest.join("en/02-unsupported.md").is_file());
    let err = run_words(&["import", "katacoda", "x"]).unwrap_err().to_string();
    assert!(err.contains("unrecognized subcommand 'katacoda'"), "{err}");
    assert!(run_words(&["import", "killercoda", "--bogus"]).unwrap_err().to_string().contains("unexpected argument '--bogus'"));
    assert!(run_words(&["import", "killercoda"]).unwrap_err().to_string().contains("<SRC>"));
}

/// A scenario is untrusted: a text, script or assets directory linking out of it is not read,
/// so no file of this machine ends up in a lesson.
#[test]
fn links_out_of_the_scenario_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET\n").unwrap();
    std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
    std::fs::write(tmp.path().join("outside/key.txt"), "TOP-SECRET\n").unwrap();
    let src = tmp.path().join("leaky");
    std::fs::create_dir_all(src.join("step1")).unwrap();
    std::os::unix::fs::symlink(&secret, src.join("step1/text.md")).unwrap();
    std::os::unix::fs::symlink(&secret, src.join("verify.sh")).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("outside"), src.join("assets")).unwrap();
    std::fs::write(src.join("ok.md"), "Fine `ls`{{exec}}\n").unwrap();
    std::fs::write(
        src.join("index.json"),
        r#"{"title": "Leaky", "details": {"steps": [{"text": "step1/text.md", "verify": "verify.sh"}, {"title": "Ok", "text": "ok.md"}],
            "assets": {"host01": [{"file": "key.txt", "target": "/root"}]}}}"#,
    )
    .unwrap();
    let c = convert(&src, &opts()).unwrap();
    assert!(!c.markdown.contains("TOP-SECRET"), "{}", c.markdown);
    assert!(c.markdown.contains("```sh run\nls\n```"), "{}", c.markdown);
    assert_notes(&c.unconverted, &[
        ("assets", "a link out of the scenario"),
        ("assets.host01[0]", "`key.txt` matches no file under assets/"),
        ("index.json", "`step1/text.md` (step1) is outside the scenario"),
        ("index.json", "`verify.sh` (step1) is outside the scenario"),
    ]);
}

//! `muelle lessons test`'s runner over the fake provider: a lesson's setup scripts run before
//! its checks and steps, and a failing setup fails the lesson without playing its steps.

mod common;

use backend::lessons::parser::parse;
use backend::player::runner::{PlayOptions, Runner};
use common::TestApp;

fn lesson(setup: &str) -> backend::lessons::model::ParsedLesson {
    // The step's check needs both the setup's file and the step's own: without the setup it fails,
    // and on fresh nodes (setup done, step not played) it fails too, so the early pass is quiet.
    let text = format!(
        "---\nid: prep\ntitle: Prep\nsummary: S.\nlang: en\nduration: 5\nnodes: 2\n{setup}---\n\
         ## Use it\n```sh run\ntouch played\n```\n```check\ngrep -qx ready prepared && test -f played\n```\n\
         ## On node2\n```sh run node=node2\ntouch played2\n```\n```check node=node2\ngrep -qx two prepared && test -f played2\n```\n"
    );
    let (parsed, problems) = parse("en/01-prep.md", &text);
    assert!(problems.is_empty(), "{problems:?}");
    parsed.unwrap()
}

fn runner(app: &TestApp) -> Runner {
    Runner { sessions: app.state.sessions.clone(), provider: app.state.provider.clone(), options: PlayOptions::default() }
}

#[tokio::test]
async fn setup_is_played_before_the_steps() {
    let app = TestApp::new();
    let l = lesson("setup:\n  node1: echo ready > prepared\n  node2: echo two > prepared\n");
    let out = runner(&app).run_lesson("en/01-prep.md", &l).await.unwrap();
    assert_eq!((out.passed, out.failed), (2, 0), "{out:?}");
}

#[tokio::test]
async fn without_the_setup_the_same_steps_fail() {
    let app = TestApp::new();
    let out = runner(&app).run_lesson("en/01-prep.md", &lesson("")).await.unwrap();
    assert_eq!((out.passed, out.failed), (0, 2), "{out:?}");
}

#[tokio::test]
async fn a_failing_setup_fails_the_lesson_unplayed() {
    let app = TestApp::new();
    let l = lesson("setup: |\n  echo ready > prepared\n  exit 7\n");
    let out = runner(&app).run_lesson("en/01-prep.md", &l).await.unwrap();
    assert_eq!((out.passed, out.failed), (0, 1), "{out:?}");
}

#[tokio::test]
async fn background_starts_before_the_setup_which_may_wait_for_it() {
    // Killercoda's pattern: the foreground (setup) waits for a marker the background makes.
    let app = TestApp::new();
    let l = lesson(
        "background:\n  node1: sleep 1; echo ready > prepared\nsetup:\n  node1: |\n    for i in $(seq 1 50); do [ -s prepared ] && break; sleep 0.1; done\n    test -s prepared\n  node2: echo two > prepared\n",
    );
    let out = runner(&app).run_lesson("en/01-prep.md", &l).await.unwrap();
    assert_eq!((out.passed, out.failed), (2, 0), "{out:?}");
}
